/**
 * Filter conditions: the WHERE clause of `aggregate`. A report is aggregated only when every
 * condition holds; a condition that cannot be evaluated (a type mismatch, a missing operand) does
 * not hold, and never throws.
 *
 * @module plugins/aggregate/filter
 */
import { readPath } from '../../core/contract.js';
import { jsonEquals } from './json-value.js';
import type { FilterCondition } from './options.js';

/**
 * Orders two values of the same kind: finite numbers numerically, strings by UTF-16 code units
 * (locale-free, so every level agrees). Anything else is not ordered: `undefined`.
 */
function order(a: unknown, b: unknown): number | undefined {
  if (typeof a === 'number' && typeof b === 'number' && Number.isFinite(a) && Number.isFinite(b)) return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  return undefined;
}

/** Whether one condition holds for the value found at its path (`undefined` when missing). */
export function conditionHolds(actual: unknown, condition: FilterCondition): boolean {
  const expected = condition.value;
  switch (condition.op) {
    case '==':
      return jsonEquals(actual, expected);
    case '!=':
      return !jsonEquals(actual, expected);
    case 'in':
      return Array.isArray(expected) && expected.some((candidate) => jsonEquals(actual, candidate));
    case 'exists':
      return actual !== undefined && actual !== null;
    case 'notExists':
      return actual === undefined || actual === null;
    case '<':
    case '<=':
    case '>':
    case '>=': {
      const sign = order(actual, expected);
      if (sign === undefined) return false;
      if (condition.op === '<') return sign < 0;
      if (condition.op === '<=') return sign <= 0;
      if (condition.op === '>') return sign > 0;
      return sign >= 0;
    }
    default:
      // An operator the schema does not know: keep nothing rather than everything.
      return false;
  }
}

/** Whether a report passes every condition (an empty list passes everything). */
export function passesFilter(report: unknown, conditions: readonly FilterCondition[]): boolean {
  for (const condition of conditions) {
    if (!conditionHolds(readPath(report, condition.path), condition)) return false;
  }
  return true;
}

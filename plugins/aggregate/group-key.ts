/**
 * Group keys: the tuple of stringified group-by values, its text form used as an accumulator key,
 * and the total order rows are listed in.
 *
 * @module plugins/aggregate/group-key
 */
import { canonicalJson } from './json-value.js';

/** One component of a group key: the stringified value, or `null` when missing or null. */
export type GroupValue = string | null;

/**
 * Stringifies a value for grouping: strings as they are, numbers and booleans as JavaScript and
 * JSON write them (`3`, `1.5`, `true`; `-0` as `0`), objects and arrays as canonical JSON
 * (sorted keys), missing or null as `null`. So `"3"` and `3` fall in the same group.
 */
export function groupValueOf(value: unknown): GroupValue {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value === 0 ? 0 : value) : null;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'object') return canonicalJson(value);
  return null;
}

/** The accumulator key of a tuple: its JSON text, which always starts with `[` and so never names an Object.prototype member. */
export function encodeKey(tuple: readonly GroupValue[]): string {
  return JSON.stringify(tuple);
}

/** The tuple of an accumulator key, or `undefined` when the key is not one of `width` components (a corrupted or foreign accumulator). */
export function decodeKey(key: string, width: number): GroupValue[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(key);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed) || parsed.length !== width) return undefined;
  return parsed.every((item) => item === null || typeof item === 'string') ? (parsed as GroupValue[]) : undefined;
}

/** Orders group values: `null` first, then strings by UTF-16 code units. */
export function compareGroupValues(a: GroupValue, b: GroupValue): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return a < b ? -1 : 1;
}

/** Orders tuples lexicographically by {@link compareGroupValues}; a total order, so row order never depends on input order. */
export function compareTuples(a: readonly GroupValue[], b: readonly GroupValue[]): number {
  const width = Math.min(a.length, b.length);
  for (let i = 0; i < width; i++) {
    const sign = compareGroupValues(a[i]!, b[i]!);
    if (sign !== 0) return sign;
  }
  return a.length - b.length;
}

/**
 * What the conformance checks return, and the small pure helpers they share: comparing values,
 * finding what is not JSON, describing a thrown value.
 *
 * @module edgesum/testing
 */
import { diffJson } from './json-diff.js';

/**
 * One broken law: which law, and what happened, in words for the plugin's author. The checks return
 * a list of these instead of throwing, so any test runner can assert that the list is empty and
 * print it when it is not.
 *
 * @typeParam Law - the names of the laws a check knows.
 */
export interface Violation<Law extends string = string> {
  /** The law's name, e.g. `commutativity` or `no-mutation`. */
  readonly law: Law;
  /** What was called and what came out, short enough to read in a test report. */
  readonly message: string;
  /** The hook that breaks the law, when the check can tell (`merge` for an average of averages). */
  readonly hook?: string;
}

/** Collects violations in the order found, each distinct one once (a broken hook breaks many laws alike). */
export class ViolationLog<Law extends string> {
  private readonly seen = new Set<string>();
  readonly list: Violation<Law>[] = [];

  add(law: Law, message: string, hook?: string): void {
    const key = `${law}\u0000${message}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.list.push(hook === undefined ? { law, message } : { law, message, hook });
  }
}

/**
 * Stops the current law once its violation is logged. Deliberately not an `Error`: it never leaves
 * the check that throws it, and it must not be confused with anything a plugin throws.
 */
export class Halt {
  readonly halted = true;
}

/** Whether a thrown value is a `TypeError`, from this realm or another (a sandbox's). */
export function isTypeError(thrown: unknown): boolean {
  return thrown instanceof TypeError || (typeof thrown === 'object' && thrown !== null && (thrown as { name?: unknown }).name === 'TypeError');
}

/** `TypeError: Cannot assign…` for an error, the JSON (or string form) of anything else thrown. */
export function describeThrown(thrown: unknown): string {
  if (typeof thrown === 'object' && thrown !== null && typeof (thrown as { message?: unknown }).message === 'string') {
    const name = (thrown as { name?: unknown }).name;
    return `${typeof name === 'string' ? name : 'Error'}: ${(thrown as { message: string }).message}`;
  }
  try {
    return `${typeof thrown} ${JSON.stringify(thrown) ?? String(thrown)}`;
  } catch {
    return `${typeof thrown} ${String(thrown)}`;
  }
}

/**
 * A string equal for two values exactly when they are deeply equal: object keys in any order,
 * arrays in order, `undefined` properties, `-0`, `NaN` and non-finite numbers kept apart from
 * their JSON look-alikes. Used as "deep-equal" without a test runner's matchers.
 */
export function canonical(value: unknown, open: Set<object> = new Set()): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value !== 'object' || value === null) return typeof value === 'string' ? JSON.stringify(value) : String(value);
  // A cycle is not JSON anyway; marking it keeps the comparison finite.
  if (open.has(value)) return '<cycle>';
  open.add(value);
  const text = Array.isArray(value)
    ? `[${value.map((item: unknown) => canonical(item, open)).join(',')}]`
    : `{${Object.keys(value)
        .sort()
        .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key], open)}`)
        .join(',')}}`;
  open.delete(value);
  return text;
}

/**
 * Where a value stops being JSON, e.g. `$.items[2].value is NaN`, or `undefined` when it is JSON
 * all the way down. Non-finite numbers, `undefined` (also as an object property), functions,
 * symbols, bigints, cycles and objects other than plain objects and arrays are not JSON.
 */
export function jsonFault(value: unknown, at = '$', open: Set<object> = new Set()): string | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : `${at} is ${String(value)}`;
    case 'object': {
      if (value === null) return undefined;
      if (open.has(value)) return `${at} refers back to an enclosing value (a cycle)`;
      const proto: unknown = Object.getPrototypeOf(value);
      if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) return `${at} is not a plain object`;
      open.add(value);
      const entries: [string, unknown][] = Array.isArray(value)
        ? value.map((item: unknown, i): [string, unknown] => [`${at}[${i}]`, item])
        : Object.keys(value).map((key): [string, unknown] => [`${at}${/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`}`, (value as Record<string, unknown>)[key]]);
      for (const [path, item] of entries) {
        const fault = jsonFault(item, path, open);
        if (fault !== undefined) {
          open.delete(value);
          return fault;
        }
      }
      open.delete(value);
      return undefined;
    }
    default:
      return `${at} is ${value === undefined ? 'undefined' : `a ${typeof value}`}`;
  }
}

const previewChars = 60;
const shownDifferences = 3;

/**
 * Where two JSON values differ, path by path, e.g. `at readyRatio: 0.5 vs 0.4`. A value too long to
 * read whole is named by its shape (`an object of 12 keys`), never cut in the middle of its JSON.
 */
export function describeDifferences(left: unknown, right: unknown): string {
  const found = diffJson(left, right);
  const shown = found.slice(0, shownDifferences).map((d) => `at ${d.path === '' ? 'the top' : d.path}: ${shape(d.expected)} vs ${shape(d.actual)}`);
  const more = found.length > shownDifferences ? `; and ${found.length - shownDifferences} more` : '';
  return `${shown.join('; ')}${more}`;
}

/** A value as whole JSON when short, else its shape. */
export function shape(value: unknown): string {
  if (value === undefined) return '(missing)';
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    text = undefined;
  }
  if (text !== undefined && text.length <= previewChars * 2) return text;
  if (Array.isArray(value)) return `an array of ${value.length} items`;
  if (typeof value === 'string') return `a string of ${value.length} characters`;
  if (typeof value === 'object' && value !== null) return `an object of ${Object.keys(value).length} keys`;
  return String(value);
}

/**
 * Two texts side by side around their first difference, e.g.
 * `at 17: …"value":3,… vs …"value":4,…`, so a message stays short for large summaries.
 */
export function difference(left: string, right: string): string {
  let at = 0;
  while (at < left.length && at < right.length && left[at] === right[at]) at++;
  const from = Math.max(0, at - previewChars / 2);
  const cut = (text: string) => `${from > 0 ? '…' : ''}${text.slice(from, from + previewChars)}${text.length > from + previewChars ? '…' : ''}`;
  return `at character ${at}: ${cut(left)} vs ${cut(right)}`;
}

/** A value for a message: whole JSON when short, else its shape, never JSON cut in the middle. */
export function preview(value: unknown): string {
  return shape(value);
}

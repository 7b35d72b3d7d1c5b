/**
 * JSON value helpers shared by filters and group keys: one canonical text per JSON value, so that
 * equality and grouping never depend on the key order an edge happened to serialize.
 *
 * @module plugins/aggregate/json-value
 */

/** Whether `map` has `key` as its own property: data keys like `constructor` must not hit Object.prototype. */
export function hasOwn(map: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(map, key);
}

/**
 * Canonical JSON text of a value: object keys sorted by UTF-16 code units, numbers as
 * `JSON.stringify` writes them (so `-0` is `0`). `undefined` is `null` at the top level and in
 * arrays, and omitted as an object member, as `JSON.stringify` does; non-finite numbers are `null`.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      break;
    default:
      return 'null';
  }
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item)).join(',')}]`;
  const record = value as Record<string, unknown>;
  const members: string[] = [];
  for (const key of Object.keys(record).sort()) {
    const member = record[key];
    if (member === undefined || typeof member === 'function') continue;
    members.push(`${JSON.stringify(key)}:${canonicalJson(member)}`);
  }
  return `{${members.join(',')}}`;
}

/** JSON equality: same type and same value, deep; `1` equals `1.0`, `"1"` does not equal `1`. A missing value equals `null`. */
export function jsonEquals(a: unknown, b: unknown): boolean {
  const left = a === undefined ? null : a;
  const right = b === undefined ? null : b;
  if (typeof left !== 'object' || typeof right !== 'object' || left === null || right === null) return left === right;
  return canonicalJson(left) === canonicalJson(right);
}

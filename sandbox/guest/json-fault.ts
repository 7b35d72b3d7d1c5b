/**
 * Where a hook's result stops being JSON, as a short sentence, or `undefined` when it is JSON all
 * the way down. `JSON.stringify` would quietly turn what is not JSON into something else (a
 * function or `undefined` into nothing or `null`, `NaN` into `null`, a Promise, Map or Date into
 * `{}` or a string, a hole into `null`), and a summary would then be wrong without anyone knowing.
 * This file is bundled into the sandbox as well as used by the host, so it imports nothing, and it
 * reads only data properties: a getter is reported, never run.
 */

// Captured when the module is evaluated, before any plugin code runs in the same realm.
const { getPrototypeOf, getOwnPropertyDescriptor, keys } = Object;
const { isArray } = Array;
const { isFinite } = Number;
const objectPrototype = Object.prototype;

/** Deepest nesting of a result, as the wire allows. */
const maxDepth = 64;

/** The first place in `value` that is not plain JSON, e.g. `$.counts.ready is NaN`, or `undefined`. */
export function jsonFault(value: unknown): string | undefined {
  return walk(value, '$', 0, []);
}

function walk(value: unknown, at: string, depth: number, open: object[]): string | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      return isFinite(value) ? undefined : `${at} is ${String(value)}`;
    case 'undefined':
      return `${at} is undefined`;
    case 'object':
      break;
    default:
      return `${at} is a ${typeof value}`;
  }
  if (value === null) return undefined;
  if (depth > maxDepth) return `${at} is nested deeper than ${maxDepth} levels`;
  if (open.includes(value)) return `${at} refers back to an enclosing value (a cycle)`;
  const array = isArray(value);
  const prototype: unknown = getPrototypeOf(value);
  if (!array && prototype !== objectPrototype && prototype !== null) {
    const name = (prototype as { constructor?: { name?: unknown } } | null)?.constructor?.name;
    return `${at} is ${typeof name === 'string' && name !== '' ? `a ${name}` : 'not a plain object'}`;
  }
  open.push(value);
  try {
    const names = array ? Array.from({ length: (value as unknown[]).length }, (_, i) => String(i)) : keys(value);
    for (const name of names) {
      const path = array ? `${at}[${name}]` : `${at}.${name}`;
      const descriptor = getOwnPropertyDescriptor(value, name);
      if (descriptor === undefined) return `${path} is a hole`;
      if (!('value' in descriptor)) return `${path} is a getter or setter`;
      const fault = walk(descriptor.value, path, depth + 1, open);
      if (fault !== undefined) return fault;
    }
    return undefined;
  } finally {
    open.pop();
  }
}

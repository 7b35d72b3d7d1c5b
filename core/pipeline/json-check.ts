import { ErrorCodes, formatPath, PluginOutputError, type ErrorDetails } from '../errors.js';
import { maxJsonDepth } from '../model/index.js';

// The wire's own depth limit, so anything a hook returns within it can be forwarded to the parent.
export { maxJsonDepth };

/** Where a value stops being plain JSON, and why. */
export interface JsonProblem {
  /** Path inside the value, `a.b[0]`; empty for the value itself. */
  readonly path: string;
  readonly message: string;
}

/**
 * The first place where `value` is not a plain JSON tree, or `undefined` when it is one: only
 * `null`, booleans, finite numbers, strings, arrays without holes, and objects
 * whose prototype is `Object.prototype` or `null` with enumerable data properties under string keys,
 * nested at most `maxDepth` deep, no object reached twice. Never calls a getter, a `toJSON` or a
 * `then`: it reads property descriptors only, and a proxy that throws while being read is a problem,
 * not an exception.
 */
export function findNonJson(value: unknown, maxDepth: number = maxJsonDepth): JsonProblem | undefined {
  const path: (string | number)[] = [];
  const seen = new Set<object>();
  try {
    const message = walk(value, path, 0, maxDepth, seen);
    return message === undefined ? undefined : { path: formatPath(path), message };
  } catch (error) {
    return { path: formatPath(path), message: `reading the value threw: ${error instanceof Error ? error.message : String(error)}` };
  }
}

function walk(value: unknown, path: (string | number)[], depth: number, maxDepth: number, seen: Set<object>): string | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : `${value} is not a JSON number`;
    case 'undefined':
      return 'undefined is not a JSON value';
    case 'bigint':
      return 'a BigInt is not a JSON value';
    case 'symbol':
      return 'a Symbol is not a JSON value';
    case 'function':
      return 'a function is not a JSON value';
  }
  if (value === null) return undefined;
  const object = value as object;
  if (depth > maxDepth) return `nested deeper than ${maxDepth} levels`;
  if (seen.has(object)) return 'the same object appears twice (a cycle or a shared reference), which JSON cannot express';
  const prototype = Object.getPrototypeOf(object) as object | null;
  if (Array.isArray(object)) {
    if (prototype !== Array.prototype) return 'an array with a foreign prototype is not a JSON value';
    return walkArray(object as unknown[], path, depth, maxDepth, seen);
  }
  if (prototype !== Object.prototype && prototype !== null) return `${describeInstance(object, prototype)} is not a JSON value`;
  seen.add(object);
  for (const key of Reflect.ownKeys(object)) {
    if (typeof key === 'symbol') return 'a Symbol-keyed property is not JSON';
    const descriptor = Object.getOwnPropertyDescriptor(object, key)!;
    path.push(key);
    if (!('value' in descriptor)) return 'an accessor property (getter or setter) is not JSON';
    if (descriptor.enumerable !== true) return 'a non-enumerable property is not JSON';
    if (key === 'then' && typeof descriptor.value === 'function') return 'a thenable is not a JSON value: hooks must return their result, not a promise of it';
    const problem = walk(descriptor.value, path, depth + 1, maxDepth, seen);
    if (problem !== undefined) return problem;
    path.pop();
  }
  return undefined;
}

function walkArray(array: unknown[], path: (string | number)[], depth: number, maxDepth: number, seen: Set<object>): string | undefined {
  seen.add(array);
  const length = array.length;
  for (let i = 0; i < length; i++) {
    const descriptor = Object.getOwnPropertyDescriptor(array, i);
    path.push(i);
    if (descriptor === undefined) return 'a hole in an array is not JSON';
    if (!('value' in descriptor)) return 'an accessor property (getter or setter) is not JSON';
    const problem = walk(descriptor.value, path, depth + 1, maxDepth, seen);
    if (problem !== undefined) return problem;
    path.pop();
  }
  return undefined;
}

function describeInstance(object: object, prototype: object | null): string {
  if (object instanceof Promise) return 'a Promise (hooks must return their result, not a promise of it)';
  const name = (prototype as { constructor?: { name?: unknown } } | null)?.constructor?.name;
  return typeof name === 'string' && name !== '' ? `a ${name}` : 'an object with a foreign prototype';
}

/**
 * Checks the results of one batch call into a plugin: an array of exactly `expected` plain JSON
 * values (see {@link findNonJson}). Whatever runner produced them, a result that is not JSON is
 * `EDGESUM_PLUGIN_OUTPUT` rather than silently converted.
 */
export function checkHookResults(results: unknown, expected: number, where: ErrorDetails): unknown[] {
  const name = `${where.plugin}.${where.hook}`;
  const at = where.level === undefined ? '' : ` at level ${where.level}`;
  if (!Array.isArray(results) || results.length !== expected) {
    const got = Array.isArray(results) ? `${results.length} results` : typeof results;
    throw new PluginOutputError(ErrorCodes.PluginOutput, `${name} returned ${got} for a batch of ${expected}${at}`, where);
  }
  for (let index = 0; index < expected; index++) {
    const problem = findNonJson(results[index]);
    if (problem !== undefined) {
      const inside = problem.path === '' ? '' : ` at ${problem.path}`;
      throw new PluginOutputError(ErrorCodes.PluginOutput, `${name} returned a value that is not JSON${inside}${at}: ${problem.message}`, { ...where, index });
    }
  }
  return results;
}

/**
 * Freezing and copying helpers of the conformance checks.
 *
 * @module edgesum/testing
 */

/**
 * Freezes a value and everything inside it, in place, and returns it. A hook that writes to a
 * deep-frozen argument throws a `TypeError` in strict-mode code (every ES module), which is how
 * the checks, like ESLint's RuleTester, catch a plugin mutating what it must only read.
 *
 * @param value - any value; primitives are returned as they are.
 * @returns the same value, now frozen all the way down.
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Reflect.ownKeys(value)) deepFreeze((value as Record<PropertyKey, unknown>)[key]);
  }
  return value;
}

/**
 * A copy whose unfrozen parts are new and whose frozen parts are shared. Frozen parts cannot
 * change, so sharing them is safe, and keeping them frozen lets a later write to state a hook took
 * over from a frozen argument (a merge that adopts its second accumulator's arrays) still throw.
 */
export function copyKeepingFrozen<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  if (Array.isArray(value)) return value.map((item: unknown) => copyKeepingFrozen(item)) as T;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    // defineProperty, because assigning a `__proto__` key would replace the prototype instead.
    Object.defineProperty(copy, key, { value: copyKeepingFrozen((value as Record<string, unknown>)[key]), writable: true, enumerable: true, configurable: true });
  }
  return copy as T;
}

/** A fully unfrozen deep copy, for running a hook again without the traps. */
export function thaw<T>(value: T): T {
  return structuredClone(value);
}

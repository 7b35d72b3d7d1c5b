import { types } from 'node:util';
import type { Json } from '../contract.js';

/** Deepest nesting accepted in free-form JSON (status, spec, accumulators). */
export const maxJsonDepth = 64;

/** Why a value is not acceptable JSON: where in it, and what is wrong there. */
export interface JsonFault {
  readonly path: (string | number)[];
  readonly message: string;
  /** The value is larger than the size it was allowed (`maxSize`). */
  readonly tooLarge: boolean;
}

/** How {@link copyJson} and {@link checkJson} walk a value. */
export interface JsonWalkOptions {
  /** Deepest container nesting, counting the value itself as 0. Default {@link maxJsonDepth}. */
  readonly maxDepth?: number;
  /**
   * Most UTF-16 code units the value may take serialized, as `JSON.stringify(value).length`
   * counts them. The walk counts a lower bound (strings and keys without their escapes) and stops
   * as soon as that exceeds the limit, so a huge value costs no more than this much work and a
   * value reported too large certainly is. Default: no limit.
   */
  readonly maxSize?: number;
  /**
   * Keep `undefined`, functions, symbols, bigints and non-finite numbers as they are, for a schema
   * to judge with its own message, instead of faulting. Objects are checked either way.
   */
  readonly lenient?: boolean;
}

/**
 * A deep copy of a value as plain JSON data, with a lower bound of its serialized size (see
 * {@link JsonWalkOptions.maxSize}), or the first fault found.
 */
export type JsonCopy = { readonly ok: true; readonly value: Json; readonly size: number } | { readonly ok: false; readonly fault: JsonFault };

/**
 * Deep-copies a value into plain JSON data without running any code the value carries: no
 * getter, setter, `toJSON`, Proxy trap or prototype method is ever called, so a hostile value
 * cannot throw, loop or answer differently the second time it is read. Objects come out as
 * `JSON.parse` builds them (own `__proto__` keys stay data), arrays as dense arrays. Never
 * throws for any input; recursion stops at `maxDepth`.
 */
export function copyJson(value: unknown, options: JsonWalkOptions = {}): JsonCopy {
  return new JsonWalk(options, true).run(value);
}

/** Checks a value as {@link copyJson} would copy it, without copying: the first fault, or `undefined`. */
export function checkJson(value: unknown, options: JsonWalkOptions = {}): JsonFault | undefined {
  const result = new JsonWalk(options, false).run(value);
  return result.ok ? undefined : result.fault;
}

/** Sets a property as data even when its key is `__proto__`, which plain assignment would turn into a prototype change. */
export function setData(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  else target[key] = value;
}

/**
 * An empty object without a prototype, for records whose keys are data (labels, annotations).
 * `Object.create(null)` would give the same object in V8's dictionary mode, about twice the memory
 * of a few properties kept the ordinary way, and such records are held for every report.
 */
export function nullPrototypeRecord<T>(): Record<string, T> {
  return Object.setPrototypeOf({}, null) as Record<string, T>;
}

/** Thrown inside a walk to unwind to its start; never escapes the module. */
class Stop {
  constructor(readonly fault: JsonFault) {}
}

class JsonWalk {
  private readonly maxDepth: number;
  private readonly maxSize: number;
  private readonly lenient: boolean;
  private readonly path: (string | number)[] = [];
  /** The containers being walked, outermost first: meeting one again is a cycle. */
  private readonly open: object[] = [];
  private size = 0;

  constructor(
    options: JsonWalkOptions,
    private readonly copy: boolean,
  ) {
    this.maxDepth = options.maxDepth ?? maxJsonDepth;
    this.maxSize = options.maxSize ?? Infinity;
    this.lenient = options.lenient ?? false;
  }

  run(value: unknown): JsonCopy {
    try {
      const copied = this.walk(value, 0);
      return { ok: true, value: copied as Json, size: this.size };
    } catch (error) {
      if (error instanceof Stop) return { ok: false, fault: error.fault };
      // Only exotic objects get here (a module namespace read before its bindings exist): no
      // plain data throws while it is read.
      return { ok: false, fault: { path: [...this.path], message: 'cannot be read as JSON data', tooLarge: false } };
    }
  }

  private fail(message: string, tooLarge = false): never {
    throw new Stop({ path: [...this.path], message, tooLarge });
  }

  private count(units: number): void {
    this.size += units;
    if (this.size > this.maxSize) this.fail(`larger than ${this.maxSize} bytes`, true);
  }


  private walk(value: unknown, depth: number): unknown {
    switch (typeof value) {
      case 'string':
        this.count(value.length + 2);
        return value;
      case 'boolean':
        this.count(value ? 4 : 5);
        return value;
      case 'number':
        if (!Number.isFinite(value)) {
          if (this.lenient) return value;
          this.fail(`${value} is not a JSON number`);
        }
        this.count(1);
        return value === 0 ? 0 : value;
      case 'object':
        if (value === null) {
          this.count(4);
          return null;
        }
        return this.walkObject(value, depth);
      default:
        if (this.lenient) return value;
        return this.fail(`${typeof value} is not a JSON value`);
    }
  }

  private walkObject(value: object, depth: number): unknown {
    // First, before anything else touches the object: every other operation on a Proxy runs its traps.
    if (types.isProxy(value)) this.fail('a Proxy is not a JSON value');
    if (this.open.includes(value)) this.fail('refers back to a value that contains it (a cycle is not JSON)');
    if (depth > this.maxDepth) this.fail(`nested deeper than ${this.maxDepth} levels`);
    this.open.push(value);
    const copied = Array.isArray(value) ? this.walkArray(value, depth) : this.walkPlainObject(value, depth);
    this.open.pop();
    return copied;
  }

  private walkPlainObject(value: object, depth: number): unknown {
    const prototype: unknown = Object.getPrototypeOf(value);
    if (prototype !== Object.prototype && prototype !== null) this.fail(`${describeInstance(prototype)} is not a JSON value`);
    const keys = Object.keys(value);
    const out: Record<string, unknown> | undefined = this.copy ? {} : undefined;
    this.count(2);
    let first = true;
    for (const key of keys) {
      this.path.push(key);
      const descriptor = Object.getOwnPropertyDescriptor(value, key);
      if (descriptor !== undefined && !('value' in descriptor)) this.fail('a getter or setter is not a JSON value');
      const item: unknown = descriptor?.value;
      // JSON.stringify leaves out a property holding undefined; the lenient walk keeps it for a schema to judge.
      const skipped = item === undefined || typeof item === 'function' || typeof item === 'symbol';
      if (!(skipped && this.lenient)) {
        if (!first) this.count(1);
        first = false;
        this.count(key.length + 3);
      }
      const copied = this.walk(item, depth + 1);
      if (out !== undefined) setData(out, key, copied);
      this.path.pop();
    }
    return out ?? value;
  }

  private walkArray(value: unknown[], depth: number): unknown {
    const length = value.length;
    this.count(2 + Math.max(0, length - 1));
    const out: unknown[] | undefined = this.copy ? [] : undefined;
    for (let i = 0; i < length; i++) {
      this.path.push(i);
      const descriptor = Object.getOwnPropertyDescriptor(value, i);
      if (descriptor === undefined) {
        if (!this.lenient) this.fail('an array hole is not a JSON value');
        this.count(4);
        out?.push(undefined);
      } else if (!('value' in descriptor)) {
        this.fail('a getter or setter is not a JSON value');
      } else {
        const item: unknown = descriptor.value;
        if (this.lenient && (item === undefined || typeof item === 'function' || typeof item === 'symbol')) this.count(4);
        const copied = this.walk(item, depth + 1);
        if (out !== undefined) out.push(copied);
      }
      this.path.pop();
    }
    return out ?? value;
  }
}

/** Names a class instance by its constructor without calling anything: `a Date`, `a Map`, `a class instance`. */
function describeInstance(prototype: unknown): string {
  if (typeof prototype !== 'object' || prototype === null || types.isProxy(prototype)) return 'a class instance';
  const constructor = Object.getOwnPropertyDescriptor(prototype, 'constructor')?.value as unknown;
  if (typeof constructor !== 'function' || types.isProxy(constructor)) return 'a class instance';
  const name = Object.getOwnPropertyDescriptor(constructor, 'name')?.value as unknown;
  return typeof name === 'string' && /^[A-Za-z_$][\w$]{0,63}$/.test(name) ? `a ${name}` : 'a class instance';
}

/**
 * The own enumerable entries of a plain object (prototype `Object.prototype` or `null`), read
 * without running any code it carries, or why it is not one: not an object, a Proxy, a class
 * instance, or a getter (whose key is given).
 */
export function plainEntries(value: unknown): { readonly entries: [string, unknown][] } | { readonly key?: string; readonly message: string } {
  if (typeof value !== 'object' || value === null) return { message: `expected an object, received ${value === null ? 'null' : typeof value}` };
  if (types.isProxy(value)) return { message: 'a Proxy is not a JSON value' };
  if (Array.isArray(value)) return { message: 'expected an object, received an array' };
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return { message: `${describeInstance(prototype)} is not a JSON value` };
  const entries: [string, unknown][] = [];
  for (const key of Object.keys(value)) {
    const descriptor = Object.getOwnPropertyDescriptor(value, key);
    if (descriptor !== undefined && !('value' in descriptor)) return { key, message: 'a getter or setter is not a JSON value' };
    entries.push([key, descriptor?.value]);
  }
  return { entries };
}

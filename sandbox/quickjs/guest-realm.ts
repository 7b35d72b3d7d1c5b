/**
 * Guest side: makes the QuickJS realm deterministic and bare before any plugin code runs. Calling
 * {@link installDeterministicRealm} on the host would replace Node's own `Date`, so only the guest
 * shim's script (a virtual module of it, see `bundle.ts`) calls it, and every runtime evaluates that
 * script before the plugin's own: a plugin cannot capture the real `Date` or `Math.random`.
 */

/** Lets the shim set the clock and the random seed for each call. */
export interface RealmControl {
  /** What `Date.now()` and `new Date()` return until the next call, in ms since the epoch. */
  setClock(ms: number): void;
  /** Restarts `Math.random` from `seed`. */
  reseed(seed: number): void;
  /**
   * Freezes every built-in the realm started with (before any plugin code runs), so a plugin that
   * poisons `Object.prototype` or replaces `Array.prototype.map` fails instead of changing later
   * calls. See {@link hardenIntrinsics}.
   */
  harden(): void;
}

/**
 * Globals a plugin must not find: host channels and clocks. QuickJS itself defines none of the host
 * ones; quickjs-ng adds `performance` and `queueMicrotask`. Deleting the rest is belt and braces in
 * case a future build adds them.
 */
const hostGlobals = [
  'performance',
  'queueMicrotask',
  'setTimeout',
  'setInterval',
  'setImmediate',
  'clearTimeout',
  'clearInterval',
  'clearImmediate',
  'require',
  'process',
  'fetch',
  'XMLHttpRequest',
  'WebSocket',
  'std',
  'os',
  'print',
  'scriptArgs',
  'WebAssembly',
];

/** Replaces the clock and the random source of `realm` and removes host globals. */
export function installDeterministicRealm(realm: typeof globalThis): RealmControl {
  const RealDate = realm.Date;
  const standardGlobals = Reflect.ownKeys(realm).filter((key) => key !== 'globalThis' && !hostGlobals.includes(key as string));
  // Taken before plugin code runs, so a plugin module cannot blunt the hardening by patching them.
  const primordials: Primordials = {
    getPrototypeOf: Object.getPrototypeOf,
    getOwnPropertyDescriptor: Object.getOwnPropertyDescriptor,
    getOwnPropertyDescriptors: Object.getOwnPropertyDescriptors,
    defineProperty: Object.defineProperty,
    freeze: Object.freeze,
    hasOwn: Object.hasOwn,
    ownKeys: Reflect.ownKeys,
  };
  const clock = guestClock(RealDate);
  const random = seededRandom(Math.imul);
  Object.defineProperty(RealDate.prototype, 'constructor', { value: clock.Date, writable: true, configurable: true });
  Object.defineProperty(realm, 'Date', { value: clock.Date, writable: true, configurable: true });
  Object.defineProperty(Math, 'random', { value: random.random, writable: true, configurable: true });

  for (const name of hostGlobals) delete (realm as unknown as Record<string, unknown>)[name];

  // Stray logging must not fail a plugin, and the sandbox has no channel to print on.
  const quiet = (): void => {};
  Object.defineProperty(realm, 'console', {
    value: { log: quiet, info: quiet, warn: quiet, error: quiet, debug: quiet, trace: quiet },
    writable: true,
    configurable: true,
  });

  return {
    setClock: clock.setClock,
    reseed: random.reseed,
    harden() {
      hardenIntrinsics(realm, [...standardGlobals, 'console'], primordials);
    },
  };
}

/** The seed of `Math.random` when a runner is given none. */
export const defaultSeed = 0x5eed;

/**
 * A `Date` whose clock is set, not read: `Date.now()` and `new Date()` return the last
 * `setClock` value. The guest installs it as its global `Date`; the inline runner hands it to a
 * plugin as its `Date` binding, so both runners give a plugin the same clock.
 */
export function guestClock(RealDate: DateConstructor): { readonly Date: DateConstructor; setClock(ms: number): void } {
  let clock = 0;
  // A constructor function rather than a class: `Date()` called without `new` must keep working.
  function GuestDate(this: unknown, ...args: unknown[]): unknown {
    if (new.target === undefined) return new RealDate(clock).toString();
    return Reflect.construct(RealDate, args.length === 0 ? [clock] : args, new.target);
  }
  Object.defineProperties(GuestDate, {
    prototype: { value: RealDate.prototype, writable: false },
    now: { value: () => clock, writable: true, configurable: true },
    parse: { value: RealDate.parse, writable: true, configurable: true },
    UTC: { value: RealDate.UTC, writable: true, configurable: true },
  });
  return {
    Date: GuestDate as unknown as DateConstructor,
    setClock(ms) {
      clock = ms;
    },
  };
}

/**
 * mulberry32: tiny, fast and good enough for sampling; plugins needing cryptographic randomness
 * have no business in a deterministic reducer. The same seed draws the same numbers in every runner.
 */
export function seededRandom(imul: typeof Math.imul): { random(): number; reseed(seed: number): void } {
  let state = 0;
  return {
    random() {
      state = (state + 0x6d2b79f5) | 0;
      let t = imul(state ^ (state >>> 15), 1 | state);
      t = (t + imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
    reseed(seed) {
      state = seed | 0;
    },
  };
}

/** The reflection functions hardening relies on, as they were before any plugin code ran. */
export interface Primordials {
  readonly getPrototypeOf: typeof Object.getPrototypeOf;
  readonly getOwnPropertyDescriptor: typeof Object.getOwnPropertyDescriptor;
  readonly getOwnPropertyDescriptors: typeof Object.getOwnPropertyDescriptors;
  readonly defineProperty: typeof Object.defineProperty;
  readonly freeze: typeof Object.freeze;
  readonly hasOwn: typeof Object.hasOwn;
  readonly ownKeys: typeof Reflect.ownKeys;
}

/**
 * Built-in prototype properties that ordinary code assigns on its own objects: `this.name = ...` in
 * an Error subclass, `this.constructor = ...` in down-levelled classes, `obj.toString = ...`. On a
 * frozen prototype such an assignment would fail (the "override mistake"), so these become
 * accessors whose setter defines an own property on the target instead. Everything else stays a
 * plain frozen data property, which keeps method lookups fast.
 */
const overridable = ['constructor', 'toString', 'toLocaleString', 'valueOf', 'name', 'message'];

/**
 * Freezes the objects reachable from the standard globals (constructors, prototypes, their
 * methods, the hidden iterator and generator prototypes) and makes the standard global bindings
 * read-only. The global object itself stays extensible: a plugin may still add its own globals.
 * Runs once per runtime, before the plugin's script: a module that tries to patch a built-in while
 * it initializes is refused as a hook would be (a `TypeError` in strict code, silently otherwise).
 */
export function hardenIntrinsics(realm: typeof globalThis, standardGlobals: readonly PropertyKey[], primordials: Primordials): void {
  const { getPrototypeOf, getOwnPropertyDescriptor, getOwnPropertyDescriptors, defineProperty, freeze, hasOwn, ownKeys } = primordials;
  const roots: unknown[] = [
    getPrototypeOf(function* () {}),
    getPrototypeOf(async function () {}),
    getPrototypeOf(async function* () {}),
    getPrototypeOf([][Symbol.iterator]()),
    getPrototypeOf(new Map().entries()),
    getPrototypeOf(new Set().values()),
    getPrototypeOf(''[Symbol.iterator]()),
    getPrototypeOf(/x/[Symbol.matchAll]('')),
    getPrototypeOf(Int8Array),
  ];
  for (const name of standardGlobals) {
    const descriptor = getOwnPropertyDescriptor(realm, name);
    if (descriptor === undefined) continue;
    roots.push(descriptor.value, descriptor.get, descriptor.set);
    if ('value' in descriptor) defineProperty(realm, name, { writable: false, configurable: false });
  }

  const tame = (target: object, key: PropertyKey): void => {
    const descriptor = getOwnPropertyDescriptor(target, key);
    if (descriptor === undefined || !('value' in descriptor) || !descriptor.writable) return;
    const value: unknown = descriptor.value;
    defineProperty(target, key, {
      get: () => value,
      set(this: object, next: unknown) {
        if (this === target) throw new TypeError(`Cannot assign to read only property '${String(key)}' of a built-in`);
        if (hasOwn(this, key)) (this as Record<PropertyKey, unknown>)[key] = next;
        else defineProperty(this, key, { value: next, writable: true, enumerable: true, configurable: true });
      },
      enumerable: descriptor.enumerable === true,
      configurable: false,
    });
  };
  const objectPrototype = Object.prototype;
  for (const key of ownKeys(objectPrototype)) if (typeof key === 'string') tame(objectPrototype, key);

  const seen = new Set<unknown>([realm]);
  const pending = roots;
  while (pending.length > 0) {
    const value = pending.pop();
    if ((typeof value !== 'object' && typeof value !== 'function') || value === null || seen.has(value)) continue;
    seen.add(value);
    // A plain method (no own `prototype`) holds nothing but its name and length: freezing it is
    // enough, and skipping its enumeration keeps hardening near 3 ms instead of 20 ms per runtime.
    if (typeof value === 'function' && !hasOwn(value, 'prototype')) {
      freeze(value);
      continue;
    }
    const isPrototype = value !== objectPrototype && hasOwn(value, 'constructor');
    if (isPrototype) for (const key of overridable) tame(value, key);
    const descriptors = getOwnPropertyDescriptors(value);
    for (const key of ownKeys(descriptors)) {
      const descriptor = descriptors[key as keyof typeof descriptors] as PropertyDescriptor;
      if ('value' in descriptor) pending.push(descriptor.value);
      else pending.push(descriptor.get, descriptor.set);
    }
    pending.push(getPrototypeOf(value));
    freeze(value);
  }
}

/**
 * Generators shared by the fuzz suites: valid status reports (seq left to the test, so it can keep
 * every valid report fresh), values that are not JSON, and hostile JavaScript values that record
 * any attempt to run their code.
 */
import fc from 'fast-check';
import type { Json, ObjectRef, StatusReport } from '../../core/contract.js';

/** Objects the generated reports are about: namespaced, cluster-scoped, without status, a CRD. */
export const refs: readonly ObjectRef[] = [
  { group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'shop', name: 'web' },
  { group: '', version: 'v1', kind: 'Namespace', name: 'shop' },
  { group: '', version: 'v1', kind: 'ConfigMap', namespace: 'shop', name: 'settings' },
  { group: 'example.com', version: 'v1alpha1', kind: 'Widget', namespace: 'shop', name: 'w/1' },
];

/** Keys that are data even though JavaScript objects treat them specially. */
const trickyKeys = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'prototype', ''];

const text = fc.oneof(fc.string({ maxLength: 12 }), fc.string({ maxLength: 12, unit: 'binary' }));
const key = fc.oneof(text, fc.constantFrom(...trickyKeys));

/** JSON values with tricky keys, as `JSON.parse` would build them (own `__proto__` keys included). */
const jsonValue = fc.jsonValue({ maxDepth: 4, depthSize: 'small' }) as fc.Arbitrary<Json>;
export const json: fc.Arbitrary<Json> = fc.oneof(
  { weight: 3, arbitrary: jsonValue },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...trickyKeys), jsonValue).map(([tricky, value]) => JSON.parse(`{${JSON.stringify(tricky)}:${JSON.stringify(value)}}`) as Json) },
);

/** A label key within the limits; an empty key is not one. */
const labelKey = fc.oneof(fc.string({ minLength: 1, maxLength: 20 }), fc.constantFrom('__proto__', 'constructor', 'app.kubernetes.io/version'));

/** Labels as an edge would send them, parsed from text so a `__proto__` key is an own entry. */
const labels = fc.array(fc.tuple(labelKey, fc.string({ maxLength: 20 })), { maxLength: 4 }).map((entries) => JSON.parse(JSON.stringify(Object.fromEntries(entries))) as Record<string, string>);

/** A valid report of one of `destinations`, without its seq. */
export function reportTemplate(destinations: readonly string[]): fc.Arbitrary<Omit<StatusReport, 'seq'>> {
  return fc
    .record(
      {
        destination: fc.constantFrom(...destinations),
        ref: fc.constantFrom(...refs),
        observedAt: fc.date({ min: new Date('2026-01-01T00:00:00Z'), max: new Date('2027-01-01T00:00:00Z'), noInvalidDate: true }).map((date) => date.toISOString()),
        metadata: fc.record({ generation: fc.nat(), labels, annotations: fc.dictionary(text, text, { maxKeys: 3 }) }, { requiredKeys: [] }),
        spec: fc.dictionary(key, json, { maxKeys: 4 }),
        status: json,
      },
      { requiredKeys: ['destination', 'ref', 'observedAt'] },
    )
    .map((report) => report as Omit<StatusReport, 'seq'>);
}

/** What a hostile value did to the code that read it: every call of its code is counted. */
export interface Tripwires {
  calls: number;
}

/** Nested `depth` arrays deep, built without recursion. */
export function nestedArray(depth: number): unknown[] {
  let value: unknown[] = [];
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

/**
 * Values that are not JSON: each builder makes a fresh one whose code, if any of it runs,
 * increments `trip.calls` (and throws, so running it also fails the reader loudly).
 */
export function hostileLeaves(trip: Tripwires): (() => unknown)[] {
  const sprung = () => {
    trip.calls++;
    throw new RangeError('hostile code ran');
  };
  const cyclic = () => {
    const value: Record<string, unknown> = { a: [1] };
    (value.a as unknown[]).push(value);
    return value;
  };
  return [
    () => undefined,
    () => () => 1,
    () => Symbol('s'),
    () => 10n,
    () => NaN,
    () => -Infinity,
    cyclic,
    () => nestedArray(20_000),
    () => ({ toJSON: sprung }),
    () => Object.defineProperty({}, 'x', { enumerable: true, get: sprung }),
    () => new Proxy({}, { get: sprung, ownKeys: sprung, getOwnPropertyDescriptor: sprung, getPrototypeOf: sprung, has: sprung }),
    () => new Proxy([], { get: sprung, ownKeys: sprung, getOwnPropertyDescriptor: sprung, getPrototypeOf: sprung }),
    () => new Date(0),
    () => new Map([['a', 1]]),
    () => new Uint8Array(3),
    () => Object.assign(Object.create({ inherited: true }) as object, { a: 1 }),
    () => {
      const sparse = [1, 2, 3];
      delete sparse[1];
      return sparse;
    },
    () => 'x'.repeat(70_000),
  ];
}

/**
 * An item that must be rejected: a valid report with one field replaced by a value that is not
 * JSON (or the whole item replaced by one), or anything fast-check makes up.
 */
export function poisonedItem(template: fc.Arbitrary<Omit<StatusReport, 'seq'>>, trip: Tripwires): fc.Arbitrary<() => unknown> {
  const leaves = hostileLeaves(trip);
  const mandatory = ['destination', 'ref', 'observedAt', 'seq'] as const;
  return fc.oneof(
    fc.tuple(template, fc.constantFrom('status', 'spec', ...mandatory), fc.nat({ max: leaves.length - 1 })).map(([report, field, leaf]) => () => {
      const value = leaves[leaf]!();
      // undefined is a valid absent status or spec: only a mandatory field makes it poison.
      if (value === undefined) return { ...report, seq: undefined };
      return { ...report, seq: 1, ...(field === 'spec' ? { spec: { x: value } } : { [field]: value }) };
    }),
    fc.nat({ max: leaves.length - 1 }).map((leaf) => () => leaves[leaf]!()),
    fc.tuple(template, fc.nat({ max: leaves.length - 1 })).map(([report, leaf]) => () => {
      const value = leaves[leaf]!();
      return Object.defineProperty({ ...report, seq: 1 }, 'status', { enumerable: true, get: () => (trip.calls++, value) });
    }),
    fc
      .anything({ maxDepth: 3, withBigInt: true, withBoxedValues: true, withDate: true, withMap: true, withSet: true, withNullPrototype: true, withObjectString: true, withTypedArray: true, withSparseArray: true, stringUnit: 'binary' })
      .map((value) => () => value),
  );
}

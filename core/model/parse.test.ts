import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../errors.js';
import { parseReports, refKey, reportKey, type ValidatedReport } from './parse.js';
import { DestinationSchema, Limits } from './schemas.js';

const report = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  destination: 'edge-1',
  ref: { group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'shop', name: 'web' },
  seq: 1,
  observedAt: '2026-11-24T09:59:00Z',
  ...extra,
});

const nested = (depth: number, leaf: string) => `${'['.repeat(depth)}${leaf}${']'.repeat(depth)}`;

/** One item through the batch validation: its report, or its rejection. */
function parseReport(item: unknown): { ok: true; report: ValidatedReport } | { ok: false; code: string; issues: readonly { path: string; message: string }[] } {
  const { accepted, rejected } = parseReports([item]);
  return accepted[0] !== undefined ? { ok: true, report: accepted[0] } : { ok: false, code: rejected[0]!.code, issues: rejected[0]!.issues };
}

function rejection(item: unknown) {
  const outcome = parseReport(item);
  expect(outcome.ok).toBe(false);
  return outcome.ok ? undefined! : outcome;
}

describe('status reports without status', () => {
  it('reads an absent status as null, as objects without status (ConfigMap, Namespace, CRDs) send them', () => {
    const outcome = parseReport(report({ ref: { group: '', version: 'v1', kind: 'ConfigMap', namespace: 'shop', name: 'settings' } }));
    expect(outcome).toMatchObject({ ok: true, report: { status: null } });
  });
});

describe('deeply nested reports', () => {
  for (const field of ['status', 'spec'] as const) {
    it(`rejects a ${field} nested 20,000 levels deep by field path, without overflowing the stack`, () => {
      const value = JSON.parse(nested(20_000, '1')) as unknown;
      const outcome = rejection(report(field === 'status' ? { status: value } : { spec: { x: value } }));
      expect(outcome.code).toBe(ErrorCodes.InvalidReport);
      expect(outcome.issues).toHaveLength(1);
      expect(outcome.issues[0]!.path.startsWith(field === 'status' ? 'status[0][0]' : 'spec.x[0][0]')).toBe(true);
      expect(outcome.issues[0]!.message).toBe('nested deeper than 64 levels');
    });
  }

  it('accepts a status nested exactly as deep as the limit allows', () => {
    expect(parseReport(report({ status: JSON.parse(nested(65, '1')) as unknown })).ok).toBe(true);
    expect(parseReport(report({ status: JSON.parse(nested(66, '1')) as unknown })).ok).toBe(false);
  });
});

describe('keys are data', () => {
  const line = '{"destination":"edge-1","ref":{"group":"apps","version":"v1","kind":"Deployment","namespace":"shop","name":"web"},"seq":1,"observedAt":"2026-11-24T09:59:00Z",' +
    '"metadata":{"labels":{"__proto__":"evil","app":"web"},"annotations":{"__proto__":"note"}},"spec":{"__proto__":{"replicas":3}},"status":{"__proto__":{"ready":true}}}';

  it('keeps __proto__ keys of labels, annotations, spec and status as entries', () => {
    const outcome = parseReport(JSON.parse(line));
    if (!outcome.ok) expect.unreachable(JSON.stringify(outcome.issues));
    const { metadata, spec, status } = outcome.report;
    expect(Object.keys(metadata!.labels!)).toEqual(['__proto__', 'app']);
    expect(metadata!.labels!['__proto__']).toBe('evil');
    expect(Object.keys(metadata!.annotations!)).toEqual(['__proto__']);
    expect(JSON.stringify(spec)).toBe('{"__proto__":{"replicas":3}}');
    expect(JSON.stringify(status)).toBe('{"__proto__":{"ready":true}}');
  });

  it('gives labels no prototype, so a label lookup finds nothing but labels', () => {
    const outcome = parseReport(JSON.parse(line));
    const labels = outcome.ok ? outcome.report.metadata!.labels! : {};
    expect(labels['constructor']).toBeUndefined();
    expect(labels['toString']).toBeUndefined();
    const destination = DestinationSchema.parse(JSON.parse('{"id":"edge-1","parent":"site-1","labels":{"__proto__":"x"}}'));
    expect(Object.keys(destination.labels)).toEqual(['__proto__']);
  });
});

describe('the report size limit', () => {
  const big = (n: number) => 'x'.repeat(n);

  for (const field of ['spec', 'metadata', 'status'] as const) {
    const value = field === 'spec' ? { blob: big(40_000) } : field === 'metadata' ? { annotations: { blob: big(40_000) } } : { blob: big(40_000) };
    it(`names ${field} when it is the largest part of an oversize report`, () => {
      const others = field === 'status' ? { spec: { a: big(30_000) } } : { status: { a: big(30_000) } };
      const outcome = rejection(report({ [field]: value, ...others }));
      expect(outcome.issues).toHaveLength(1);
      expect(outcome.issues[0]!.path).toBe(field);
      expect(outcome.issues[0]!.message).toMatch(new RegExp(`above the ${Limits.reportBytes} byte limit; ${field} is the largest part`));
    });
  }

  it('names a part that alone is above the limit, without walking all of it', () => {
    const outcome = rejection(report({ spec: { blob: big(10_000_000) } }));
    expect(outcome.issues).toEqual([{ path: 'spec', message: `spec alone is larger than the ${Limits.reportBytes} byte limit of a report body` }]);
  });
});

describe('values that are not JSON', () => {
  let sprungCalls = 0;
  const sprung = () => {
    sprungCalls++;
    throw new RangeError('the caller\'s code ran');
  };
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  const hostile: [string, () => unknown, string, RegExp][] = [
    ['undefined', () => report({ status: { a: undefined } }), 'status.a', /undefined is not a JSON value/],
    ['a function', () => report({ status: { f: () => 1 } }), 'status.f', /function is not a JSON value/],
    ['a Symbol', () => report({ status: [Symbol('s')] }), 'status[0]', /symbol is not a JSON value/],
    ['a BigInt', () => report({ seq: 1n }), 'seq', /expected number, received bigint/],
    ['a cycle', () => report({ status: cyclic }), 'status.self', /cycle/],
    ['a throwing getter', () => Object.defineProperty(report(), 'status', { enumerable: true, get: sprung }), 'status', /getter/],
    ['a Proxy', () => report({ status: new Proxy({}, { ownKeys: sprung, get: sprung, getPrototypeOf: sprung }) }), 'status', /Proxy/],
    ['a Proxy as the report', () => new Proxy(report(), { get: sprung, ownKeys: sprung, getPrototypeOf: sprung }), '', /Proxy/],
    // Never called (see the tripwire below), so a toJSON that never returns cannot hang a reader.
    ['a toJSON', () => report({ status: { toJSON: sprung } }), 'status.toJSON', /function is not a JSON value/],
    ['a Date', () => report({ observedAt: new Date() }), 'observedAt', /a Date is not a JSON value/],
    ['a class instance', () => report({ status: new (class Status {})() }), 'status', /a Status is not a JSON value/],
  ];
  for (const [what, make, path, message] of hostile) {
    it(`rejects ${what} by field path without running the caller's code`, () => {
      sprungCalls = 0;
      const outcome = rejection(make());
      expect(outcome.issues[0]).toMatchObject({ path });
      expect(outcome.issues[0]!.message).toMatch(message);
      expect(sprungCalls).toBe(0);
    });
  }

  it('copies an accepted report, so the caller changing its object later changes nothing', () => {
    const status = { conditions: [{ type: 'Ready' }] };
    const outcome = parseReport(report({ status }));
    status.conditions[0]!.type = 'Changed';
    expect(outcome).toMatchObject({ ok: true, report: { status: { conditions: [{ type: 'Ready' }] } } });
  });

  it('gives every item of a batch one outcome, holes and getters included', () => {
    const items: unknown[] = [report(), 7];
    items[3] = report({ seq: 3 });
    Object.defineProperty(items, 4, { enumerable: true, get: () => report() });
    const result = parseReports(items);
    expect(result.positions).toEqual([0, 3]);
    expect(result.rejected.map((r) => [r.index, r.issues[0]!.message])).toEqual([
      [1, expect.stringContaining('expected object')],
      [2, 'missing item (a hole in the batch array)'],
      [4, 'a getter or setter is not a report'],
    ]);
  });
});

describe('object identity', () => {
  it('keeps refs apart whose fields differ only in where a slash falls', () => {
    const a = { group: 'a', version: 'v1', kind: 'b/c', name: 'x' };
    const b = { group: 'a/b', version: 'v1', kind: 'c', name: 'x' };
    expect(refKey(a)).not.toBe(refKey(b));
    expect(reportKey({ destination: 'edge-1', ref: a })).not.toBe(reportKey({ destination: 'edge-1', ref: b }));
  });
});

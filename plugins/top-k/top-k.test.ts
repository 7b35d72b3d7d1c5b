import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { z } from 'zod';
import type { Json, ReducerContext, StatusReport } from '../../core/contract.js';
import plugin, { type TopKAcc, type TopKOptions } from './index.js';

const seed = 20261124;

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}

function ctx(options: Partial<TopKOptions> = {}): ReducerContext<TopKOptions> {
  return { options: { field: 'status.restarts', ...options }, binding: 'b', level: { id: 'site-1', kind: 'site' }, now: '2026-11-24T10:00:00Z' };
}

interface ReportSpec {
  destination?: string;
  group?: string;
  kind?: string;
  name?: string;
  namespace?: string | null;
  observedAt?: string;
  restarts?: unknown;
  status?: Json;
}

/** A frozen report; `restarts` goes to `status.restarts`, `undefined` leaves it out. */
function report(spec: ReportSpec = {}): StatusReport {
  const namespace = spec.namespace === null ? {} : { namespace: spec.namespace ?? 'shop' };
  return deepFreeze({
    destination: spec.destination ?? 'edge-0001',
    ref: { group: spec.group ?? 'apps', version: 'v1', kind: spec.kind ?? 'Deployment', ...namespace, name: spec.name ?? 'web' },
    seq: 1,
    observedAt: spec.observedAt ?? '2026-11-24T10:00:00Z',
    metadata: { generation: 1 },
    status: spec.status ?? (spec.restarts === undefined ? {} : { restarts: spec.restarts }),
  } as StatusReport);
}

function fold(reports: readonly StatusReport[], c = ctx()): TopKAcc {
  return reports.reduce((acc, r) => plugin.add(acc, r, c), plugin.init(c));
}

/** Merges copies left to right, freezing each right-hand side so a mutation of it throws. */
function merge(accs: readonly TopKAcc[], c = ctx()): TopKAcc {
  if (accs.length === 0) return plugin.init(c);
  return accs.slice(1).reduce((acc, next) => plugin.merge(acc, deepFreeze(structuredClone(next)), c), structuredClone(accs[0]!));
}

const finished = (acc: TopKAcc, c = ctx()): string => JSON.stringify(plugin.finish(structuredClone(acc), c));

const reportsArb = fc
  .uniqueArray(
    fc.record({
      destination: fc.constantFrom('edge-1', 'edge-2', 'edge-3', 'edge-4', 'edge-5'),
      group: fc.constantFrom('apps', ''),
      kind: fc.constantFrom('Deployment', 'StatefulSet'),
      namespace: fc.constantFrom('shop', 'ops', null),
      name: fc.constantFrom('web', 'api'),
      observedAt: fc.constantFrom('2026-11-24T10:00:00Z', '2026-11-24T09:59:00Z'),
      restarts: fc.oneof(
        { weight: 4, arbitrary: fc.integer({ min: -3, max: 6 }) },
        { weight: 1, arbitrary: fc.double({ min: -10, max: 10, noNaN: true }) },
        { weight: 1, arbitrary: fc.constantFrom('5', null, true, { n: 1 }, [1], undefined) },
      ),
    }),
    { selector: (s) => `${s.destination}/${s.group}/${s.kind}/${s.namespace}/${s.name}`, maxLength: 40 },
  )
  .map((specs) => specs.map((s) => report(s)));

const optionsArb = fc.record({ k: fc.integer({ min: 1, max: 6 }), order: fc.constantFrom<'asc' | 'desc'>('asc', 'desc') }, { requiredKeys: [] });

const ids = (acc: TopKAcc, c = ctx()) => plugin.finish(acc, c).items.map((item) => `${item.destination}/${item.namespace ?? '-'}/${item.name}=${item.value}`);

describe('top-k', () => {
  describe('behaviour', () => {
    it('keeps the k largest values, largest first, by default', () => {
      const c = ctx({ k: 2 });
      const acc = fold([3, 9, 1, 7].map((restarts, i) => report({ destination: `edge-${i}`, restarts })), c);
      expect(ids(acc, c)).toEqual(['edge-1/shop/web=9', 'edge-3/shop/web=7']);
    });

    it('keeps the k smallest values, smallest first, with order asc', () => {
      const c = ctx({ k: 2, order: 'asc' });
      const acc = fold([3, 9, -1, 7].map((restarts, i) => report({ destination: `edge-${i}`, restarts })), c);
      expect(ids(acc, c)).toEqual(['edge-2/shop/web=-1', 'edge-0/shop/web=3']);
    });

    it('keeps ten entries when k is not given', () => {
      const c = ctx();
      const acc = fold(Array.from({ length: 25 }, (_, i) => report({ destination: `edge-${String(i).padStart(2, '0')}`, restarts: i })), c);
      const summary = plugin.finish(acc, c);
      expect(summary.items.map((item) => item.value)).toEqual([24, 23, 22, 21, 20, 19, 18, 17, 16, 15]);
      expect(summary.considered).toBe(25);
    });

    it('breaks value ties by destination, then group, kind, namespace and name', () => {
      const c = ctx({ k: 10 });
      const reports = [
        report({ destination: 'b', restarts: 1 }),
        report({ destination: 'a', name: 'web', restarts: 1 }),
        report({ destination: 'a', name: 'api', restarts: 1 }),
        report({ destination: 'a', name: 'web', namespace: 'ops', restarts: 1 }),
        report({ destination: 'a', name: 'web', kind: 'StatefulSet', restarts: 1 }),
        report({ destination: 'a', name: 'web', group: '', kind: 'ReplicationController', restarts: 1 }),
      ];
      const expected = [
        { destination: 'a', kind: 'ReplicationController', namespace: 'shop', name: 'web' },
        { destination: 'a', kind: 'Deployment', namespace: 'ops', name: 'web' },
        { destination: 'a', kind: 'Deployment', namespace: 'shop', name: 'api' },
        { destination: 'a', kind: 'Deployment', namespace: 'shop', name: 'web' },
        { destination: 'a', kind: 'StatefulSet', namespace: 'shop', name: 'web' },
        { destination: 'b', kind: 'Deployment', namespace: 'shop', name: 'web' },
      ];
      for (const order of [reports, [...reports].reverse()]) {
        const items = plugin.finish(fold(order, c), c).items;
        expect(items.map(({ destination, kind, namespace, name }) => ({ destination, kind, namespace, name }))).toEqual(expected);
      }
    });

    it('omits namespace for cluster-scoped objects and ranks them before namespaced ties', () => {
      const c = ctx();
      const acc = fold([report({ destination: 'a', restarts: 2 }), report({ destination: 'a', kind: 'Deployment', namespace: null, restarts: 2 })], c);
      const items = plugin.finish(acc, c).items;
      expect(items[0]).toStrictEqual({ destination: 'a', kind: 'Deployment', name: 'web', value: 2, observedAt: '2026-11-24T10:00:00Z' });
      expect(Object.keys(items[0]!)).toEqual(['destination', 'kind', 'name', 'value', 'observedAt']);
      expect(Object.keys(items[1]!)).toEqual(['destination', 'kind', 'namespace', 'name', 'value', 'observedAt']);
    });

    const skipped: { name: string; status: Json }[] = [
      { name: 'a missing field', status: {} },
      { name: 'a numeric string', status: { restarts: '5' } },
      { name: 'null', status: { restarts: null } },
      { name: 'a boolean', status: { restarts: true } },
      { name: 'an object', status: { restarts: { count: 3 } } },
      { name: 'an array', status: { restarts: [3] } },
      { name: 'a status that is not an object', status: 'CrashLoopBackOff' },
    ];
    for (const { name, status } of skipped) {
      it(`skips and counts ${name}`, () => {
        const c = ctx();
        const acc = fold([report({ destination: 'a', status }), report({ destination: 'b', restarts: 1 })], c);
        expect(plugin.finish(acc, c)).toMatchObject({ considered: 1, skipped: 1 });
        expect(ids(acc, c)).toEqual(['b/shop/web=1']);
      });
    }

    it('skips and counts non-finite numbers', () => {
      const c = ctx();
      const acc = fold([Infinity, -Infinity, NaN].map((restarts, i) => report({ destination: `edge-${i}`, restarts })), c);
      expect(plugin.finish(acc, c)).toStrictEqual({ items: [], considered: 0, skipped: 3 });
    });

    it('reads indexed field paths', () => {
      const c = ctx({ field: 'status.containerStatuses[0].restartCount' });
      const acc = fold([report({ destination: 'a', status: { containerStatuses: [{ restartCount: 4 }] } }), report({ destination: 'b', status: { containerStatuses: [] } })], c);
      expect(plugin.finish(acc, c)).toMatchObject({ items: [{ destination: 'a', value: 4 }], considered: 1, skipped: 1 });
    });

    it('matches sorting every usable report and keeping the first k', () => {
      fc.assert(
        fc.property(reportsArb, optionsArb, (reports, options) => {
          const c = ctx(options);
          const sign = options.order === 'asc' ? 1 : -1;
          const usable = reports.filter((r) => typeof (r.status as { restarts?: unknown }).restarts === 'number');
          const value = (r: StatusReport) => (r.status as { restarts: number }).restarts;
          const key = (r: StatusReport) => [r.destination, r.ref.group, r.ref.kind, r.ref.namespace === undefined ? '' : `~${r.ref.namespace}`, r.ref.name].join('\u0000');
          const expected = [...usable]
            .sort((a, b) => (value(a) - value(b)) * sign || (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0))
            .slice(0, options.k ?? 10)
            .map((r) => `${r.destination}|${r.ref.group}|${r.ref.kind}|${r.ref.namespace}|${r.ref.name}`);
          const acc = fold(reports, c);
          expect(acc.items.map((e) => `${e.destination}|${e.group}|${e.kind}|${e.namespace ?? undefined}|${e.name}`)).toEqual(expected);
          expect(acc.considered + acc.skipped).toBe(reports.length);
        }),
        { seed, numRuns: 300 },
      );
    });
  });

  describe('laws', () => {
    it('has init() as the identity of merge', () => {
      fc.assert(
        fc.property(reportsArb, optionsArb, (reports, options) => {
          const c = ctx(options);
          const acc = fold(reports, c);
          expect(plugin.merge(plugin.init(c), structuredClone(acc), c)).toStrictEqual(acc);
          expect(plugin.merge(structuredClone(acc), deepFreeze(plugin.init(c)), c)).toStrictEqual(acc);
        }),
        { seed, numRuns: 200 },
      );
    });

    it('merges commutatively, byte for byte', () => {
      fc.assert(
        fc.property(reportsArb, reportsArb, optionsArb, (xs, ys, options) => {
          const c = ctx(options);
          const [a, b] = [fold(xs, c), fold(ys, c)];
          expect(merge([a, b], c)).toStrictEqual(merge([b, a], c));
          expect(finished(merge([a, b], c), c)).toBe(finished(merge([b, a], c), c));
        }),
        { seed, numRuns: 200 },
      );
    });

    it('merges associatively, byte for byte', () => {
      fc.assert(
        fc.property(reportsArb, reportsArb, reportsArb, optionsArb, (xs, ys, zs, options) => {
          const c = ctx(options);
          const [a, b, d] = [fold(xs, c), fold(ys, c), fold(zs, c)];
          const left = merge([merge([a, b], c), d], c);
          const right = merge([a, merge([b, d], c)], c);
          expect(left).toStrictEqual(right);
          expect(finished(left, c)).toBe(finished(right, c));
        }),
        { seed, numRuns: 200 },
      );
    });

    it('finishes the same bytes for any partition and order of the reports', () => {
      fc.assert(
        fc.property(
          reportsArb.chain((reports) =>
            fc.tuple(fc.constant(reports), fc.array(fc.nat(3), { minLength: reports.length, maxLength: reports.length }), fc.shuffledSubarray(reports, { minLength: reports.length })),
          ),
          fc.array(fc.nat(), { minLength: 4, maxLength: 4 }),
          optionsArb,
          ([reports, parts, shuffled], mergeOrder, options) => {
            const c = ctx(options);
            const buckets: StatusReport[][] = [[], [], [], []];
            shuffled.forEach((r) => buckets[parts[reports.indexOf(r)]!]!.push(r));
            const order = [0, 1, 2, 3].sort((i, j) => mergeOrder[i]! - mergeOrder[j]! || i - j);
            const partials = order.map((i) => JSON.parse(JSON.stringify(fold(buckets[i]!, c))) as TopKAcc);
            expect(finished(merge(partials, c), c)).toBe(finished(fold(reports, c), c));
          },
        ),
        { seed, numRuns: 300 },
      );
    });

    it('keeps at most k entries however many reports and merges', () => {
      fc.assert(
        fc.property(fc.array(reportsArb, { maxLength: 6 }), optionsArb, (groups, options) => {
          const c = ctx(options);
          const acc = merge(groups.map((g) => fold(g, c)), c);
          expect(acc.items.length).toBeLessThanOrEqual(options.k ?? 10);
        }),
        { seed, numRuns: 200 },
      );
    });

    it('never mutates the reports it reads', () => {
      // Reports are deep-frozen, so a write would throw in strict mode.
      const c = ctx({ k: 1 });
      const acc = fold([report({ destination: 'a', restarts: 1 }), report({ destination: 'b', restarts: 2 }), report({ destination: 'c' })], c);
      expect(plugin.finish(acc, c)).toMatchObject({ considered: 2, skipped: 1 });
    });

    it('gives only finite numbers for empty input', () => {
      const c = ctx();
      expect(plugin.finish(merge([plugin.init(c), plugin.init(c)], c), c)).toStrictEqual({ items: [], considered: 0, skipped: 0 });
    });
  });

  describe('options schema', () => {
    const schema = z.fromJSONSchema(plugin.options!);

    it('accepts a field alone and every documented option', () => {
      expect(schema.safeParse({ field: 'status.restarts' }).success).toBe(true);
      expect(schema.safeParse({ field: 'status.restarts', k: 1000, order: 'asc' }).success).toBe(true);
    });

    it('rejects a missing field, unknown options and out-of-range values', () => {
      for (const bad of [{}, { field: 'x', k: 0 }, { field: 'x', k: 1001 }, { field: 'x', k: 2.5 }, { field: 'x', order: 'up' }, { field: 'x', limit: 3 }]) {
        expect(schema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
      }
    });
  });

  it('produces the summary shown in the README', () => {
    const readme = readFileSync(new URL('./README.md', import.meta.url), 'utf8');
    const block = /```json example\n([\s\S]*?)```/.exec(readme);
    expect(block).not.toBeNull();
    const example = JSON.parse(block![1]!) as { options: TopKOptions; reports: StatusReport[]; summary: unknown };
    const c = ctx(example.options);
    expect(plugin.finish(fold(example.reports.map(deepFreeze), c), c)).toStrictEqual(example.summary);
  });
});

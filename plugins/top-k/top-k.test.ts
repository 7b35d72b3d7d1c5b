import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { z } from 'zod';
import type { Json, ReducerContext, StatusReport } from '../../core/contract.js';
import { checkReducerLaws, deepFreeze } from '../../core/testing/index.js';
import { foldWith, mergeWith, runReducerReadmeExample } from '../../test/support/reducers.js';
import plugin, { type TopKAcc, type TopKOptions } from './index.js';

const seed = 20261124;

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

const fold = (reports: readonly StatusReport[], c = ctx()): TopKAcc => foldWith(plugin, reports, c);
const merge = (accs: readonly TopKAcc[], c = ctx()): TopKAcc => mergeWith(plugin, accs, c);

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
    // The conformance suite (test/conformance) checks every law on generic reports; these
    // arbitraries add what top-k cares about: value ties, odd values and every k and order.
    it('keeps the reducer laws on ties, non-numeric values and any k and order', () => {
      fc.assert(
        fc.property(reportsArb, optionsArb, (reports, options) => {
          expect(checkReducerLaws(plugin, { options: { field: 'status.restarts', ...options }, reports, maxAccBytes: 200 * (options.k ?? 10) + 100 })).toEqual([]);
        }),
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
    const { actual, shown } = runReducerReadmeExample(plugin, new URL('./README.md', import.meta.url));
    expect(actual).toStrictEqual(shown);
  });
});

import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { z } from 'zod';
import type { JsonObject, ReducerContext, StatusReport } from '../../core/contract.js';
import { checkReducerLaws, deepFreeze } from '../../core/testing/index.js';
import { foldWith, mergeWith, runReducerReadmeExample } from '../../test/support/reducers.js';
import plugin, { type VersionHistogramAcc, type VersionHistogramOptions } from './index.js';

const seed = 20261124;

function ctx(options: VersionHistogramOptions = {}): ReducerContext<VersionHistogramOptions> {
  return { options, binding: 'b', level: { id: 'site-1', kind: 'site' }, now: '2026-11-24T10:00:00Z' };
}

interface ReportSpec {
  destination?: string;
  name?: string;
  namespace?: string | null;
  version?: unknown;
  metadata?: JsonObject;
  status?: JsonObject;
}

/** A frozen report; `version` goes into the default label, `undefined` leaves the label out. */
function report(spec: ReportSpec = {}): StatusReport {
  const labels = spec.version === undefined ? {} : { 'app.kubernetes.io/version': spec.version };
  const namespace = spec.namespace === null ? {} : { namespace: spec.namespace ?? 'shop' };
  return deepFreeze({
    destination: spec.destination ?? 'edge-0001',
    ref: { group: 'apps', version: 'v1', kind: 'Deployment', ...namespace, name: spec.name ?? 'web' },
    seq: 1,
    observedAt: '2026-11-24T10:00:00Z',
    metadata: spec.metadata ?? { generation: 1, labels: labels as Record<string, string> },
    status: spec.status ?? {},
  } as StatusReport);
}

const fold = (reports: readonly StatusReport[], c = ctx()): VersionHistogramAcc => foldWith(plugin, reports, c);
const merge = (accs: readonly VersionHistogramAcc[], c = ctx()): VersionHistogramAcc => mergeWith(plugin, accs, c);

const finished = (acc: VersionHistogramAcc, c = ctx()): string => JSON.stringify(plugin.finish(structuredClone(acc), c));

const versionArb = fc.oneof(
  fc.constantFrom('1.0.0', '1.1.0', '2.0.0', 'v3', '', '<none>', '<other>', '__proto__', 'constructor'),
  fc.constantFrom(1, 2.5, true, null, { major: 1 }, ['1.0']),
  fc.constant(undefined),
);

const reportsArb = fc
  .uniqueArray(
    fc.record({
      destination: fc.constantFrom('edge-1', 'edge-2', 'edge-3', 'edge-4', 'edge-5', 'edge-6'),
      name: fc.constantFrom('web', 'api', 'node-agent'),
      namespace: fc.constantFrom('shop', 'ops', null),
      version: versionArb,
    }),
    { selector: (s) => `${s.destination}/${s.namespace}/${s.name}`, maxLength: 40 },
  )
  .map((specs) => specs.map((s) => report(s)));

const optionsArb: fc.Arbitrary<VersionHistogramOptions> = fc.record(
  { missing: fc.constantFrom('<none>', 'unknown', '1.0.0'), top: fc.integer({ min: 1, max: 4 }) },
  { requiredKeys: [] },
);

describe('version-histogram', () => {
  describe('behaviour', () => {
    const cases: { name: string; options?: VersionHistogramOptions; reports: StatusReport[]; summary: unknown }[] = [
      {
        name: 'counts destinations per version, most frequent first',
        reports: [
          report({ destination: 'a', version: '1.1.0' }),
          report({ destination: 'b', version: '1.0.0' }),
          report({ destination: 'c', version: '1.1.0' }),
        ],
        summary: { versions: { '1.1.0': 2, '1.0.0': 1 }, total: 3 },
      },
      {
        name: 'breaks count ties by version ascending',
        reports: [report({ destination: 'a', version: 'b' }), report({ destination: 'b', version: 'a' })],
        summary: { versions: { a: 1, b: 1 }, total: 2 },
      },
      {
        name: 'counts reports without the field under the missing label',
        reports: [report({ destination: 'a' }), report({ destination: 'b', version: '2.0.0' })],
        summary: { versions: { '2.0.0': 1, '<none>': 1 }, total: 2 },
      },
      {
        name: 'uses the configured missing label',
        options: { missing: 'unlabelled' },
        reports: [report({ destination: 'a', metadata: {} })],
        summary: { versions: { unlabelled: 1 }, total: 1 },
      },
      {
        name: 'stringifies numbers and booleans',
        options: { field: 'status.version' },
        reports: [
          report({ destination: 'a', status: { version: 2 } }),
          report({ destination: 'b', status: { version: true } }),
          report({ destination: 'c', status: { version: 2 } }),
        ],
        summary: { versions: { '2': 2, true: 1 }, total: 3 },
      },
      {
        name: 'counts objects, arrays, null and empty strings as missing',
        options: { field: 'status.version' },
        reports: [
          report({ destination: 'a', status: { version: { major: 1 } } }),
          report({ destination: 'b', status: { version: ['1'] } }),
          report({ destination: 'c', status: { version: null } }),
          report({ destination: 'd', status: { version: '' } }),
        ],
        summary: { versions: { '<none>': 4 }, total: 4 },
      },
      {
        name: 'reads any field path, including indexed ones',
        options: { field: 'status.containers[0].image' },
        reports: [report({ destination: 'a', status: { containers: [{ image: 'web:1.2' }] } }), report({ destination: 'b', status: { containers: [] } })],
        summary: { versions: { '<none>': 1, 'web:1.2': 1 }, total: 2 },
      },
      {
        name: 'lumps versions beyond top into <other>',
        options: { top: 2 },
        reports: [
          report({ destination: 'a', version: '3' }),
          report({ destination: 'b', version: '3' }),
          report({ destination: 'c', version: '3' }),
          report({ destination: 'd', version: '2' }),
          report({ destination: 'e', version: '2' }),
          report({ destination: 'f', version: '1' }),
          report({ destination: 'g', version: '0' }),
        ],
        summary: { versions: { '3': 3, '2': 2, '<other>': 2 }, total: 7 },
      },
      {
        name: 'adds no <other> when every version fits in top',
        options: { top: 5 },
        reports: [report({ destination: 'a', version: '1.0.0' })],
        summary: { versions: { '1.0.0': 1 }, total: 1 },
      },
      {
        name: 'shares one bucket between missing reports and a version spelled like the missing label',
        reports: [report({ destination: 'a', version: '<none>' }), report({ destination: 'b' })],
        summary: { versions: { '<none>': 2 }, total: 2 },
      },
      {
        name: 'keeps versions named like Object.prototype members as plain data',
        reports: [
          report({ destination: 'a', version: '__proto__' }),
          report({ destination: 'b', version: '__proto__' }),
          report({ destination: 'c', version: 'constructor' }),
        ],
        summary: JSON.parse('{"versions":{"__proto__":2,"constructor":1},"total":3}'),
      },
      {
        name: 'counts cluster-scoped objects like namespaced ones',
        reports: [report({ destination: 'a', namespace: null, version: '1.0.0' }), report({ destination: 'b', version: '1.0.0' })],
        summary: { versions: { '1.0.0': 2 }, total: 2 },
      },
      {
        name: 'gives an empty histogram for no reports',
        options: { top: 1 },
        reports: [],
        summary: { versions: {}, total: 0 },
      },
    ];

    for (const { name, options, reports, summary } of cases) {
      it(name, () => {
        const c = ctx(options);
        expect(plugin.finish(fold(reports, c), c)).toStrictEqual(summary);
      });
    }

    it('orders the summary keys by count descending, then version ascending', () => {
      const c = ctx();
      const reports = ['b', 'c', 'a', 'c', 'b', 'd'].map((version, i) => report({ destination: `edge-${i}`, version: `v-${version}` }));
      expect(Object.keys(plugin.finish(fold(reports, c), c).versions)).toEqual(['v-b', 'v-c', 'v-a', 'v-d']);
    });

    it('keeps the accumulator exact whatever top is, so merged partials lump correctly', () => {
      const c = ctx({ top: 1 });
      const left = fold([report({ destination: 'a', version: 'x' }), report({ destination: 'b', version: 'x' }), report({ destination: 'c', version: 'y' })], c);
      const right = fold([report({ destination: 'd', version: 'y' }), report({ destination: 'e', version: 'y' })], c);
      expect(plugin.finish(merge([left, right], c), c)).toStrictEqual({ versions: { y: 3, '<other>': 2 }, total: 5 });
    });
  });

  describe('remove', () => {
    it('retracts a report exactly and drops buckets that reach zero', () => {
      const c = ctx();
      const old = report({ destination: 'a', version: '1.0.0' });
      const acc = fold([old, report({ destination: 'b', version: '2.0.0' })], c);
      plugin.remove!(acc, old, c);
      plugin.add(acc, report({ destination: 'a', version: '2.0.0' }), c);
      expect(acc).toStrictEqual({ versions: { '2.0.0': 2 }, missing: 0 });
    });

    it('ignores a retraction of a report that was never added', () => {
      const c = ctx();
      const acc = fold([report({ destination: 'a', version: '1.0.0' })], c);
      plugin.remove!(acc, report({ destination: 'z', version: '9.9.9' }), c);
      plugin.remove!(acc, report({ destination: 'z' }), c);
      expect(plugin.finish(acc, c)).toStrictEqual({ versions: { '1.0.0': 1 }, total: 1 });
    });

    it('undoes add: remove(add(acc, r), r) equals acc', () => {
      fc.assert(
        fc.property(reportsArb, fc.nat(), (reports, pick) => {
          fc.pre(reports.length > 0);
          const c = ctx();
          const target = reports[pick % reports.length]!;
          const rest = reports.filter((r) => r !== target);
          const acc = plugin.remove!(fold(reports, c), target, c);
          expect(acc).toStrictEqual(fold(rest, c));
          expect(finished(acc, c)).toBe(finished(fold(rest, c), c));
        }),
        { seed, numRuns: 200 },
      );
    });
  });

  describe('laws', () => {
    // The conformance suite (test/conformance) checks every law on generic reports; these
    // arbitraries add versions named like Object.prototype members, non-string values and `top`.
    it('keeps the reducer laws, retraction included, on exotic versions and any missing label and top', () => {
      fc.assert(
        fc.property(reportsArb, optionsArb, (reports, options) => {
          expect(checkReducerLaws(plugin, { options, reports })).toEqual([]);
        }),
        { seed, numRuns: 300 },
      );
    });

    it('gives only finite numbers for empty input', () => {
      const c = ctx({ top: 3 });
      const summary = plugin.finish(merge([plugin.init(c), plugin.init(c)], c), c);
      expect(summary).toStrictEqual({ versions: {}, total: 0 });
      expect(Number.isFinite(summary.total)).toBe(true);
    });
  });

  describe('options schema', () => {
    const schema = z.fromJSONSchema(plugin.options!);

    it('accepts no options and every documented option', () => {
      expect(schema.safeParse({}).success).toBe(true);
      expect(schema.safeParse({ field: 'status.version', missing: 'unknown', top: 5 }).success).toBe(true);
    });

    it('rejects unknown options and out-of-range values', () => {
      for (const bad of [{ fields: 'x' }, { top: 0 }, { top: 1.5 }, { field: '' }, { missing: 3 }]) {
        expect(schema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
      }
    });
  });

  it('produces the summary shown in the README', () => {
    const { actual, shown } = runReducerReadmeExample(plugin, new URL('./README.md', import.meta.url));
    expect(actual).toStrictEqual(shown);
  });
});

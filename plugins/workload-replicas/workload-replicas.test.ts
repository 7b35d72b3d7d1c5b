import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { z } from 'zod';
import type { Json, JsonObject, ReducerContext, StatusReport } from '../../core/contract.js';
import { reducerRetractsWith } from '../../core/pipeline/index.js';
import { checkReducerLaws, deepFreeze } from '../../core/testing/index.js';
import { foldWith, mergeWith } from '../../test/support/reducers.js';
import plugin, { type WorkloadReplicasAcc, type WorkloadReplicasOptions } from './index.js';

const seed = 20261124;

function ctx(options: WorkloadReplicasOptions = {}): ReducerContext<WorkloadReplicasOptions> {
  return { options, binding: 'b', level: { id: 'site-1', kind: 'site' }, now: '2026-11-24T10:00:00Z' };
}

const divided = ctx({ mode: 'divided' });
const replicated = ctx({ mode: 'replicated' });

/** A frozen report of the `shop/web` Deployment at `destination`. */
function report(destination: string, status: Json, generation: number | null = 3, namespace: string | null = 'shop'): StatusReport {
  return deepFreeze({
    destination,
    ref: { group: 'apps', version: 'v1', kind: 'Deployment', ...(namespace === null ? {} : { namespace }), name: 'web' },
    seq: 1,
    observedAt: '2026-11-24T10:00:00Z',
    metadata: generation === null ? {} : { generation },
    spec: { replicas: 3 },
    status,
  } as StatusReport);
}

/** A healthy, caught-up status with `n` replicas. */
const healthy = (n: number, observedGeneration = 3): JsonObject => ({
  observedGeneration,
  replicas: n,
  readyReplicas: n,
  updatedReplicas: n,
  availableReplicas: n,
});

const fold = (reports: readonly StatusReport[], c = divided): WorkloadReplicasAcc => foldWith(plugin, reports, c);
const merge = (accs: readonly WorkloadReplicasAcc[], c = divided): WorkloadReplicasAcc => mergeWith(plugin, accs, c);

function expectFiniteNumbers(value: unknown): void {
  if (typeof value === 'number') expect(Number.isFinite(value)).toBe(true);
  else if (typeof value === 'object' && value !== null) Object.values(value).forEach(expectFiniteNumbers);
}

const countArb = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 5 }) },
  { weight: 1, arbitrary: fc.constantFrom(-1, 1.5, '3', true, null) },
);
const conditionArb = fc.record({
  type: fc.constantFrom('Progressing', 'Available'),
  reason: fc.constantFrom('ProgressDeadlineExceeded', 'NewReplicaSetAvailable', 'MinimumReplicasAvailable'),
  status: fc.constantFrom('True', 'False'),
});
const statusArb: fc.Arbitrary<Json> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record(
      {
        observedGeneration: countArb,
        replicas: countArb,
        readyReplicas: countArb,
        updatedReplicas: countArb,
        availableReplicas: countArb,
        unavailableReplicas: countArb,
        conditions: fc.oneof({ weight: 5, arbitrary: fc.array(conditionArb, { maxLength: 3 }) }, { weight: 1, arbitrary: fc.constantFrom('bad', [7]) }),
      },
      { requiredKeys: [] },
    ) as fc.Arbitrary<Json>,
  },
  { weight: 1, arbitrary: fc.constantFrom<Json>(null, 'Pending', [1]) },
);

const reportsArb = fc
  .uniqueArray(
    fc.record({
      destination: fc.constantFrom('edge-1', 'edge-2', 'edge-3', 'edge-4', 'edge-5', 'edge-6', 'edge-7', 'edge-8'),
      status: statusArb,
      generation: fc.constantFrom(1, 2, 3, null),
      namespace: fc.constantFrom('shop', null),
    }),
    { selector: (s) => s.destination, maxLength: 8 },
  )
  .map((specs) => specs.map((s) => report(s.destination, s.status, s.generation, s.namespace)));

const optionsArb = fc.constantFrom<WorkloadReplicasOptions>({}, { mode: 'divided' }, { mode: 'replicated' });

describe('workload-replicas', () => {
  describe('divided mode', () => {
    it('is the default mode', () => {
      const acc = fold([report('a', healthy(2))]);
      expect(plugin.finish(acc, ctx())).toStrictEqual(plugin.finish(acc, divided));
    });

    const cases: { name: string; reports: StatusReport[]; summary: JsonObject }[] = [
      {
        name: 'sums replica counts over destinations',
        reports: [report('a', healthy(2)), report('b', { ...healthy(3), readyReplicas: 1, availableReplicas: 1, unavailableReplicas: 2 })],
        summary: { mode: 'divided', destinations: 2, replicas: 5, readyReplicas: 3, updatedReplicas: 5, availableReplicas: 3, unavailableReplicas: 2, observedLatestGeneration: true, malformed: 0 },
      },
      {
        name: 'reports the latest generation unobserved while one destination lags',
        reports: [report('a', healthy(1)), report('b', healthy(1, 2))],
        summary: { mode: 'divided', destinations: 2, replicas: 2, readyReplicas: 2, updatedReplicas: 2, availableReplicas: 2, unavailableReplicas: 0, observedLatestGeneration: false, malformed: 0 },
      },
      {
        name: 'accepts an observed generation ahead of the reported generation',
        reports: [report('a', healthy(1, 4))],
        summary: { mode: 'divided', destinations: 1, replicas: 1, readyReplicas: 1, updatedReplicas: 1, availableReplicas: 1, unavailableReplicas: 0, observedLatestGeneration: true, malformed: 0 },
      },
      {
        name: 'counts a destination without metadata.generation as not observed',
        reports: [report('a', healthy(1)), report('b', healthy(1), null)],
        summary: { mode: 'divided', destinations: 2, replicas: 2, readyReplicas: 2, updatedReplicas: 2, availableReplicas: 2, unavailableReplicas: 0, observedLatestGeneration: false, malformed: 0 },
      },
      {
        name: 'counts a destination without status.observedGeneration as not observed',
        reports: [report('a', { replicas: 1 })],
        summary: { mode: 'divided', destinations: 1, replicas: 1, readyReplicas: 0, updatedReplicas: 0, availableReplicas: 0, unavailableReplicas: 0, observedLatestGeneration: false, malformed: 0 },
      },
      {
        name: 'reads missing counts as 0, as Kubernetes omits zero counts',
        reports: [report('a', { observedGeneration: 3, replicas: 2, unavailableReplicas: 2 }), report('b', null)],
        summary: { mode: 'divided', destinations: 2, replicas: 2, readyReplicas: 0, updatedReplicas: 0, availableReplicas: 0, unavailableReplicas: 2, observedLatestGeneration: false, malformed: 0 },
      },
      {
        name: 'summarizes cluster-scoped objects like namespaced ones',
        reports: [report('a', healthy(2), 3, null), report('b', healthy(2))],
        summary: { mode: 'divided', destinations: 2, replicas: 4, readyReplicas: 4, updatedReplicas: 4, availableReplicas: 4, unavailableReplicas: 0, observedLatestGeneration: true, malformed: 0 },
      },
      {
        name: 'gives zeros and observedLatestGeneration false for no destinations',
        reports: [],
        summary: { mode: 'divided', destinations: 0, replicas: 0, readyReplicas: 0, updatedReplicas: 0, availableReplicas: 0, unavailableReplicas: 0, observedLatestGeneration: false, malformed: 0 },
      },
    ];
    for (const { name, reports, summary } of cases) {
      it(name, () => {
        const result = plugin.finish(fold(reports, divided), divided);
        expect(result).toStrictEqual(summary);
        expect(Object.keys(result)).toEqual(Object.keys(summary));
      });
    }
  });

  describe('replicated mode', () => {
    const cases: { name: string; reports: StatusReport[]; summary: JsonObject }[] = [
      {
        name: 'takes the weakest destination: minimum counts, maximum unavailable',
        reports: [
          report('a', healthy(3)),
          report('b', { observedGeneration: 2, replicas: 3, readyReplicas: 1, updatedReplicas: 2, availableReplicas: 1, unavailableReplicas: 2 }),
          report('c', { ...healthy(4), unavailableReplicas: 1 }),
        ],
        summary: { mode: 'replicated', destinations: 3, replicas: 3, readyReplicas: 1, updatedReplicas: 2, availableReplicas: 1, unavailableReplicas: 2, observedGeneration: 2, progressDeadlineExceeded: false, malformed: 0 },
      },
      {
        name: 'flags progressDeadlineExceeded when any destination reports it',
        reports: [
          report('a', healthy(3)),
          report('b', { ...healthy(3), conditions: [{ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' }, { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }] }),
        ],
        summary: { mode: 'replicated', destinations: 2, replicas: 3, readyReplicas: 3, updatedReplicas: 3, availableReplicas: 3, unavailableReplicas: 0, observedGeneration: 3, progressDeadlineExceeded: true, malformed: 0 },
      },
      {
        name: 'ignores ProgressDeadlineExceeded on a condition other than Progressing',
        reports: [report('a', { ...healthy(1), conditions: [{ type: 'Available', status: 'False', reason: 'ProgressDeadlineExceeded' }, { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' }] })],
        summary: { mode: 'replicated', destinations: 1, replicas: 1, readyReplicas: 1, updatedReplicas: 1, availableReplicas: 1, unavailableReplicas: 0, observedGeneration: 3, progressDeadlineExceeded: false, malformed: 0 },
      },
      {
        name: 'reads missing counts and observedGeneration as 0',
        reports: [report('a', healthy(2)), report('b', { replicas: 2 })],
        summary: { mode: 'replicated', destinations: 2, replicas: 2, readyReplicas: 0, updatedReplicas: 0, availableReplicas: 0, unavailableReplicas: 0, observedGeneration: 0, progressDeadlineExceeded: false, malformed: 0 },
      },
      {
        name: 'gives zero minimums for no destinations',
        reports: [],
        summary: { mode: 'replicated', destinations: 0, replicas: 0, readyReplicas: 0, updatedReplicas: 0, availableReplicas: 0, unavailableReplicas: 0, observedGeneration: 0, progressDeadlineExceeded: false, malformed: 0 },
      },
    ];
    for (const { name, reports, summary } of cases) {
      it(name, () => {
        const result = plugin.finish(fold(reports, replicated), replicated);
        expect(result).toStrictEqual(summary);
        expect(Object.keys(result)).toEqual(Object.keys(summary));
      });
    }
  });

  describe('bad data', () => {
    const cases: { name: string; status: Json; generation?: unknown }[] = [
      { name: 'a count given as a string', status: { ...healthy(2), readyReplicas: '2' } },
      { name: 'a negative count', status: { ...healthy(2), availableReplicas: -1 } },
      { name: 'a fractional count', status: { ...healthy(2), updatedReplicas: 1.5 } },
      { name: 'a status that is not an object', status: 'Running' },
      { name: 'a status that is an array', status: [healthy(2)] },
      { name: 'conditions that are not an array', status: { ...healthy(2), conditions: { type: 'Progressing' } } },
      { name: 'a condition that is not an object', status: { ...healthy(2), conditions: ['Progressing'] } },
      { name: 'a generation that is not a number', status: healthy(2), generation: 'three' },
    ];
    for (const { name, status, generation } of cases) {
      it(`reads ${name} as missing and counts the destination as malformed`, () => {
        const bad = deepFreeze({ ...report('b', status), metadata: { generation: generation ?? 3 } } as StatusReport);
        for (const c of [divided, replicated]) {
          const summary = plugin.finish(fold([report('a', healthy(2)), bad], c), c);
          expect(summary).toMatchObject({ destinations: 2, malformed: 1 });
          expectFiniteNumbers(summary);
        }
      });
    }

    it('counts one malformed destination once however many fields are wrong', () => {
      const summary = plugin.finish(fold([report('a', { replicas: 'x', readyReplicas: 'y', conditions: 3 })]), divided);
      expect(summary).toMatchObject({ destinations: 1, replicas: 0, readyReplicas: 0, malformed: 1 });
    });
  });

  describe('laws', () => {
    it('keeps one accumulator for both modes', () => {
      fc.assert(
        fc.property(reportsArb, (reports) => {
          expect(fold(reports, divided)).toStrictEqual(fold(reports, replicated));
        }),
        { seed, numRuns: 100 },
      );
    });

    // The conformance suite (test/conformance) checks every law on generic reports; these
    // arbitraries add malformed counts, generations and conditions, in both modes.
    it('keeps the reducer laws on malformed counts, generations and conditions', () => {
      fc.assert(
        fc.property(reportsArb, optionsArb, (reports, options) => {
          expect(checkReducerLaws(plugin, { options, reports, maxAccBytes: 600, retracts: reducerRetractsWith(plugin, options as Json) })).toEqual([]);
        }),
        { seed, numRuns: 300 },
      );
    });

    it('gives only finite numbers, for empty input too', () => {
      fc.assert(
        fc.property(reportsArb, optionsArb, (reports, options) => {
          const c = ctx(options);
          expectFiniteNumbers(plugin.finish(fold(reports, c), c));
          expectFiniteNumbers(plugin.finish(merge([plugin.init(c), plugin.init(c)], c), c));
        }),
        { seed, numRuns: 100 },
      );
    });
  });

  describe('remove', () => {
    it('in divided mode, takes any report out again: the summary is that of the others', () => {
      fc.assert(
        fc.property(reportsArb, fc.nat(), (reports, pick) => {
          fc.pre(reports.length > 0);
          const i = pick % reports.length;
          const rest = reports.filter((_, j) => j !== i);
          const retracted = plugin.remove!(fold(reports), deepFreeze(reports[i]!), divided);
          expect(plugin.finish(retracted, divided)).toEqual(plugin.finish(fold(rest), divided));
        }),
        { seed, numRuns: 200 },
      );
    });

    it('is declared exact for divided mode only: the minimums of replicated mode cannot be retracted', () => {
      expect(reducerRetractsWith(plugin, {})).toBe(true);
      expect(reducerRetractsWith(plugin, { mode: 'divided' })).toBe(true);
      expect(reducerRetractsWith(plugin, { mode: 'replicated' })).toBe(false);
    });
  });

  describe('options schema', () => {
    const schema = z.fromJSONSchema(plugin.options!);

    it('accepts no options and both modes', () => {
      for (const good of [{}, { mode: 'divided' }, { mode: 'replicated' }]) expect(schema.safeParse(good).success).toBe(true);
    });

    it('rejects unknown modes and unknown options', () => {
      for (const bad of [{ mode: 'sum' }, { mode: 1 }, { modes: 'divided' }]) expect(schema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    });
  });

  it('produces the summaries shown in the README', () => {
    const readme = readFileSync(new URL('./README.md', import.meta.url), 'utf8');
    const block = /```json example\n([\s\S]*?)```/.exec(readme);
    expect(block).not.toBeNull();
    const example = JSON.parse(block![1]!) as { reports: StatusReport[]; summaries: { divided: unknown; replicated: unknown } };
    const acc = fold(example.reports.map(deepFreeze));
    expect(plugin.finish(structuredClone(acc), divided)).toStrictEqual(example.summaries.divided);
    expect(plugin.finish(structuredClone(acc), replicated)).toStrictEqual(example.summaries.replicated);
  });
});

/**
 * One conformance suite for every built-in reducer (as Hono runs one test file against every
 * runtime): the reducer laws of `edgesum/plugin`, checked by `checkReducerLaws` from
 * `core/testing` on report batches fast-check generates. A plugin author runs the same checks.
 */
import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defineReducer, type Json, type JsonObject, type StatusReport } from '../../core/contract.js';
import { reducerRetractsWith } from '../../core/pipeline/index.js';
import { checkReducerLaws, deepFreeze, type ReducerLaw } from '../../core/testing/index.js';
import { fleetBindings, fleetReports, fleetTopology } from '../../core/sim/fleet.js';
import { describeConformance, loadBuiltins } from './builtins.js';

const seed = 20261124;
const { reducers } = await loadBuiltins();

/**
 * Options per built-in reducer (valid per each README), one run of the suite per entry. Options
 * that read the generated fields, so every reducer does real work on the batches.
 */
const reducerOptions: Readonly<Record<string, readonly JsonObject[]>> = {
  aggregate: [
    { fields: { copies: { op: 'COUNT' } } },
    {
      filter: [{ path: 'ref.kind', op: '!=', value: 'Namespace' }],
      groupBy: [
        { name: 'kind', path: 'ref.kind' },
        { name: 'version', path: 'metadata.labels["app.kubernetes.io/version"]' },
      ],
      // Every op, over integers (readyReplicas), floats (cpu) and values of the wrong type.
      fields: { n: { op: 'COUNT' }, ready: { op: 'SUM', path: 'status.readyReplicas' }, cpu: { op: 'AVG', path: 'status.cpu' }, low: { op: 'MIN', path: 'status.cpu' }, high: { op: 'MAX', path: 'status.replicas' } },
      limit: 3,
    },
  ],
  drift: [{}, { examples: 1 }],
  health: [{}, { examples: 1 }],
  'top-k': [{ field: 'status.readyReplicas' }, { field: 'status.cpu', k: 3, order: 'asc' }],
  'version-histogram': [{}, { field: 'status.phase', missing: 'unknown', top: 2 }],
  'workload-replicas': [{ mode: 'divided' }, { mode: 'replicated' }],
};

/**
 * Generated batches hold at most 40 reports, about 12 KB of JSON; a reducer that keeps reports
 * instead of bounded state goes over this.
 */
const maxAccBytes = 6_000;

const numberArb: fc.Arbitrary<Json> = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0, max: 5 }) },
  { weight: 2, arbitrary: fc.double({ min: -100, max: 100, noNaN: true, noDefaultInfinity: true }) },
  { weight: 1, arbitrary: fc.constantFrom<Json>('3', null, true, -1, { n: 1 }) },
);
const conditionArb = fc.record({
  type: fc.constantFrom('Progressing', 'Available', 'Ready'),
  status: fc.constantFrom('True', 'False', 'Unknown'),
  reason: fc.constantFrom('ProgressDeadlineExceeded', 'NewReplicaSetAvailable', 'MinimumReplicasAvailable'),
});
const statusArb: fc.Arbitrary<Json> = fc.oneof(
  {
    weight: 10,
    arbitrary: fc.record(
      {
        observedGeneration: numberArb,
        replicas: numberArb,
        readyReplicas: numberArb,
        updatedReplicas: numberArb,
        availableReplicas: numberArb,
        unavailableReplicas: numberArb,
        cpu: numberArb,
        phase: fc.constantFrom('Running', 'Pending', 'Active', 'Succeeded'),
        conditions: fc.array(conditionArb, { maxLength: 3 }),
      },
      { requiredKeys: [] },
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom<Json>(null, 'Pending', [1]) },
);
const refArb = fc.constantFrom(
  { group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'shop', name: 'web' },
  { group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'ops', name: 'api' },
  { group: 'apps', version: 'v1', kind: 'StatefulSet', namespace: 'shop', name: 'db' },
  { group: '', version: 'v1', kind: 'Pod', namespace: 'shop', name: 'web-1' },
  { group: '', version: 'v1', kind: 'Namespace', name: 'shop' },
  { group: 'example.com', version: 'v1', kind: 'Widget', name: 'w' },
);
const reportArb: fc.Arbitrary<StatusReport> = fc.record(
  {
    destination: fc.constantFrom(...Array.from({ length: 12 }, (_, i) => `edge-${String(i + 1).padStart(2, '0')}`)),
    ref: refArb,
    seq: fc.nat(1000),
    observedAt: fc.constantFrom('2026-11-24T10:00:00Z', '2026-11-24T09:59:00Z', '2026-11-24T10:00:00.5Z'),
    metadata: fc.record(
      {
        generation: fc.constantFrom(1, 2, 3),
        labels: fc.record({ 'app.kubernetes.io/version': fc.constantFrom('1.0.0', '1.1.0', '2.0.0', '__proto__', ''), tier: fc.constantFrom('canary', 'general') }, { requiredKeys: [] }),
        deletionTimestamp: fc.constantFrom(null, '2026-11-24T09:00:00Z'),
      },
      { requiredKeys: [] },
    ),
    spec: fc.record({ replicas: numberArb, paused: fc.boolean() }, { requiredKeys: [] }),
    status: statusArb,
  },
  { requiredKeys: ['destination', 'ref', 'seq', 'observedAt', 'status'] },
);

/** A batch as the host delivers it (one report per destination and object), and maybe a partition of it into up to 5 sites. */
const batchArb = fc
  .uniqueArray(reportArb, { selector: (r) => `${r.destination}|${r.ref.kind}|${r.ref.namespace}|${r.ref.name}`, maxLength: 40 })
  .chain((reports) =>
    fc.record({
      reports: fc.constant(reports),
      sites: fc.option(fc.array(fc.nat(4), { minLength: reports.length, maxLength: reports.length }), { nil: undefined }),
    }),
  )
  .map(({ reports, sites }) => ({
    reports,
    partitions: sites === undefined ? undefined : [0, 1, 2, 3, 4].map((site) => reports.filter((_, i) => sites[i] === site)),
  }));

describeConformance('reducer', reducers, reducerOptions, {
  known: ['aggregate', 'health', 'top-k', 'version-histogram', 'workload-replicas'],
  behaviour: 'keeps every law on no reports at the center, and on generated batches and partitions',
  check: (plugin, options) => {
    // As the host decides: a reducer retracts for the options its `retractsWhen` accepts.
    const retracts = reducerRetractsWith(plugin, options);
    expect(checkReducerLaws(plugin, { options, reports: [], retracts, level: { id: 'center', kind: 'center' } })).toEqual([]);
    fc.assert(
      fc.property(batchArb, ({ reports, partitions }) => {
        expect(checkReducerLaws(plugin, { options, reports, partitions, retracts, maxAccBytes })).toEqual([]);
      }),
      { seed, numRuns: 100 },
    );
  },
});

// ---------------------------------------------------------------------------------------------
// The checks themselves: each broken reducer must be caught, so the suite cannot pass vacuously.
// ---------------------------------------------------------------------------------------------

type Count = { n: number };

/** A lawful reducer: counts reports. The broken ones below each break one law of it. */
const counter = defineReducer<JsonObject, Count, Count>({
  name: 'count',
  version: '0.0.0',
  init: () => ({ n: 0 }),
  add: (acc) => ({ n: acc.n + 1 }),
  remove: (acc) => ({ n: acc.n - 1 }),
  merge: (a, b) => ({ n: a.n + b.n }),
  finish: (acc) => ({ n: acc.n }),
});

function report(destination: string, status: Json = { ready: 1 }): StatusReport {
  return { destination, ref: { group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'shop', name: 'web' }, seq: 1, observedAt: '2026-11-24T10:00:00Z', status };
}

const reports = ['edge-1', 'edge-2', 'edge-3', 'edge-4', 'edge-5'].map((d) => report(d));

/** An add that counts like `counter` after writing to the report's status with `write`. */
function writingAdd(write: (status: object) => unknown): (acc: Count, r: StatusReport) => Count {
  return (acc, r) => {
    write(r.status as object);
    return { n: acc.n + 1 };
  };
}

const broken: { name: string; law: ReducerLaw; plugin: typeof counter; maxAccBytes?: number; partitions?: StatusReport[][] }[] = [
  {
    name: 'a merge that keeps the right-hand side only',
    law: 'commutativity',
    plugin: { ...counter, merge: (a, b) => (b.n > 0 ? { n: b.n } : { n: a.n }) },
  },
  {
    name: 'a merge that subtracts',
    law: 'associativity',
    plugin: { ...counter, merge: (a, b) => ({ n: a.n - b.n }) },
  },
  {
    name: 'an init that is not the identity of merge',
    law: 'identity',
    plugin: { ...counter, init: () => ({ n: 1 }) },
  },
  { name: 'an add that writes to its report', law: 'no-mutation', plugin: { ...counter, add: writingAdd((status) => Object.assign(status, { seen: true })) } },
  // Reflect.set returns false on a frozen object instead of throwing, as assignments in sloppy-mode code do.
  { name: 'an add that writes to its report without throwing on frozen ones', law: 'no-mutation', plugin: { ...counter, add: writingAdd((status) => Reflect.set(status, 'seen', true)) } },
  {
    name: 'a merge that empties its second accumulator',
    law: 'no-mutation',
    plugin: {
      ...counter,
      merge: (a, b) => {
        a.n += b.n;
        b.n = 0;
        return a;
      },
    },
  },
  {
    name: 'an add whose result depends on the order of reports',
    law: 'order-insensitivity',
    plugin: { ...counter, add: (acc, r) => ({ n: acc.n * 2 + Number(r.destination.slice(-1)) }) },
  },
  {
    name: 'a finish that reads the level',
    law: 'level-independence',
    plugin: { ...counter, finish: (acc, ctx) => ({ n: ctx.level.kind === 'center' ? acc.n : -acc.n }) },
  },
  {
    name: 'a remove that does not undo add',
    law: 'retraction',
    plugin: { ...counter, remove: (acc) => acc },
  },
  {
    name: 'a summary that is not JSON',
    law: 'json-round-trip',
    plugin: { ...counter, finish: (acc) => ({ n: acc.n / 0 }) },
  },
  {
    name: 'an accumulator that grows with every report',
    law: 'bounded-size',
    plugin: { ...counter, add: (acc) => ({ n: acc.n + 1, pad: 'x'.repeat(100 * (acc.n + 1)) }) as Count },
    maxAccBytes: 200,
  },
  {
    name: 'an add that throws',
    law: 'hooks',
    plugin: {
      ...counter,
      add: () => {
        throw new RangeError('boom');
      },
    },
  },
  {
    name: 'partitions that are not a partition of the reports',
    law: 'arguments',
    plugin: counter,
    partitions: [reports.slice(0, 2)],
  },
];

describe('checkReducerLaws', () => {
  it('finds nothing wrong with a lawful reducer', () => {
    expect(checkReducerLaws(counter, { options: {}, reports, maxAccBytes: 100 })).toEqual([]);
  });

  for (const { name, law, plugin, maxAccBytes: bound, partitions } of broken) {
    it(`reports ${law} for ${name}`, () => {
      const violations = checkReducerLaws(plugin, { options: {}, reports, partitions, maxAccBytes: bound });
      expect(violations.map((v) => v.law)).toContain(law);
      for (const v of violations) expect(v.message).toEqual(expect.any(String));
    });
  }

  it('returns the same violations every time, and neither changes nor freezes the reports it is given', () => {
    const given = reports.map((r) => structuredClone(r));
    const first = checkReducerLaws(broken[0]!.plugin, { options: {}, reports: given });
    expect(checkReducerLaws(broken[0]!.plugin, { options: {}, reports: given })).toEqual(first);
    expect(given).toEqual(reports);
    expect(Object.isFrozen(given[0])).toBe(false);
  });

  it('returns a violation instead of throwing when the plugin is not a reducer at all', () => {
    expect(checkReducerLaws({} as typeof counter, { options: {}, reports }).map((v) => v.law)).toEqual(['hooks', 'hooks', 'hooks', 'hooks']);
  });
});

describe('core/testing', () => {
  it('imports nothing but the plugin contract and its own modules, so it runs under any test runner', () => {
    const dir = new URL('../../core/testing/', import.meta.url);
    for (const file of readdirSync(dir).filter((name) => name.endsWith('.ts'))) {
      // Without block comments: the TSDoc examples import `edgesum/testing` on purpose.
      const source = readFileSync(new URL(file, dir), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');
      for (const [, specifier] of source.matchAll(/(?:import|export)[^'";]*from\s+'([^']+)'/g)) {
        expect(specifier === '../contract.js' || /^\.\/[a-z-]+\.js$/.test(specifier!), `${file} imports ${specifier}`).toBe(true);
      }
    }
  });
});

describe('deepFreeze', () => {
  it('freezes nested objects and arrays, and returns its argument', () => {
    const value = { a: [{ b: 1 }], c: { d: 'e' } };
    expect(deepFreeze(value)).toBe(value);
    expect([value, value.a, value.a[0], value.c].every((v) => Object.isFrozen(v))).toBe(true);
    expect(() => {
      (value.a[0] as { b: number }).b = 2;
    }).toThrow(TypeError);
  });
});

// ---------------------------------------------------------------------------------------------
// Projection: the host sends each report cut down to the reducer's `reads`; on the demo fleet and
// the health fixtures every built-in must fold the cut-down reports into the same summary.
// ---------------------------------------------------------------------------------------------

describe('every built-in reducer declares all it reads', () => {
  const topology = fleetTopology({ regions: 2, sitesPerRegion: 2, destinations: 60 });
  const fixtures = readFileSync(new URL('../../plugins/health/fixtures/reports.jsonl', import.meta.url), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as StatusReport);
  const reports = deepFreeze([...fleetReports(topology, { seed, now: Date.parse('2026-06-01T12:00:00Z'), stale: 0.1, unhealthy: 0.3 }), ...fixtures]);
  const demo = fleetBindings().map((binding) => [binding.reducer.replace('builtin:', ''), (binding.options ?? {}) as JsonObject] as const);
  const table = [...Object.entries(reducerOptions).flatMap(([name, list]) => list.map((options) => [name, options] as const)), ...demo];
  it.each(table.map(([name, options]) => [name, JSON.stringify(options), options] as const))('builtin:%s with %s', (name, _shown, options) => {
    expect(checkReducerLaws(reducers.get(name)!, { options, reports, laws: ['reads'] })).toEqual([]);
  });

  it('catches a reducer that reads a field its reads leave out', () => {
    const sloppy = defineReducer<JsonObject, Count, Count>({ ...counter, reads: ['status'], add: (acc, report) => ({ n: acc.n + (report.metadata?.labels === undefined ? 0 : 1) }) });
    expect(checkReducerLaws(sloppy, { options: {}, reports, laws: ['reads'] }).map((violation) => violation.law)).toEqual(['reads']);
  });

  it('catches a reducer that reads observedAt or seq without listing it, in add and in remove', () => {
    const weight = (report: StatusReport): number => (report.seq > 1_000_000 ? 2 : 1);
    const bySeq = defineReducer<JsonObject, Count, Count>({ ...counter, reads: ['status'], add: (acc, report) => ({ n: acc.n + weight(report) }), remove: (acc, report) => ({ n: acc.n - weight(report) }) });
    expect(checkReducerLaws(bySeq, { options: {}, reports, laws: ['reads'] }).map((violation) => violation.message)).toEqual([
      expect.stringContaining('other `seq` and `observedAt` changes the summary'),
      expect.stringContaining("remove(add(A, r), r') ≠ A"),
    ]);
    const listed = defineReducer<JsonObject, Count, Count>({ ...bySeq, reads: ['status', 'seq'] });
    expect(checkReducerLaws(listed, { options: {}, reports, laws: ['reads'] })).toEqual([]);
    const removesBySeq = defineReducer<JsonObject, Count, Count>({ ...counter, reads: ['status'], add: (acc) => ({ n: acc.n + 1 }), remove: (acc, report) => ({ n: acc.n - (report.seq > 1_000_000 ? 2 : 1) }) });
    expect(checkReducerLaws(removesBySeq, { options: {}, reports, laws: ['reads'] }).map((violation) => violation.message)).toEqual([expect.stringContaining("remove(add(A, r), r') ≠ A")]);
  });

  it('reads the path an option holds, and the whole report when the option holds no path', () => {
    const byOption = defineReducer<JsonObject, Count, Count>({ ...counter, reads: [{ option: 'field' }], add: (acc, report) => ({ n: acc.n + (report.metadata?.labels === undefined ? 0 : 1) }) });
    expect(checkReducerLaws(byOption, { options: { field: 'metadata.labels' }, reports, laws: ['reads'] })).toEqual([]);
    expect(checkReducerLaws(byOption, { options: { field: 'status' }, reports, laws: ['reads'] }).map((violation) => violation.law)).toEqual(['reads']);
    expect(checkReducerLaws(byOption, { options: { field: 7 }, reports, laws: ['reads'] })).toEqual([]);
  });
});

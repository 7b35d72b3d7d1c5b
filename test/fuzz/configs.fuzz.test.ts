/**
 * Fuzzes the configuration surfaces a binding or rollout author controls: hostile `bindings` arrays
 * through `createHierarchy`, and hostile rollout specs through `startRollout`. Whatever the input,
 * the answer is a working hierarchy or a typed edgesum error, never a raw one, and a hierarchy that
 * refused a rollout keeps serving.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createHierarchy } from '../../app/container.js';
import { ManualClock } from '../../core/clock/index.js';
import type { Json } from '../../core/contract.js';
import { EdgesumError, ErrorCodes } from '../../core/errors.js';
import type { Hierarchy, TopologyInput } from '../../core/node/index.js';
import { SimulatedEdges } from '../../core/sim/edges.js';
import { InlineRunner } from '../../sandbox/inline.js';
import { deploymentReport, namespaceReport, smallTopology } from '../support/reports.js';

const seed = 20_261_124;

/** One center, one region, one site, two destinations: the cheapest hierarchy that has every kind of level. */
const tinyTopology: TopologyInput = {
  levels: [
    { id: 'center', kind: 'center' },
    { id: 'r1', kind: 'region', parent: 'center' },
    { id: 'r1-s1', kind: 'site', parent: 'r1' },
  ],
  destinations: [
    { id: 'edge-1-1-1', parent: 'r1-s1', labels: { region: 'r1', tier: 'canary' } },
    { id: 'edge-1-1-2', parent: 'r1-s1', labels: { region: 'r1', tier: 'general' } },
  ],
  workloads: smallTopology().workloads,
};

/** An object whose every property read throws, as a getter or a proxy in a caller's object may. */
const throwing = new Proxy(
  {},
  {
    get: () => {
      throw new TypeError('read trap');
    },
    ownKeys: () => {
      throw new TypeError('ownKeys trap');
    },
    getPrototypeOf: () => {
      throw new TypeError('getPrototypeOf trap');
    },
  },
);
const throwingGetter = {
  get name(): string {
    throw new TypeError('getter');
  },
};

/** Values JSON cannot carry, and values a careless caller passes anyway. */
const oddArb: fc.Arbitrary<unknown> = fc.constantFrom<unknown>(undefined, NaN, Infinity, -0, 1e308, -1, 0, 1.5, 2 ** 53, '', ' ', '\u0000', 'a'.repeat(5_000), () => 1, Symbol('s'), 10n, new Date(0), [], {}, null, true, throwing, throwingGetter);

/** Nested `levels` deep. */
function deep(levels: number): Json {
  let value: Json = 1;
  for (let i = 0; i < levels; i++) value = { a: value };
  return value;
}

const jsonArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 2, arbitrary: oddArb },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(deep(70), deep(2_000), { __proto__: { polluted: true } }, JSON.parse('{"__proto__": {"x": 1}}'), { constructor: 'x' }) },
);

/** Mostly a plausible value, sometimes a hostile one: most inputs then get past some checks. */
function mostly<T>(plausible: fc.Arbitrary<T>, hostile: fc.Arbitrary<unknown>, odds = 8): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: odds, arbitrary: plausible }, { weight: 1, arbitrary: hostile });
}

/** Options for whatever plugin: plausible ones, and any value at all. */
const optionsArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: fc.constant({}) },
  { weight: 3, arbitrary: fc.constantFrom<unknown>({ examples: 2 }, { field: 'status.phase' }, { field: 'status.x', k: 3 }, { mode: 'divided' }, { fields: { n: { op: 'COUNT' } } }, { cap: 1 }, { salt: 3 }, { bytes: 10, action: 'advance' }, { name: 'aaa' }, { name: `${'a'.repeat(40)}!` }) },
  { weight: 2, arbitrary: fc.dictionary(fc.constantFrom('field', 'k', 'examples', 'mode', 'top', 'missing', 'cap', 'name', 'fields', 'steps', 'x'), jsonArb, { maxKeys: 3 }) },
  { weight: 1, arbitrary: jsonArb },
);

/** Plugins by every way of naming one, good and bad; no module whose import has effects. */
const reducerArb = mostly(
  fc.constantFrom(
    'builtin:health',
    'builtin:version-histogram',
    'builtin:top-k',
    'builtin:aggregate',
    'builtin:workload-replicas',
    './test/fixtures/plugins/poison-count.ts',
    './test/fixtures/plugins/finish-throws.ts',
    './test/fixtures/plugins/non-json.ts',
    './test/fixtures/plugins/evil-schema.ts',
    './test/fixtures/plugins/deep-acc.ts',
  ),
  fc.constantFrom(
    'builtin:progressive',
    'builtin:nope',
    'builtin:',
    'builtin:../plugins/health',
    'builtin:HEALTH',
    './test/fixtures/plugins/everyone.ts',
    './test/fixtures/plugins/nope.ts',
    './test/fixtures/plugins',
    './core/contract.ts',
    './package.json',
    '/',
    '',
    '\u0000',
    'a'.repeat(3_000),
    7,
    null,
  ),
);

const policyArb = mostly(
  fc.constantFrom(
    'builtin:all-at-once',
    'builtin:progressive',
    'builtin:progressive-per-group',
    'builtin:waves',
    'builtin:maintenance-window',
    './test/fixtures/plugins/everyone.ts',
    './test/fixtures/plugins/rogue-policy.ts',
    './test/fixtures/plugins/throwing-policy.ts',
    './test/fixtures/plugins/memo-policy.ts',
  ),
  fc.constantFrom<unknown>('builtin:health', 'builtin:nope', './test/fixtures/plugins/poison-count.ts', './core/contract.ts', './nope.ts', '', 3),
);

const idArb = mostly(fc.constantFrom('count', 'health', 'versions', 'x', 'a.b', 'a-b_c', 'r1', 'r2', 'r3', 'ok'), fc.oneof(fc.constantFrom('', ' ', '-x', '__proto__', 'constructor', 'a/b', 'é', 'a'.repeat(300)), fc.string({ maxLength: 8 }), oddArb));

const durationArb = mostly(fc.constantFrom('90s', '5m', '1h30m', '0', '250ms', '1.5h'), fc.oneof(fc.constantFrom('9999999999999999h', `${'9'.repeat(400)}h`, '99999999999h', 'forever', '5', ''), oddArb));

const sizeArb = mostly(fc.oneof(fc.nat(20), fc.constantFrom('25%', '100%', '0%', '50%')), fc.oneof(fc.constantFrom<unknown>('150%', `${'9'.repeat(400)}%`, '1e3%', '%', -1, 1.5, 1e21, 2 ** 53), oddArb));

const bindingArb: fc.Arbitrary<unknown> = mostly(
  fc.record(
    {
      name: idArb,
      reducer: reducerArb,
      options: optionsArb,
      selector: mostly(
        fc.record({ workload: fc.constantFrom('web', 'shop-ns', 'nope'), kind: fc.constantFrom('Deployment', 'Namespace', ''), destinationLabels: mostly(fc.constant({ tier: 'canary' }), jsonArb) }, { requiredKeys: [] }),
        jsonArb,
      ),
      groupBy: mostly(fc.constantFrom<unknown>({ label: 'region' }, { field: 'status.phase' }, { field: 'metadata.labels["app"]' }), fc.oneof(fc.constantFrom<unknown>({ field: 'a..b' }, { label: '' }, { label: 'x', field: 'y' }), jsonArb)),
      staleAfter: durationArb,
      limits: mostly(fc.record({ timeMs: sizeArb, memoryBytes: sizeArb, stackBytes: sizeArb, outputBytes: sizeArb }, { requiredKeys: [] }), jsonArb),
      extra: jsonArb,
    },
    { requiredKeys: ['name', 'reducer'], noNullPrototype: true },
  ).map((binding) => {
    // An unknown key is refused by the strict schema: keep it in a few inputs only.
    const { extra, ...rest } = binding as Record<string, unknown>;
    return extra === undefined || typeof extra !== 'string' ? rest : { ...rest, extra };
  }),
  jsonArb,
);

const bindingsArb: fc.Arbitrary<unknown> = mostly(fc.array(bindingArb, { maxLength: 3 }), jsonArb);

/** Calls `run` and returns its value or the error, asserting that any error is a typed edgesum error. */
async function typed<T>(run: () => Promise<T>, input: unknown): Promise<{ value: T } | { error: EdgesumError }> {
  try {
    return { value: await run() };
  } catch (error) {
    if (!(error instanceof EdgesumError)) {
      const shown = (() => {
        try {
          return JSON.stringify(input)?.slice(0, 400);
        } catch {
          return String(input);
        }
      })();
      expect.fail(`a raw ${(error as Error)?.name ?? typeof error} escaped: ${(error as Error)?.message ?? String(error)}\ninput: ${shown}\n${(error as Error)?.stack ?? ''}`);
    }
    expect(Object.values(ErrorCodes)).toContain(error.code);
    return { error };
  }
}

/** Whether a hierarchy still ingests, folds, forwards, answers summaries and ticks. */
async function expectServing(hierarchy: Hierarchy, seq: number): Promise<void> {
  const result = hierarchy.ingest([deploymentReport('edge-1-1-1', { seq }), namespaceReport('edge-1-1-2', 'Active', seq)]);
  expect(result.rejected).toEqual([]);
  await hierarchy.settle();
  const summaries = await hierarchy.summaries();
  for (const summary of Object.values(summaries)) expect(summary.coverage.expected).toBeGreaterThanOrEqual(0);
  await hierarchy.tick();
  // A decision that failed failed in its plugin, never in the host acting on it.
  for (const node of hierarchy.nodes.values()) {
    for (const entry of node.rollouts.auditTrail()) {
      if (entry.error === null) continue;
      expect([ErrorCodes.PluginThrew, ErrorCodes.PluginOutput], entry.error.message).toContain(entry.error.code);
      if (entry.error.code === ErrorCodes.PluginThrew) expect(entry.error.message).toMatch(/\.decide threw at level|\.finish threw at level/);
    }
  }
}

describe('fuzzed binding configurations', () => {
  it('build a working hierarchy or fail with a typed error, for 10,000 hostile bindings arrays', async () => {
    const runner = new InlineRunner();
    const clock = new ManualClock();
    const outcomes = { built: 0, refused: new Map<string, number>() };
    await fc.assert(
      fc.asyncProperty(bindingsArb, async (bindings) => {
        const result = await typed(() => createHierarchy({ topology: tinyTopology, bindings: bindings as never }, { clock, runner }), bindings);
        if ('error' in result) {
          outcomes.refused.set(result.error.code, (outcomes.refused.get(result.error.code) ?? 0) + 1);
          return;
        }
        outcomes.built++;
        // A hierarchy that was built serves: a hostile plugin degrades its own binding, nothing more.
        if (outcomes.built % 20 === 1) await expectServing(result.value, outcomes.built);
      }),
      { seed, numRuns: 10_000 },
    );
    expect(outcomes.built).toBeGreaterThan(500);
    expect([...outcomes.refused.keys()]).toEqual(expect.arrayContaining([ErrorCodes.InvalidConfig, ErrorCodes.UnknownPlugin, ErrorCodes.InvalidOptions, ErrorCodes.PluginLoad]));
  });
});

describe('fuzzed rollout specs', () => {
  /** Spec fields are many: each is hostile rarely, so that a good share of specs start. */
  const rarely = <T>(plausible: fc.Arbitrary<T>, hostile: fc.Arbitrary<unknown>) => mostly(plausible, hostile, 25);
  const policyOptionsArb = mostly(fc.constantFrom<unknown>({}, {}, { cap: 1 }, { salt: 7 }, { bytes: 10, action: 'advance' }, { maxConcurrency: 1 }, { steps: ['50%', '100%'] }), optionsArb);
  const levelPolicyArb = rarely(fc.record({ policy: policyArb, options: policyOptionsArb }, { requiredKeys: ['policy'] }), jsonArb);
  const auditArb = rarely(fc.record({ maxEntries: fc.integer({ min: 1, max: 50 }), maxBytes: fc.integer({ min: 1, max: 100_000 }) }, { requiredKeys: [] }), fc.record({ maxEntries: sizeArb, maxBytes: sizeArb }, { requiredKeys: [] }));
  const specArb: fc.Arbitrary<unknown> = mostly(
    fc
      .record(
        {
          // Ids mostly unique, so that most specs get past the duplicate check.
          id: fc.tuple(idArb, fc.nat(1_000_000)).map(([id, n]) => (typeof id === 'string' && /^[A-Za-z0-9]/.test(id) ? `${id}-${n}` : id)),
          workload: rarely(fc.constantFrom('web', 'shop-ns'), fc.oneof(fc.constant('nope'), idArb)),
          version: rarely(fc.constantFrom('2.0.0', '3.0.0'), fc.oneof(fc.string({ maxLength: 4 }), fc.constantFrom('', 'v'.repeat(200)), oddArb)),
          previousVersion: rarely(fc.constant('1.0.0'), fc.oneof(fc.string({ maxLength: 4 }), oddArb)),
          selector: rarely(fc.constantFrom({ matchLabels: { region: 'r1' } }, { matchLabels: {} }, { matchLabels: { region: 'nowhere' } }), jsonArb),
          groups: rarely(fc.constantFrom([], [{ name: 'canary', matchLabels: { tier: 'canary' } }]), fc.oneof(fc.array(fc.record({ name: fc.string({ maxLength: 3 }), matchLabels: jsonArb }, { requiredKeys: [] }), { maxLength: 3 }), jsonArb)),
          childrenPerGroup: rarely(fc.oneof(fc.integer({ min: 0, max: 3 }), fc.constantFrom('50%', '100%')), sizeArb),
          policies: rarely(fc.record({ center: levelPolicyArb, region: levelPolicyArb, site: levelPolicyArb }, { requiredKeys: [] }), jsonArb),
          grants: rarely(
            fc.record({ region: rarely(fc.record({ maxStarted: sizeArb, for: durationArb }, { requiredKeys: [] }), jsonArb), site: rarely(fc.record({ maxStarted: sizeArb, for: durationArb }, { requiredKeys: [] }), jsonArb) }, { requiredKeys: [] }),
            jsonArb,
          ),
          summary: rarely(fc.constant('count'), fc.oneof(fc.constant('nope'), jsonArb)),
          audit: auditArb,
          status: rarely(fc.constantFrom({ versionPath: 'metadata.labels["v"]' }, {}), fc.oneof(fc.constant({ phasePath: 'a..b' }), jsonArb)),
        },
        { requiredKeys: ['id', 'workload', 'version', 'previousVersion'], noNullPrototype: true },
      ),
    jsonArb,
  );

  it('start or fail with a typed error, for 10,000 hostile specs, the hierarchy serving throughout', async () => {
    const clock = new ManualClock();
    const runner = new InlineRunner();
    const topology = tinyTopology;
    const build = () =>
      createHierarchy(
        { topology, bindings: [{ name: 'count', reducer: './test/fixtures/plugins/poison-count.ts' }] },
        { clock, runner, edgeAgent: new SimulatedEdges({ clock, seed, destinations: topology.destinations.map((d) => ({ ...d, labels: d.labels ?? {} })), applyDelayMs: [1_000, 5_000] }) },
      );
    let hierarchy = await build();
    let started = 0;
    let runs = 0;
    const refused = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(specArb, async (spec) => {
        runs++;
        const result = await typed(() => hierarchy.startRollout(spec as never), spec);
        if ('error' in result) refused.set(result.error.code, (refused.get(result.error.code) ?? 0) + 1);
        else started++;
        if (runs % 250 === 0) {
          // Every rollout started so far decides, whatever its spec held.
          clock.advance(60_000);
          await expectServing(hierarchy, runs);
          hierarchy = await build();
        }
      }),
      { seed, numRuns: 10_000 },
    );
    await expectServing(hierarchy, runs + 1);
    expect(started).toBeGreaterThan(500);
    expect([...refused.keys()]).toEqual(expect.arrayContaining([ErrorCodes.InvalidRollout, ErrorCodes.UnknownPlugin, ErrorCodes.InvalidOptions, ErrorCodes.PluginLoad]));
  });
});

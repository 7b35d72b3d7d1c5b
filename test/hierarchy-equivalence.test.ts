import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Json, StatusReport } from '../core/contract.js';
import { FilePluginCatalog } from '../core/catalog/index.js';
import { ManualClock, toIso } from '../core/clock/index.js';
import type { TopologyInput } from '../core/node/index.js';
import { createHierarchy } from '../app/container.js';
import { latestReports, reduceOnce } from '../core/pipeline/index.js';
import { seededRandom } from '../core/sim/fleet.js';
import { InlineRunner } from '../sandbox/inline.js';
import { builtinCases } from './support/builtins.js';

const refs = [
  { group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'shop', name: 'web' },
  { group: '', version: 'v1', kind: 'Namespace', name: 'shop' },
  { group: 'batch', version: 'v1', kind: 'Job', namespace: 'ops', name: 'migrate' },
];

const statusArb = fc.record(
  {
    observedGeneration: fc.integer({ min: 0, max: 3 }),
    replicas: fc.integer({ min: 0, max: 5 }),
    readyReplicas: fc.integer({ min: 0, max: 5 }),
    updatedReplicas: fc.integer({ min: 0, max: 5 }),
    availableReplicas: fc.integer({ min: 0, max: 5 }),
    unavailableReplicas: fc.integer({ min: 0, max: 5 }),
    cpu: fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true }),
    phase: fc.constantFrom('Active', 'Terminating', 'Running'),
    conditions: fc.array(
      fc.record({ type: fc.constantFrom('Available', 'Progressing', 'Ready', 'Complete', 'Failed'), status: fc.constantFrom('True', 'False', 'Unknown'), reason: fc.constantFrom('ProgressDeadlineExceeded', 'NewReplicaSetAvailable', 'X') }),
      { maxLength: 3 },
    ),
  },
  { requiredKeys: [] },
);

const caseArb = fc.record({
  regions: fc.integer({ min: 1, max: 3 }),
  sites: fc.integer({ min: 1, max: 3 }),
  destinations: fc.integer({ min: 1, max: 12 }),
  partitionSize: fc.integer({ min: 1, max: 6 }),
  bodies: fc.array(
    fc.record({
      destination: fc.nat(),
      ref: fc.nat(refs.length - 1),
      status: statusArb,
      generation: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
      version: fc.option(fc.constantFrom('1.0.0', '1.1.0', '2.0.0'), { nil: undefined }),
      hashes: fc.option(fc.record({ applied: fc.constantFrom('h1', 'h2'), rendered: fc.constantFrom('h1', 'h2') }), { nil: undefined }),
    }),
    { minLength: 0, maxLength: 80 },
  ),
  seed: fc.integer(),
});

function topologyOf(regions: number, sites: number, destinations: number, random: () => number): TopologyInput {
  const levels: TopologyInput['levels'] = [{ id: 'center', kind: 'center' }];
  const siteIds: string[] = [];
  for (let r = 0; r < regions; r++) {
    levels.push({ id: `r${r}`, kind: 'region', parent: 'center' });
    for (let s = 0; s < sites; s++) {
      levels.push({ id: `r${r}-s${s}`, kind: 'site', parent: `r${r}` });
      siteIds.push(`r${r}-s${s}`);
    }
  }
  const destinationList = Array.from({ length: destinations }, (_, i) => ({ id: `d${i}`, parent: siteIds[Math.floor(random() * siteIds.length)]!, labels: {} }));
  return { levels, destinations: destinationList };
}

describe('a 3-level hierarchy gives the same center summary as one flat reduction', () => {
  const catalog = new FilePluginCatalog();
  it('is checked for every built-in reducer', async () => {
    const runner = new InlineRunner();
    const reducers: string[] = [];
    for (const name of catalog.builtins()) {
      const loaded = await runner.loadReducer(catalog.resolve(`builtin:${name}`)).then(
        () => true,
        () => false,
      );
      if (loaded) reducers.push(`builtin:${name}`);
    }
    await runner.dispose();
    expect(reducers.length).toBeGreaterThan(0);
    expect([...new Set(builtinCases.map((builtin) => builtin.reducer))].sort()).toEqual(reducers.sort());
  });

  for (const builtin of builtinCases) {
    it(`for ${builtin.name}, under random topologies, partition sizes, batch splits and flush points`, async () => {
      const runner = new InlineRunner();
      const handle = await runner.loadReducer(catalog.resolve(builtin.reducer));
      await fc.assert(
        fc.asyncProperty(caseArb, async ({ regions, sites, destinations, partitionSize, bodies, seed }) => {
          const random = seededRandom(seed);
          const topology = topologyOf(regions, sites, destinations, random);
          const seqs = new Map<string, number>();
          const reports: StatusReport[] = bodies.map((body) => {
            const destination = `d${body.destination % destinations}`;
            const key = `${destination}/${body.ref}`;
            const seq = (seqs.get(key) ?? 0) + 1 + Math.floor(random() * 3);
            seqs.set(key, seq);
            const metadata: Record<string, Json> = {};
            if (body.generation !== undefined) metadata.generation = body.generation;
            if (body.version !== undefined) metadata.labels = { 'app.kubernetes.io/version': body.version };
            if (body.hashes !== undefined) metadata.annotations = { 'edgesum.io/applied-hash': body.hashes.applied, 'edgesum.io/rendered-hash': body.hashes.rendered };
            return { destination, ref: refs[body.ref]!, seq, observedAt: '2026-11-24T09:59:00Z', metadata, status: body.status as Json };
          });
          const shuffled = [...reports].sort(() => random() - 0.5);

          const clock = new ManualClock();
          const flat = await reduceOnce(handle, latestReports(reports).latest, { options: builtin.options, now: toIso(clock.now()) });
          const hierarchy = await createHierarchy(
            { topology, bindings: [{ name: 'b', reducer: builtin.reducer, options: builtin.options }] },
            { clock, runner, nodeOptions: { partitionSize, epoch: 1 } },
          );
          for (let i = 0; i < shuffled.length; ) {
            const size = 1 + Math.floor(random() * 10);
            const result = hierarchy.ingest(shuffled.slice(i, i + size));
            expect(result.rejected).toEqual([]);
            i += size;
            if (random() < 0.4) await hierarchy.settle();
          }
          await hierarchy.settle();
          const summary = (await hierarchy.summaries()).b!;
          expect(summary.degraded).toBe(false);
          expect(JSON.stringify(summary.value)).toBe(JSON.stringify(flat));
        }),
        { seed: 20261124, numRuns: 40 },
      );
    });
  }
});

/** A node that restarts resumes from its store: nothing resent, nothing counted twice, rollouts go on. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createHierarchy } from '../app/container.js';
import { ManualClock } from '../core/clock/index.js';
import type { Level } from '../core/model/index.js';
import type { BindingInput } from '../core/pipeline/index.js';
import type { RolloutSpecInput } from '../core/rollout/index.js';
import { SimulatedEdges } from '../core/sim/edges.js';
import { runRollout } from '../core/sim/rollout.js';
import { MemoryNodeStore, type NodeStore } from '../core/storage/index.js';
import { InProcessBus } from '../core/transport/index.js';
import { InlineRunner } from '../sandbox/inline.js';
import { openSqliteStore } from '../sqlite/store.js';
import { deploymentReport, smallTopology } from './support/reports.js';

const bindings: BindingInput[] = [
  { name: 'health', reducer: 'builtin:health', staleAfter: '100000h' },
  { name: 'versions', reducer: 'builtin:version-histogram', staleAfter: '100000h' },
];
const topology = smallTopology(3);
const everyone = './test/fixtures/plugins/everyone.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** One store per level that outlives a hierarchy, as a data directory outlives a process. */
async function storesOf(kind: 'memory' | 'sqlite'): Promise<{ open(level: Level): NodeStore; reopen(): Promise<void> }> {
  const stores = new Map<string, NodeStore>();
  const dir = mkdtempSync(join(tmpdir(), 'edgesum-restart-'));
  dirs.push(dir);
  const ids = topology.levels.map((level) => level.id);
  const openAll = async () => {
    for (const id of ids) stores.set(id, kind === 'memory' ? (stores.get(id) ?? new MemoryNodeStore()) : await openSqliteStore(join(dir, id)));
  };
  await openAll();
  return {
    open: (level) => stores.get(level.id)!,
    async reopen() {
      if (kind === 'sqlite') for (const store of stores.values()) store.close();
      await openAll();
    },
  };
}

const reports = () => topology.destinations.map((destination, i) => deploymentReport(destination.id, { seq: 1, metadata: { generation: 2, labels: { 'app.kubernetes.io/version': i % 3 === 0 ? '1.1.0' : '1.0.0' } } }));

for (const kind of ['memory', 'sqlite'] as const) {
  describe(`a hierarchy restarted on its ${kind} stores`, () => {
    it('gives the same summaries without any edge resending', async () => {
      const stores = await storesOf(kind);
      const clock = new ManualClock();
      const first = await createHierarchy({ topology, bindings }, { clock, runner: new InlineRunner(), store: stores.open });
      expect(first.ingest(reports()).accepted).toBe(12);
      await first.settle();
      const before = await first.summaries();
      await first.dispose();

      await stores.reopen();
      const second = await createHierarchy({ topology, bindings }, { clock, runner: new InlineRunner(), store: stores.open });
      await second.settle();
      expect(await second.summaries()).toEqual(before);
      expect(second.ingest(reports())).toMatchObject({ accepted: 0, duplicates: 12 });
      expect((await second.destinationStatus('edge-2-1-3')).reports).toHaveLength(1);
      await second.dispose();
    });

    it('sends a partial its parent had not accepted before the restart', async () => {
      const stores = await storesOf(kind);
      const clock = new ManualClock();
      const bus = new InProcessBus();
      const first = await createHierarchy({ topology, bindings }, { clock, runner: new InlineRunner(), store: stores.open, transport: bus });
      bus.disconnect('r1-s1');
      first.ingest(reports());
      await first.settle();
      expect(((await first.summaries()).versions!.value as { total: number }).total).toBe(9);
      await first.dispose();

      await stores.reopen();
      const second = await createHierarchy({ topology, bindings }, { clock, runner: new InlineRunner(), store: stores.open });
      await second.settle();
      expect(((await second.summaries()).versions!.value as { total: number }).total).toBe(12);
      await second.dispose();
    });
  });
}

describe('a rollout across a restart of every level', () => {
  const spec: RolloutSpecInput = { id: 'r1', workload: 'web', version: '2.0.0', previousVersion: '1.0.0', policies: { center: { policy: everyone }, region: { policy: everyone }, site: { policy: everyone } } };

  it('continues where it stopped and completes, within what was already started', async () => {
    const stores = await storesOf('sqlite');
    const clock = new ManualClock();
    const destinations = topology.destinations.map((d) => ({ ...d, labels: d.labels ?? {} }));
    const edges = new SimulatedEdges({ clock, seed: 3, destinations, applyDelayMs: [1_000, 20_000], failureRate: () => 0 });
    const first = await createHierarchy({ topology, bindings: [] }, { clock, runner: new InlineRunner(), edgeAgent: edges, store: stores.open });
    await first.startRollout(spec);
    for (let step = 0; step < 2; step++) {
      clock.advance(5_000);
      first.ingest(edges.due());
      await first.tick();
    }
    const midway = first.rolloutProgress('r1');
    expect(midway.state).toBe('progressing');
    const directives = (hierarchy: typeof first) => topology.destinations.map((destination) => hierarchy.node(destination.parent).rollouts.directiveFor(destination.id) ?? null);
    const given = directives(first);
    expect(given.filter((directive) => directive !== null).length).toBeGreaterThan(0);
    await first.dispose();

    await stores.reopen();
    const second = await createHierarchy({ topology, bindings: [] }, { clock, runner: new InlineRunner(), edgeAgent: edges, store: stores.open });
    expect(second.rolloutProgress('r1')).toMatchObject({ state: 'progressing', command: 'run' });
    expect(directives(second)).toEqual(given);
    const status = await runRollout(second, edges, clock, 'r1', { stepMs: 5_000 });
    expect(status.state).toBe('succeeded');
    expect(status.destinations).toMatchObject({ succeeded: 12, pending: 0, failed: 0 });
    expect(status.decisions.length).toBeGreaterThan(midway.decisions);
    await second.dispose();
  });
});

describe('rollout state stored before each edge directive had its own document', () => {
  it('restores the edge directives kept inside the level\'s rollouts document', async () => {
    const stores = await storesOf('memory');
    const clock = new ManualClock();
    const destinations = topology.destinations.map((d) => ({ ...d, labels: d.labels ?? {} }));
    const edges = new SimulatedEdges({ clock, seed: 3, destinations, applyDelayMs: [1_000, 20_000], failureRate: () => 0 });
    const spec: RolloutSpecInput = { id: 'r1', workload: 'web', version: '2.0.0', previousVersion: '1.0.0', policies: { center: { policy: everyone }, region: { policy: everyone }, site: { policy: everyone } } };
    const first = await createHierarchy({ topology, bindings: [] }, { clock, runner: new InlineRunner(), edgeAgent: edges, store: stores.open });
    await first.startRollout(spec);
    clock.advance(5_000);
    await first.tick();
    const site = topology.destinations[0]!.parent;
    const given = first.node(site).rollouts.directiveFor(topology.destinations[0]!.id);
    expect(given).toBeDefined();
    await first.dispose();

    const store = stores.open({ id: site, kind: 'site', labels: {} });
    const keys = store.stateKeys('edge:');
    const saved = store.readState('rollouts') as Record<string, unknown>;
    store.writeState({ rollouts: { ...saved, edges: keys.map((key) => store.readState(key)!) }, ...Object.fromEntries(keys.map((key) => [key, undefined])) });
    expect(store.stateKeys('edge:')).toEqual([]);

    const second = await createHierarchy({ topology, bindings: [] }, { clock, runner: new InlineRunner(), edgeAgent: edges, store: stores.open });
    expect(second.node(site).rollouts.directiveFor(topology.destinations[0]!.id)).toEqual(given);
    await second.dispose();
  });
});

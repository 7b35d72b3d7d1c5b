import { describe, expect, it, vi } from 'vitest';
import { Registry } from 'prom-client';
import { ManualClock } from '../core/clock/index.js';
import { ErrorCodes } from '../core/errors.js';
import type { HierarchyConfig } from '../core/node/index.js';
import { createHierarchy } from '../app/container.js';
import type { BindingInput } from '../core/pipeline/index.js';
import { fleetTopology } from '../core/sim/fleet.js';
import type { InProcessBus } from '../core/transport/index.js';
import { InlineRunner } from '../sandbox/inline.js';
import { deploymentReport, namespaceReport, smallTopology } from './support/reports.js';

const poison = './test/fixtures/plugins/poison-count.ts';

async function build(bindings: BindingInput[], options: { clock?: ManualClock; runner?: InlineRunner; registry?: Registry; partitionSize?: number } = {}, topology = smallTopology()) {
  const clock = options.clock ?? new ManualClock();
  const runner = options.runner ?? new InlineRunner();
  const config: HierarchyConfig = { topology, bindings };
  const hierarchy = await createHierarchy(config, {
    clock,
    runner,
    ...(options.registry === undefined ? {} : { registry: options.registry }),
    nodeOptions: { partitionSize: options.partitionSize ?? 64 },
  });
  return { hierarchy, clock, runner };
}

describe('ingestion', () => {
  it('applies the valid reports of a batch and rejects a malformed one by index and field path', async () => {
    const { hierarchy } = await build([{ name: 'count', reducer: poison }]);
    const bad = { ...deploymentReport('edge-1-1-2'), ref: { group: 'apps', version: 'v1', kind: 'Deployment' }, seq: -1 };
    const result = hierarchy.ingest([deploymentReport('edge-1-1-1'), bad, deploymentReport('edge-2-1-1')]);
    expect(result.accepted).toBe(2);
    expect(result.rejected).toHaveLength(1);
    expect(result.rejected[0]).toMatchObject({ index: 1, code: ErrorCodes.InvalidReport });
    expect(result.rejected[0]!.issues.map((issue) => issue.path)).toEqual(expect.arrayContaining(['ref.name', 'seq']));
    await hierarchy.settle();
    expect((await hierarchy.summaries()).count!.value).toEqual({ count: 2 });
  });

  it('rejects a report for an unknown destination, naming the destination', async () => {
    const { hierarchy } = await build([{ name: 'count', reducer: poison }]);
    const result = hierarchy.ingest([deploymentReport('edge-9-9-9')]);
    expect(result.rejected).toEqual([{ index: 0, code: ErrorCodes.UnknownDestination, issues: [{ path: 'destination', message: 'unknown destination "edge-9-9-9"' }] }]);
  });

  it('rejects at a level a report for a destination it does not own', async () => {
    const { hierarchy } = await build([{ name: 'count', reducer: poison }]);
    const result = hierarchy.node('r1-s1').ingest([deploymentReport('edge-2-1-1')]);
    expect(result.rejected[0]).toMatchObject({ index: 0, code: ErrorCodes.UnknownDestination });
  });

  it('counts duplicate and out-of-order reports and applies each (destination, object) once', async () => {
    const { hierarchy } = await build([{ name: 'count', reducer: poison }, { name: 'versions', reducer: 'builtin:version-histogram' }]);
    const v = (version: string, seq: number) => deploymentReport('edge-1-1-1', { seq, metadata: { generation: 2, labels: { 'app.kubernetes.io/version': version } } });
    const result = hierarchy.ingest([v('1.0.0', 2), v('1.0.0', 2), v('0.9.0', 1), v('1.1.0', 3)]);
    expect(result).toMatchObject({ accepted: 2, duplicates: 1, outOfOrder: 1 });
    await hierarchy.settle();
    const summaries = await hierarchy.summaries();
    expect(summaries.count!.value).toEqual({ count: 1 });
    expect(summaries.versions!.value).toEqual({ versions: { '1.1.0': 1 }, total: 1 });
  });
});

describe('summaries through the hierarchy', () => {
  it('reports coverage: expected, reporting and stale destinations', async () => {
    const clock = new ManualClock(Date.parse('2026-11-24T10:00:00Z'));
    const { hierarchy } = await build([{ name: 'count', reducer: poison, selector: { workload: 'web' }, staleAfter: '10m' }], { clock });
    hierarchy.ingest([
      deploymentReport('edge-1-1-1'),
      deploymentReport('edge-1-2-1', { observedAt: '2026-11-24T09:00:00Z' }),
      deploymentReport('edge-2-2-3'),
      namespaceReport('edge-2-2-2'),
    ]);
    await hierarchy.settle();
    const { count } = await hierarchy.summaries();
    expect(count!.coverage).toEqual({ expected: 12, reporting: 3, stale: 1, unreachable: 0 });
  });

  it('scopes expected destinations by the selector destination labels', async () => {
    const { hierarchy } = await build([{ name: 'canaries', reducer: poison, selector: { destinationLabels: { tier: 'canary' } } }]);
    hierarchy.ingest([deploymentReport('edge-1-1-1'), deploymentReport('edge-1-1-2')]);
    await hierarchy.settle();
    const { canaries } = await hierarchy.summaries();
    expect(canaries!.value).toEqual({ count: 1 });
    expect(canaries!.coverage.expected).toBe(4);
  });

  it('groups a summary by a destination label across levels', async () => {
    const { hierarchy } = await build([{ name: 'by-region', reducer: poison, groupBy: { label: 'region' } }]);
    hierarchy.ingest([deploymentReport('edge-1-1-1'), deploymentReport('edge-1-2-1'), deploymentReport('edge-2-1-1')]);
    await hierarchy.settle();
    expect((await hierarchy.summaries())['by-region']!.value).toEqual({ r1: { count: 2 }, r2: { count: 1 } });
  });

  it('moves a report between groups when its grouping field changes', async () => {
    const { hierarchy } = await build([{ name: 'by-phase', reducer: poison, groupBy: { field: 'status.phase' } }]);
    hierarchy.ingest([namespaceReport('edge-1-1-1', 'Active', 1), namespaceReport('edge-2-1-1', 'Active', 1)]);
    await hierarchy.settle();
    hierarchy.ingest([namespaceReport('edge-1-1-1', 'Terminating', 2)]);
    await hierarchy.settle();
    expect((await hierarchy.summaries())['by-phase']!.value).toEqual({ Active: { count: 1 }, Terminating: { count: 1 } });
  });

  it('folds a new report into the group a report left, with a reducer that retracts', async () => {
    const { hierarchy } = await build([{ name: 'by-phase', reducer: 'builtin:version-histogram', groupBy: { field: 'status.phase' }, options: { field: 'status.phase' } }]);
    hierarchy.ingest([namespaceReport('edge-1-1-1', 'Active', 1)]);
    await hierarchy.settle();
    hierarchy.ingest([namespaceReport('edge-1-1-1', 'Terminating', 2)]);
    await hierarchy.settle();
    hierarchy.ingest([namespaceReport('edge-1-1-2', 'Active', 1)]);
    await hierarchy.settle();
    const summary = (await hierarchy.summaries())['by-phase']!;
    expect(summary).toMatchObject({ degraded: false });
    expect(summary.value).toEqual({ Active: { versions: { Active: 1 }, total: 1 }, Terminating: { versions: { Terminating: 1 }, total: 1 } });
  });

  it('carries cluster-scoped objects through ingestion, summaries and per-destination status', async () => {
    const { hierarchy } = await build([{ name: 'ns', reducer: 'builtin:version-histogram', selector: { workload: 'shop-ns' }, options: { field: 'status.phase' } }]);
    hierarchy.ingest([namespaceReport('edge-1-1-1'), namespaceReport('edge-2-2-3', 'Terminating'), deploymentReport('edge-2-2-3')]);
    await hierarchy.settle();
    expect((await hierarchy.summaries()).ns!.value).toEqual({ versions: { Active: 1, Terminating: 1 }, total: 2 });
    const status = await hierarchy.destinationStatus('edge-2-2-3');
    expect(status.level).toBe('r2-s2');
    expect(status.reports.map((report) => report.ref)).toContainEqual({ group: '', version: 'v1', kind: 'Namespace', name: 'shop' });
  });

  it('reads the status of one edge copy from the center, routed down to its site', async () => {
    const { hierarchy } = await build([{ name: 'count', reducer: poison }]);
    hierarchy.ingest([deploymentReport('edge-2-1-3', { seq: 4 })]);
    const status = await hierarchy.destinationStatus('edge-2-1-3');
    expect(status).toMatchObject({ destination: 'edge-2-1-3', level: 'r2-s1' });
    expect(status.reports[0]!.seq).toBe(4);
    await expect(hierarchy.destinationStatus('edge-x')).rejects.toMatchObject({ code: ErrorCodes.UnknownDestination });
  });
});

describe('failures and isolation', () => {
  it('freezes only the failing level on its last good result, marks the summary degraded with the code, and leaves other bindings current', async () => {
    const { hierarchy, clock } = await build([{ name: 'count', reducer: poison }, { name: 'versions', reducer: 'builtin:version-histogram' }]);
    hierarchy.ingest([deploymentReport('edge-1-1-1'), deploymentReport('edge-1-1-2')]);
    await hierarchy.settle();
    hierarchy.ingest([deploymentReport('edge-1-1-3', { status: { poison: true } }), deploymentReport('edge-2-1-1')]);
    await hierarchy.settle();
    const summaries = await hierarchy.summaries();
    // r1-s1 keeps its last good count (2) while r2-s1 adds its new report (1).
    expect(summaries.count).toMatchObject({ value: { count: 3 }, degraded: true, error: { code: ErrorCodes.PluginThrew } });
    expect((await hierarchy.node('r1-s1').summary('count')).value).toEqual({ count: 2 });
    expect(summaries.count!.error!.message).toContain('poisoned report from edge-1-1-3');
    expect(summaries.versions).toMatchObject({ value: { total: 4 }, degraded: false });

    hierarchy.ingest([deploymentReport('edge-1-1-3', { seq: 2 })]);
    clock.advance(1_000);
    await hierarchy.settle();
    expect((await hierarchy.summaries()).count).toMatchObject({ value: { count: 4 }, degraded: false });
  });

  it('refuses an unknown reducer, naming the binding', async () => {
    await expect(build([{ name: 'oops', reducer: 'builtin:nope' }])).rejects.toMatchObject({ code: ErrorCodes.UnknownPlugin, message: expect.stringContaining('binding "oops"') });
  });

  it('refuses invalid options before any hook runs, naming the binding and the option', async () => {
    const runner = new InlineRunner();
    const attempt = build([{ name: 'worst', reducer: 'builtin:top-k', options: { field: 'status.x', k: 0 } }], { runner });
    await expect(attempt).rejects.toMatchObject({ code: ErrorCodes.InvalidOptions, message: expect.stringMatching(/binding "worst".*option "k"/) });
    expect(runner.counts.init + runner.counts.add).toBe(0);
  });

  it('refuses a selector naming an unknown workload', async () => {
    await expect(build([{ name: 'w', reducer: poison, selector: { workload: 'nope' } }])).rejects.toMatchObject({ code: ErrorCodes.InvalidConfig });
  });

  it('keeps two hierarchies in one process fully apart', async () => {
    const registryA = new Registry();
    const registryB = new Registry();
    const a = await build([{ name: 'count', reducer: poison }], { registry: registryA });
    const b = await build([{ name: 'count', reducer: poison }], { registry: registryB });
    a.hierarchy.ingest([deploymentReport('edge-1-1-1'), deploymentReport('edge-1-1-2')]);
    b.hierarchy.ingest([deploymentReport('edge-1-1-1')]);
    await Promise.all([a.hierarchy.settle(), b.hierarchy.settle()]);
    expect((await a.hierarchy.summaries()).count!.value).toEqual({ count: 2 });
    expect((await b.hierarchy.summaries()).count!.value).toEqual({ count: 1 });
    expect(a.hierarchy.registry).toBe(registryA);
    const accepted = async (registry: Registry) => (await registry.getSingleMetric('edgesum_reports_accepted_total')!.get()).values.reduce((sum, v) => sum + v.value, 0);
    expect(await accepted(registryA)).toBe(2);
    expect(await accepted(registryB)).toBe(1);
    expect(a.hierarchy.transport).not.toBe(b.hierarchy.transport);
  });
});

describe('edge autonomy', () => {
  it('keeps reducing below a cut link, counts the child unreachable, and converges once the link is back', async () => {
    const { hierarchy } = await build([{ name: 'count', reducer: poison }]);
    const bus = (hierarchy.transport as InProcessBus);
    hierarchy.ingest([deploymentReport('edge-1-1-1'), deploymentReport('edge-2-1-1')]);
    await hierarchy.settle();
    bus.disconnect('r2');
    hierarchy.ingest([deploymentReport('edge-2-1-2'), deploymentReport('edge-2-2-1'), deploymentReport('edge-1-2-1')]);
    await hierarchy.settle();
    expect((await hierarchy.summaries()).count).toMatchObject({ value: { count: 3 }, coverage: { unreachable: 1 } });
    expect((await hierarchy.node('r2').summaries()).count!.value).toEqual({ count: 3 });
    await expect(hierarchy.destinationStatus('edge-2-1-2')).rejects.toMatchObject({ code: ErrorCodes.Unreachable });

    bus.reconnect('r2');
    await hierarchy.settle();
    expect((await hierarchy.summaries()).count).toMatchObject({ value: { count: 5 }, coverage: { unreachable: 0 } });
  });

  it('replaces a child contribution once per partial and ignores replays and stragglers', async () => {
    const { hierarchy } = await build([{ name: 'count', reducer: poison }]);
    const center = hierarchy.node('center');
    const bus = (hierarchy.transport as InProcessBus);
    const partial = (seq: number, count: number, epoch = 1) => ({
      from: 'r1',
      epoch,
      seq,
      sentAt: '2026-11-24T10:00:00.000Z',
      bindings: { count: { groups: { '*': count }, coverage: { expected: 6, reporting: count, stale: 0, unreachable: 0 }, degraded: null } },
      rollouts: {},
    });
    bus.sendPartial('center', partial(5, 3));
    bus.sendPartial('center', partial(5, 3));
    bus.sendPartial('center', partial(4, 99));
    await center.flush();
    expect((await center.summary('count')).value).toEqual({ count: 3 });
    bus.sendPartial('center', partial(1, 2, 2));
    await center.flush();
    expect((await center.summary('count')).value).toEqual({ count: 2 });
  });
});

describe('incremental updates', () => {
  it('settles only the levels on the changed path, and the rest once the clock makes them due', async () => {
    const clock = new ManualClock();
    const topology = smallTopology(3);
    const hierarchy = await createHierarchy({ topology, bindings: [{ name: 'health', reducer: 'builtin:health', staleAfter: '1h' }] }, { clock, runner: new InlineRunner() });
    hierarchy.ingest(topology.destinations.map((destination) => deploymentReport(destination.id)));
    await hierarchy.settle();
    const folded: string[] = [];
    for (const [id, node] of hierarchy.nodes) {
      const fold = node.fold.bind(node);
      vi.spyOn(node, 'fold').mockImplementation(() => (folded.push(id), fold()));
    }
    await hierarchy.settle();
    expect(folded).toEqual([]);
    hierarchy.ingest([deploymentReport('edge-2-1-3', { seq: 2, status: { replicas: 2, readyReplicas: 0 } })]);
    await hierarchy.settle();
    expect(folded).toEqual(['r2-s1', 'r2', 'center']);
    expect((await hierarchy.summaries()).health!.value).toMatchObject({ counts: { healthy: 11, progressing: 1 } });
    folded.length = 0;
    clock.advance(2 * 60 * 60 * 1000);
    await hierarchy.settle();
    expect(folded.sort()).toEqual(['center', 'r1', 'r1-s1', 'r1-s2', 'r2', 'r2-s1', 'r2-s2']);
    expect((await hierarchy.summaries()).health!.coverage).toMatchObject({ reporting: 12, stale: 12 });
    await hierarchy.dispose();
  });

  const topology = fleetTopology({ regions: 2, sitesPerRegion: 2, destinations: 10_000 });
  const reports = topology.destinations.map((destination) => deploymentReport(destination.id));

  for (const [label, reducer] of [
    ['a reducer without remove', 'builtin:health'],
    ['a reducer with remove', 'builtin:version-histogram'],
  ] as const) {
    it(`re-reduces under 1% of 10,000 reports when one changes, with ${label}`, async () => {
      const { hierarchy, runner } = await build([{ name: 'b', reducer }], {}, topology);
      hierarchy.ingest(reports);
      await hierarchy.settle();
      const before = { ...runner.counts };
      hierarchy.ingest([deploymentReport('edge-04242', { seq: 2, metadata: { generation: 2, labels: { 'app.kubernetes.io/version': '1.1.0' } }, status: { observedGeneration: 1 } })]);
      await hierarchy.settle();
      const rereduced = runner.counts.add - before.add + (runner.counts.remove - before.remove);
      expect(rereduced).toBeGreaterThan(0);
      expect(rereduced).toBeLessThan(100);
    });
  }
});

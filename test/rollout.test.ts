import { describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock/index.js';
import { FilePluginCatalog } from '../core/catalog/index.js';
import { ErrorCodes } from '../core/errors.js';
import { createHierarchy } from '../app/container.js';
import type { RolloutSpecInput } from '../core/rollout/index.js';
import { SimulatedEdges } from '../core/sim/edges.js';
import { runRollout } from '../core/sim/rollout.js';
import type { InProcessBus } from '../core/transport/index.js';
import { InlineRunner } from '../sandbox/inline.js';
import { smallTopology } from './support/reports.js';

const everyone = './test/fixtures/plugins/everyone.ts';
const throwing = './test/fixtures/plugins/throwing-policy.ts';

function spec(overrides: Partial<RolloutSpecInput> = {}): RolloutSpecInput {
  return {
    id: 'r1',
    workload: 'web',
    version: '2.0.0',
    previousVersion: '1.0.0',
    policies: { center: { policy: everyone }, region: { policy: everyone }, site: { policy: everyone } },
    ...overrides,
  };
}

async function setup(failureRate: (labels: Record<string, string>) => number = () => 0) {
  const clock = new ManualClock();
  const topology = smallTopology(3);
  const edges = new SimulatedEdges({ clock, seed: 3, destinations: topology.destinations.map((d) => ({ ...d, labels: d.labels ?? {} })), applyDelayMs: [1_000, 20_000], failureRate: (d) => failureRate(d.labels) });
  const hierarchy = await createHierarchy({ topology, bindings: [] }, { clock, runner: new InlineRunner(), edgeAgent: edges });
  return { clock, edges, hierarchy };
}

describe('rollouts through the hierarchy', () => {
  it('rolls a version out to every destination and completes at every level', async () => {
    const { clock, edges, hierarchy } = await setup();
    await hierarchy.startRollout(spec());
    const status = await runRollout(hierarchy, edges, clock, 'r1', { stepMs: 5_000 });
    expect(status.state).toBe('succeeded');
    expect(status.destinations).toMatchObject({ succeeded: 12, pending: 0, progressing: 0, failed: 0 });
    expect(status.levels.center.succeeded).toBe(2);
    expect(status.levels.region.succeeded).toBe(4);
    expect(status.levels.site.succeeded).toBe(12);
    expect(status.decisions.some((decision) => decision.level === 'center' && decision.action === 'complete')).toBe(true);
  });

  it('rolls out a cluster-scoped object (no namespace) like any other', async () => {
    const { clock, edges, hierarchy } = await setup();
    await hierarchy.startRollout(spec({ id: 'ns', workload: 'shop-ns' }));
    const status = await runRollout(hierarchy, edges, clock, 'ns', { stepMs: 5_000 });
    expect(status.state).toBe('succeeded');
    expect(status.destinations.succeeded).toBe(12);
    const edge = await hierarchy.destinationStatus('edge-1-2-3');
    expect(edge.reports[0]!.ref).toEqual({ group: '', version: 'v1', kind: 'Namespace', name: 'shop' });
  });

  it('skips children with no destination in the selector and never starts them', async () => {
    const { clock, edges, hierarchy } = await setup();
    await hierarchy.startRollout(spec({ selector: { matchLabels: { region: 'r1' } } }));
    const status = await runRollout(hierarchy, edges, clock, 'r1', { stepMs: 5_000 });
    expect(status.state).toBe('succeeded');
    expect(status.levels.center).toMatchObject({ succeeded: 1, skipped: 1 });
    expect(status.destinations.succeeded).toBe(6);
    expect(hierarchy.node('r2').rollouts.has('r1')).toBe(false);
  });

  it('holds and records the error code when a policy throws, starting nothing', async () => {
    const { clock, edges, hierarchy } = await setup();
    await hierarchy.startRollout(spec({ policies: { center: { policy: throwing } } }));
    const status = await runRollout(hierarchy, edges, clock, 'r1', { stepMs: 5_000, maxMs: 60_000 });
    expect(status.destinations.pending).toBe(12);
    expect(status.decisions[0]).toMatchObject({ level: 'center', action: 'hold', error: ErrorCodes.PluginThrew });
    expect(status.decisions[0]!.reason).toContain('policy exploded');
  });

  it('ignores a decision that starts more children than the grant allows, holding with a bad-output error', async () => {
    const { clock, edges, hierarchy } = await setup();
    await hierarchy.startRollout(spec({ grants: { site: { maxStarted: 1 } } }));
    const status = await runRollout(hierarchy, edges, clock, 'r1', { stepMs: 5_000, maxMs: 120_000 });
    const siteDecisions = status.decisions.filter((decision) => decision.level.includes('-s'));
    expect(siteDecisions.length).toBeGreaterThan(0);
    expect(siteDecisions.every((decision) => decision.error === ErrorCodes.PluginOutput && decision.started.length === 0)).toBe(true);
    expect(siteDecisions[0]!.reason).toContain('beyond the grant of 1');
    expect(status.destinations.succeeded).toBe(0);
  });

  it('keeps a site within its grant when its policy respects it', async () => {
    const { clock, edges, hierarchy } = await setup();
    await hierarchy.startRollout(spec({ grants: { site: { maxStarted: 1 } }, policies: { center: { policy: everyone }, region: { policy: everyone }, site: { policy: everyone, options: { cap: 1 } } } }));
    const status = await runRollout(hierarchy, edges, clock, 'r1', { stepMs: 5_000, maxMs: 300_000 });
    expect(status.destinations.succeeded).toBe(4);
    expect(status.levels.site.pending).toBe(8);
  });

  it('pauses, resumes and aborts from the center: nothing new starts while paused or after an abort', async () => {
    const { clock, edges, hierarchy } = await setup();
    await hierarchy.startRollout(spec({ policies: { center: { policy: everyone, options: { cap: 1 } }, region: { policy: everyone, options: { cap: 1 } }, site: { policy: everyone, options: { cap: 1 } } } }));
    await runRollout(hierarchy, edges, clock, 'r1', { stepMs: 5_000, maxMs: 5_000 });
    hierarchy.commandRollout('r1', 'pause');
    const paused = await runRollout(hierarchy, edges, clock, 'r1', { stepMs: 5_000, maxMs: 200_000 });
    const startedWhilePaused = paused.destinations.succeeded + paused.destinations.progressing;
    expect(startedWhilePaused).toBe(1);
    hierarchy.commandRollout('r1', 'resume');
    await runRollout(hierarchy, edges, clock, 'r1', { stepMs: 5_000, maxMs: 60_000 });
    hierarchy.commandRollout('r1', 'abort');
    const before = hierarchy.rolloutStatus('r1').destinations;
    const after = await runRollout(hierarchy, edges, clock, 'r1', { stepMs: 5_000, maxMs: 300_000 });
    expect(after.destinations.pending).toBe(before.pending);
    expect(after.command).toBe('abort');
  });

  it('rolls every started edge back to the previous version', async () => {
    const { clock, edges, hierarchy } = await setup();
    await hierarchy.startRollout(spec());
    await runRollout(hierarchy, edges, clock, 'r1', { stepMs: 5_000 });
    hierarchy.commandRollout('r1', 'rollback');
    await runRollout(hierarchy, edges, clock, 'r1', { stepMs: 5_000, maxMs: 120_000 });
    const status = await hierarchy.destinationStatus('edge-2-2-3');
    expect(status.reports[0]!.metadata?.annotations?.['edgesum.io/version']).toBe('1.0.0');
  });

  it('keeps rolling out within its grant below a cut link and reports its progress once reconnected', async () => {
    const { clock, edges, hierarchy } = await setup();
    await hierarchy.startRollout(spec());
    await runRollout(hierarchy, edges, clock, 'r1', { stepMs: 1_000, maxMs: 1_000 });
    const bus = hierarchy.transport as InProcessBus;
    bus.disconnect('r2');
    const cut = await runRollout(hierarchy, edges, clock, 'r1', { stepMs: 5_000, maxMs: 150_000 });
    expect(cut.state).toBe('progressing');
    expect(hierarchy.node('r2').rollouts.controller('r1').counts().succeeded).toBe(6);
    bus.reconnect('r2');
    const healed = await runRollout(hierarchy, edges, clock, 'r1', { stepMs: 5_000 });
    expect(healed.state).toBe('succeeded');
    expect(healed.destinations.succeeded).toBe(12);
  });

  it("shows policies each child level's summary of the rollout's summary binding, beside its states", async () => {
    const clock = new ManualClock();
    const topology = smallTopology(3);
    const edges = new SimulatedEdges({ clock, seed: 3, destinations: topology.destinations.map((d) => ({ ...d, labels: d.labels ?? {} })), applyDelayMs: [1_000, 20_000] });
    const bindings = [{ name: 'versions', reducer: 'builtin:version-histogram', selector: { workload: 'web' }, options: { field: 'metadata.annotations["edgesum.io/version"]' } }];
    const hierarchy = await createHierarchy({ topology, bindings }, { clock, runner: new InlineRunner(), edgeAgent: edges });
    await hierarchy.startRollout(spec({ summary: 'versions' }));
    await runRollout(hierarchy, edges, clock, 'r1', { stepMs: 5_000 });
    const last = hierarchy.auditTrail('r1').filter((entry) => entry.level === 'center').at(-1)!;
    expect(last.input.children.map((child) => child.summary)).toEqual([
      { states: expect.objectContaining({ succeeded: 6 }), summary: { versions: { '2.0.0': 6 }, total: 6 } },
      { states: expect.objectContaining({ succeeded: 6 }), summary: { versions: { '2.0.0': 6 }, total: 6 } },
    ]);
    await expect(hierarchy.startRollout(spec({ id: 'r2', summary: 'nope' }))).rejects.toMatchObject({ code: ErrorCodes.InvalidRollout, message: expect.stringContaining('summary binding "nope"') });
  });

  it('refuses an invalid rollout spec, naming the field', async () => {
    const { hierarchy } = await setup();
    await expect(hierarchy.startRollout({ ...spec(), version: '' })).rejects.toMatchObject({ code: ErrorCodes.InvalidRollout, message: expect.stringContaining('version') });
    await expect(hierarchy.startRollout(spec({ policies: { region: { policy: 'builtin:nope' } } }))).rejects.toMatchObject({ code: ErrorCodes.UnknownPlugin, message: expect.stringContaining('policies.region') });
    await expect(hierarchy.startRollout(spec({ workload: 'nope' }))).rejects.toMatchObject({ code: ErrorCodes.InvalidRollout });
  });

  it('replays a recorded audit trail to identical decisions', async () => {
    const { clock, edges, hierarchy } = await setup((labels) => (labels.region === 'r2' ? 0.5 : 0));
    await hierarchy.startRollout(spec());
    await runRollout(hierarchy, edges, clock, 'r1', { stepMs: 5_000, maxMs: 200_000 });
    const trail = hierarchy.auditTrail('r1');
    expect(trail.length).toBeGreaterThan(5);
    const runner = new InlineRunner();
    const policy = await runner.loadPolicy(new FilePluginCatalog().resolve(everyone));
    for (const entry of trail) {
      const [decision] = await policy.decide([entry.input], {}, { id: entry.level, kind: 'site' });
      expect(decision).toEqual(entry.decision);
    }
  });
});

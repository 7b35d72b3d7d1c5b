/**
 * What a long-running or much-repeated rollout may keep: a bounded audit trail, a bounded memo,
 * one policy runtime per plugin, and decisions that resume after a summary could not be finished.
 */
import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { createHierarchy } from '../app/container.js';
import { ManualClock } from '../core/clock/index.js';
import { ErrorCodes } from '../core/errors.js';
import type { PluginLimits, PluginSource, PolicyHandle } from '../core/ports/plugin-runner.js';
import type { RolloutSpecInput } from '../core/rollout/index.js';
import { SimulatedEdges } from '../core/sim/edges.js';
import { runRollout } from '../core/sim/rollout.js';
import { InlineRunner } from '../sandbox/inline.js';
import { namespaceReport, smallTopology } from './support/reports.js';

const everyone = './test/fixtures/plugins/everyone.ts';
const memoPolicy = './test/fixtures/plugins/memo-policy.ts';

/** Counts the policy runtimes it loads. */
class CountingRunner extends InlineRunner {
  policyLoads = 0;

  override loadPolicy(source: PluginSource, limits?: Partial<PluginLimits>): Promise<PolicyHandle> {
    this.policyLoads++;
    return super.loadPolicy(source, limits);
  }
}

function spec(overrides: Partial<RolloutSpecInput> = {}): RolloutSpecInput {
  return { id: 'r1', workload: 'web', version: '2.0.0', previousVersion: '1.0.0', policies: { center: { policy: everyone }, region: { policy: everyone }, site: { policy: everyone } }, ...overrides };
}

async function setup(bindings: { name: string; reducer: string; selector?: { workload: string } }[] = []) {
  const clock = new ManualClock();
  const registry = new Registry();
  const runner = new CountingRunner();
  const topology = smallTopology(3);
  const edges = new SimulatedEdges({ clock, seed: 3, destinations: topology.destinations.map((d) => ({ ...d, labels: d.labels ?? {} })), applyDelayMs: [1_000, 20_000] });
  const hierarchy = await createHierarchy({ topology, bindings }, { clock, runner, registry, edgeAgent: edges });
  return { clock, edges, hierarchy, runner, registry };
}

async function ticks(hierarchy: Awaited<ReturnType<typeof setup>>['hierarchy'], clock: ManualClock, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    clock.advance(1_000);
    await hierarchy.tick();
  }
}

describe('the audit trail', () => {
  const holding = { policy: memoPolicy, options: {} };

  it('keeps the newest maxEntries decisions of a rollout at each level, counting the ones it dropped', async () => {
    const { clock, hierarchy, registry } = await setup();
    await hierarchy.startRollout(spec({ policies: { center: holding }, audit: { maxEntries: 5 } }));
    await ticks(hierarchy, clock, 20);
    const trail = hierarchy.auditTrail('r1');
    expect(trail).toHaveLength(5);
    expect(trail.map((entry) => entry.decision?.reason)).toEqual(['decision 16', 'decision 17', 'decision 18', 'decision 19', 'decision 20']);
    expect(hierarchy.rolloutStatus('r1').audit).toEqual({ kept: 5, dropped: 15 });
    expect(hierarchy.rolloutProgress('r1').decisions).toBe(20);
    const dropped = await registry.getSingleMetric('edgesum_audit_entries_dropped_total')!.get();
    expect(dropped.values).toEqual([{ labels: { level: 'center', rollout: 'r1' }, value: 15 }]);
  });

  it('keeps the newest decisions within maxBytes, and always the newest one', async () => {
    const { clock, hierarchy } = await setup();
    await hierarchy.startRollout(spec({ id: 'small', policies: { center: holding }, audit: { maxBytes: 2_000 } }));
    await hierarchy.startRollout(spec({ id: 'tiny', policies: { center: holding }, audit: { maxBytes: 1 } }));
    await ticks(hierarchy, clock, 20);
    const small = hierarchy.auditTrail('small');
    expect(JSON.stringify(small).length).toBeLessThanOrEqual(2_000 + small.length);
    expect(small.length).toBeGreaterThan(1);
    expect(small.at(-1)!.decision?.reason).toBe('decision 20');
    expect(hierarchy.auditTrail('tiny').map((entry) => entry.decision?.reason)).toEqual(['decision 20']);
    expect(hierarchy.rolloutStatus('tiny').audit).toEqual({ kept: 1, dropped: 19 });
  });

  it('refuses a memo above 64 KiB as EDGESUM_PLUGIN_OUTPUT: the rollout holds and the memo is not kept', async () => {
    const { clock, hierarchy } = await setup();
    await hierarchy.startRollout(spec({ policies: { center: { policy: memoPolicy, options: { bytes: 1024 * 1024, action: 'advance' } } } }));
    await ticks(hierarchy, clock, 3);
    const trail = hierarchy.auditTrail('r1');
    expect(trail.length).toBeGreaterThan(0);
    for (const entry of trail) {
      expect(entry.error).toMatchObject({ code: ErrorCodes.PluginOutput, message: expect.stringContaining('memo') });
      expect(entry.started).toEqual([]);
      expect(entry.input.memo).toBeNull();
    }
    expect(hierarchy.rolloutStatus('r1').destinations.pending).toBe(12);
  });
});

describe('policy runtimes', () => {
  it('loads one runtime per policy plugin whatever the options, and still validates and applies each rollout’s own options', async () => {
    const { clock, edges, hierarchy, runner } = await setup();
    for (let i = 0; i < 30; i++) {
      const policy = { policy: everyone, options: { cap: i } };
      await hierarchy.startRollout(spec({ id: `r${i}`, policies: { center: policy, region: policy, site: policy } }));
    }
    expect(runner.policyLoads).toBe(1);
    await expect(hierarchy.startRollout(spec({ id: 'bad', policies: { center: { policy: everyone, options: { cap: -1 } } } }))).rejects.toMatchObject({ code: ErrorCodes.InvalidOptions });
    await runRollout(hierarchy, edges, clock, 'r1', { stepMs: 5_000, maxMs: 5_000 });
    const started = (id: string) => hierarchy.auditTrail(id).filter((entry) => entry.level === 'center').flatMap((entry) => entry.started);
    expect(started('r0')).toEqual([]);
    expect(started('r1')).toHaveLength(1);
    expect(started('r2')).toHaveLength(2);
    expect(runner.policyLoads).toBe(1);
  });
});

describe('a summary binding that cannot finish', () => {
  it('holds the decision with the typed error and decides again once the summary finishes, instead of stopping for good', async () => {
    const { clock, edges, hierarchy } = await setup([{ name: 'fragile', reducer: './test/fixtures/plugins/finish-throws.ts' }]);
    hierarchy.ingest([{ ...namespaceReport('edge-1-1-1'), status: { bomb: true } }]);
    await hierarchy.startRollout(spec({ summary: 'fragile' }));
    clock.advance(1_000);
    await expect(hierarchy.tick()).resolves.toBeUndefined();
    const [first] = hierarchy.auditTrail('r1');
    expect(first).toMatchObject({ level: 'center', decision: null, error: { code: ErrorCodes.PluginThrew, message: expect.stringContaining('bomb') } });
    expect(hierarchy.rolloutStatus('r1').destinations.pending).toBe(12);

    hierarchy.ingest([namespaceReport('edge-1-1-1', 'Active', 2)]);
    const status = await runRollout(hierarchy, edges, clock, 'r1', { stepMs: 5_000 });
    expect(status.state).toBe('succeeded');
    expect(status.destinations.succeeded).toBe(12);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock/index.js';
import { createHierarchy } from '../app/container.js';
import { SimulatedEdges } from '../core/sim/edges.js';
import { runRollout } from '../core/sim/rollout.js';
import { InlineRunner } from '../sandbox/inline.js';
import type { TopologyInput } from '../core/model/topology.js';
import type { RolloutSpecInput } from '../core/rollout/index.js';
import { smallTopology } from './support/reports.js';

const rogue = './test/fixtures/plugins/rogue-policy.ts';

/** Rolls workload `web` from 1 to 2 over simulated edges with one policy at every level, to the end or `maxMs`. */
async function rolledOut(topology: TopologyInput, seed: number, policy: { policy: string; options: Record<string, unknown> }, grants: RolloutSpecInput['grants'], maxMs: number) {
  const clock = new ManualClock();
  const edges = new SimulatedEdges({ clock, seed, destinations: topology.destinations.map((d) => ({ ...d, labels: d.labels ?? {} })), applyDelayMs: [1_000, 30_000] });
  const hierarchy = await createHierarchy({ topology, bindings: [] }, { clock, runner: new InlineRunner(), edgeAgent: edges });
  await hierarchy.startRollout({ id: 'r', workload: 'web', version: '2', previousVersion: '1', policies: { center: policy, region: policy, site: policy }, grants });
  await runRollout(hierarchy, edges, clock, 'r', { stepMs: 20_000, maxMs });
  return hierarchy;
}

describe('grants', () => {
  it('never lets a level start more children than its grant, or any after it ends, whatever its policy returns', async () => {
    let sitesStarted = 0;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 1, max: 20 }), async (maxStarted, salt, grantMinutes) => {
        const hierarchy = await rolledOut(smallTopology(4), salt, { policy: rogue, options: { salt } }, { site: { maxStarted, for: `${grantMinutes}m` } }, 40 * 60_000);
        for (const entry of hierarchy.auditTrail('r').filter((e) => e.level.includes('-s'))) {
          const grant = entry.input.grant!;
          const before = entry.input.children.filter((child) => child.state !== 'pending' && child.state !== 'skipped').length;
          expect(before + entry.started.length).toBeLessThanOrEqual(grant.maxStarted!);
          if (entry.started.length > 0) expect(Date.parse(entry.at)).toBeLessThanOrEqual(Date.parse(grant.until!));
          expect(entry.started).not.toContain('stranger');
        }
        const startedPerSite = hierarchy.auditTrail('r').filter((e) => e.level.includes('-s')).reduce((acc, e) => acc.set(e.level, (acc.get(e.level) ?? 0) + e.started.length), new Map<string, number>());
        for (const started of startedPerSite.values()) expect(started).toBeLessThanOrEqual(maxStarted);
        sitesStarted += [...startedPerSite.values()].reduce((sum, n) => sum + n, 0);
      }),
      { seed: 11, numRuns: 25 },
    );
    expect(sitesStarted).toBeGreaterThan(0);
  });

  it('grants a child the spec of its own kind, so sites directly under the center get grants.site', async () => {
    const full = smallTopology(4);
    const topology = {
      ...full,
      levels: full.levels.filter((level) => level.kind !== 'region').map((level) => (level.kind === 'site' ? { ...level, parent: 'center' } : level)),
    };
    const hierarchy = await rolledOut(topology, 3, { policy: 'builtin:all-at-once', options: {} }, { region: { maxStarted: 3 }, site: { maxStarted: 1 } }, 5 * 60_000);
    const siteEntries = hierarchy.auditTrail('r').filter((entry) => entry.level.includes('-s'));
    expect(siteEntries.length).toBeGreaterThan(0);
    for (const entry of siteEntries) expect(entry.input.grant?.maxStarted).toBe(1);
  });
});

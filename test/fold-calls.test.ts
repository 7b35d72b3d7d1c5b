import { describe, expect, it } from 'vitest';
import { createHierarchy } from '../app/container.js';
import { ManualClock } from '../core/clock/index.js';
import type { PluginRunner } from '../core/ports/plugin-runner.js';
import { InlineRunner } from '../sandbox/index.js';
import { deploymentReport, smallTopology } from './support/reports.js';

/** An inline runner that records how many reports each `reduce` call carried. */
function recording(): { runner: PluginRunner; calls: number[] } {
  const inner = new InlineRunner();
  const calls: number[] = [];
  const runner: PluginRunner = {
    name: inner.name,
    loadPolicy: (source, limits) => inner.loadPolicy(source, limits),
    dispose: () => inner.dispose(),
    loadReducer: async (source, limits) => {
      const handle = await inner.loadReducer(source, limits);
      return {
        info: handle.info,
        reduce: (groups, call) => (calls.push(groups.reduce((sum, group) => sum + group.length, 0)), handle.reduce(groups, call)),
        update: (items, call) => handle.update(items, call),
        merge: (groups, call) => handle.merge(groups, call),
        finish: (accs, call) => handle.finish(accs, call),
      };
    },
  };
  return { runner, calls };
}

describe('a site folding many reports at once', () => {
  it('folds them in calls of at most 2,000 reports, to the same summary', async () => {
    const { runner, calls } = recording();
    const topology = smallTopology(2_100);
    const hierarchy = await createHierarchy({ topology, bindings: [{ name: 'health', reducer: 'builtin:health' }] }, { clock: new ManualClock(), runner });
    const site = topology.destinations.filter((destination) => destination.parent === 'r1-s1');
    expect(hierarchy.ingest(site.map((destination) => deploymentReport(destination.id))).accepted).toBe(2_100);
    await hierarchy.settle();
    expect(calls.length).toBeGreaterThan(1);
    expect(Math.max(...calls)).toBeLessThanOrEqual(2_000);
    expect(calls.reduce((sum, n) => sum + n, 0)).toBe(2_100);
    expect((await hierarchy.summaries()).health!.value).toMatchObject({ counts: { healthy: 2_100 } });
    await hierarchy.dispose();
  });
});

import { describe, expect, it } from 'vitest';
import { createHierarchy } from '../app/container.js';
import { ManualClock } from '../core/clock/index.js';
import type { PluginRunner } from '../core/ports/plugin-runner.js';
import { InlineRunner } from '../sandbox/index.js';
import { deploymentReport, smallTopology } from './support/reports.js';

/** An inline runner that records how many reports each `reduce` and `update` call carried, by binding. */
function recording(): { runner: PluginRunner; calls: number[]; updates: { binding: string; reports: number }[]; refolds: { binding: string; reports: number }[] } {
  const inner = new InlineRunner();
  const calls: number[] = [];
  const updates: { binding: string; reports: number }[] = [];
  const refolds: { binding: string; reports: number }[] = [];
  const runner: PluginRunner = {
    name: inner.name,
    loadPolicy: (source, limits) => inner.loadPolicy(source, limits),
    dispose: () => inner.dispose(),
    loadReducer: async (source, limits) => {
      const handle = await inner.loadReducer(source, limits);
      return {
        info: handle.info,
        reduce: (groups, call) => {
          const reports = groups.reduce((sum, group) => sum + group.length, 0);
          calls.push(reports);
          refolds.push({ binding: call.binding, reports });
          return handle.reduce(groups, call);
        },
        update: (items, call) => {
          updates.push({ binding: call.binding, reports: items.reduce((sum, item) => sum + item.remove.length + item.add.length, 0) });
          return handle.update(items, call);
        },
        merge: (groups, call) => handle.merge(groups, call),
        finish: (accs, call) => handle.finish(accs, call),
      };
    },
  };
  return { runner, calls, updates, refolds };
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

describe('a changed report', () => {
  it('is retracted and re-added where the options allow an exact remove, and re-folds its partition where they do not', async () => {
    const { runner, updates, refolds } = recording();
    const topology = smallTopology(40);
    const bindings = [
      { name: 'divided', reducer: 'builtin:workload-replicas', options: { mode: 'divided' } },
      { name: 'replicated', reducer: 'builtin:workload-replicas', options: { mode: 'replicated' } },
      { name: 'sums', reducer: 'builtin:aggregate', options: { fields: { n: { op: 'COUNT' }, ready: { op: 'SUM', path: 'status.readyReplicas' } } } },
      { name: 'lowest', reducer: 'builtin:aggregate', options: { fields: { ready: { op: 'MIN', path: 'status.readyReplicas' } } } },
    ];
    const hierarchy = await createHierarchy({ topology, bindings }, { clock: new ManualClock(), runner });
    const site = topology.destinations.filter((destination) => destination.parent === 'r1-s1');
    hierarchy.ingest(site.map((destination) => deploymentReport(destination.id)));
    await hierarchy.settle();
    updates.length = 0;
    refolds.length = 0;
    const changed = deploymentReport(site[0]!.id, { seq: 2, status: { observedGeneration: 2, replicas: 2, readyReplicas: 0, updatedReplicas: 2, availableReplicas: 0 } });
    hierarchy.ingest([changed]);
    await hierarchy.settle();
    const of = (calls: { binding: string; reports: number }[], binding: string) => calls.filter((call) => call.binding === binding).map((call) => call.reports);
    expect(of(updates, 'divided')).toEqual([2]);
    expect(of(updates, 'sums')).toEqual([2]);
    expect(of(refolds, 'divided')).toEqual([]);
    expect(of(refolds, 'sums')).toEqual([]);
    expect(of(updates, 'replicated')).toEqual([]);
    expect(of(updates, 'lowest')).toEqual([]);
    expect(of(refolds, 'replicated')).toEqual([16]);
    expect(of(refolds, 'lowest')).toEqual([16]);
    const summaries = await hierarchy.summaries();
    expect(summaries.divided!.value).toMatchObject({ destinations: 40, readyReplicas: 78 });
    expect(summaries.replicated!.value).toMatchObject({ destinations: 40, readyReplicas: 0 });
    expect(summaries.sums!.value).toMatchObject({ rows: [{ n: 40, ready: 78 }] });
    expect(summaries.lowest!.value).toMatchObject({ rows: [{ ready: 0 }] });
    await hierarchy.dispose();
  });
});

describe('a re-sent report', () => {
  it('costs no plugin call where only seq and observedAt moved and the reducer reads neither, and is folded where it reads them', async () => {
    const { runner, updates, refolds } = recording();
    const clock = new ManualClock(Date.parse('2026-11-24T10:00:00Z'));
    const topology = smallTopology(40);
    const bindings = [
      { name: 'health', reducer: 'builtin:health', staleAfter: '1h' },
      { name: 'versions', reducer: 'builtin:version-histogram' },
      { name: 'newest', reducer: 'builtin:top-k', options: { field: 'status.readyReplicas', k: 3 } },
      { name: 'sums', reducer: 'builtin:aggregate', options: { fields: { n: { op: 'COUNT' } } } },
      { name: 'timed', reducer: 'builtin:aggregate', options: { fields: { n: { op: 'COUNT', path: 'observedAt' } } } },
    ];
    const hierarchy = await createHierarchy({ topology, bindings }, { clock, runner });
    const site = topology.destinations.filter((destination) => destination.parent === 'r1-s1');
    hierarchy.ingest(site.map((destination) => deploymentReport(destination.id)));
    await hierarchy.settle();
    const before = await hierarchy.summaries();
    updates.length = 0;
    refolds.length = 0;
    clock.advance(30_000);
    const resent = site.map((destination) => deploymentReport(destination.id, { seq: 2, observedAt: '2026-11-24T10:00:30Z' }));
    expect(hierarchy.ingest(resent).accepted).toBe(40);
    await hierarchy.settle();
    const bindingsCalled = [...new Set([...updates, ...refolds].map((call) => call.binding))].sort();
    expect(bindingsCalled).toEqual(['newest', 'timed']);
    const after = await hierarchy.summaries();
    expect(after.health!.value).toEqual(before.health!.value);
    expect(after.versions!.value).toEqual(before.versions!.value);
    expect(after.health!.coverage).toMatchObject({ reporting: 40, stale: 0 });
    expect(JSON.stringify(after.newest!.value)).toContain('2026-11-24T10:00:30Z');

    updates.length = 0;
    refolds.length = 0;
    hierarchy.ingest([deploymentReport(site[0]!.id, { seq: 3, observedAt: '2026-11-24T10:00:31Z', status: { observedGeneration: 2, replicas: 2, readyReplicas: 0, updatedReplicas: 2, availableReplicas: 0 } })]);
    await hierarchy.settle();
    expect([...new Set([...updates, ...refolds].map((call) => call.binding))].sort()).toEqual(['health', 'newest', 'timed']);
    expect((await hierarchy.summaries()).health!.value).not.toEqual(before.health!.value);
    await hierarchy.dispose();
  });
});

describe('a report changed after an unchanged re-send', () => {
  it('is retracted or re-folded to the summary of a fresh fold of the newest reports', async () => {
    const topology = smallTopology(40);
    const bindings = [
      { name: 'divided', reducer: 'builtin:workload-replicas', options: { mode: 'divided' } },
      { name: 'health', reducer: 'builtin:health' },
    ];
    const site = topology.destinations.filter((destination) => destination.parent === 'r1-s1');
    const failing = { status: { observedGeneration: 2, replicas: 2, readyReplicas: 0, updatedReplicas: 2, availableReplicas: 0 } };
    const newest = site.map((destination, i) => deploymentReport(destination.id, { seq: 3, ...(i % 3 === 0 ? failing : {}) }));

    const stepped = await createHierarchy({ topology, bindings }, { clock: new ManualClock(), runner: new InlineRunner() });
    stepped.ingest(site.map((destination) => deploymentReport(destination.id)));
    await stepped.settle();
    stepped.ingest(site.map((destination) => deploymentReport(destination.id, { seq: 2, observedAt: '2026-11-24T09:59:30Z' })));
    await stepped.settle();
    stepped.ingest(newest);
    await stepped.settle();

    const fresh = await createHierarchy({ topology, bindings }, { clock: new ManualClock(), runner: new InlineRunner() });
    fresh.ingest(newest);
    await fresh.settle();
    const values = async (hierarchy: typeof fresh) => Object.fromEntries(Object.entries(await hierarchy.summaries()).map(([name, view]) => [name, view.value]));
    expect(await values(stepped)).toEqual(await values(fresh));
    expect((await values(fresh)).health).toMatchObject({ counts: { healthy: 26, progressing: 14 } });
    await stepped.dispose();
    await fresh.dispose();
  });
});

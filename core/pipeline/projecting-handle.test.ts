import { describe, expect, it } from 'vitest';
import type { Json, ReadsEntry, StatusReport } from '../contract.js';
import type { AccUpdate, PluginInfo, ReducerHandle } from '../ports/plugin-runner.js';
import { projectingHandle, readsComparer } from './projecting-handle.js';

const report = {
  destination: 'edge-1',
  ref: { group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'shop', name: 'web' },
  seq: 1,
  observedAt: '2026-01-01T00:00:00Z',
  metadata: { labels: { tier: 'canary' }, annotations: { note: 'long' } },
  status: { readyReplicas: 2 },
} satisfies StatusReport;

/** A handle that records what crosses into it. */
function recording(reads: readonly ReadsEntry[] | undefined): { handle: ReducerHandle; seen: unknown[] } {
  const seen: unknown[] = [];
  const info = { kind: 'reducer', name: 'rec', version: '0', retractable: true, hash: 'h', source: { spec: 'rec', entry: '/rec' }, ...(reads === undefined ? {} : { reads }) } satisfies PluginInfo;
  const handle: ReducerHandle = {
    info,
    reduce: (groups) => Promise.resolve(groups.map((group) => (seen.push(...group), 0))),
    update: (items: readonly AccUpdate[]) => Promise.resolve(items.map((item) => (seen.push(...item.remove, ...item.add), 0))),
    merge: (groups) => Promise.resolve(groups.map(() => 0)),
    finish: (accs) => Promise.resolve(accs.map((acc): Json => acc)),
  };
  return { handle, seen };
}

const call = { options: { field: 'metadata.labels.tier' }, binding: 'b', level: { id: 'site-1', kind: 'site' as const }, now: '2026-01-01T00:00:00Z' };

describe('projectingHandle', () => {
  it('sends reduce, remove and add only the identity fields and what the options make the reducer read', async () => {
    const { handle, seen } = recording([{ option: 'field' }]);
    const projected = projectingHandle(handle, call.options);
    await projected.reduce([[report]], call);
    await projected.update([{ acc: 0, remove: [report], add: [report] }], call);
    const expected = { destination: 'edge-1', ref: report.ref, seq: 1, observedAt: report.observedAt, status: null, metadata: { labels: { tier: 'canary' } } };
    expect(seen).toEqual([expected, expected, expected]);
  });

  it('is the handle itself for a reducer that reads the whole report', () => {
    const { handle } = recording(undefined);
    expect(projectingHandle(handle, call.options)).toBe(handle);
    const byOption = recording([{ option: 'field' }]).handle;
    expect(projectingHandle(byOption, { field: ['not', 'a', 'path'] })).toBe(byOption);
  });
});

describe('readsComparer', () => {
  const later = { ...report, seq: 2, observedAt: '2026-01-01T00:00:30Z' };
  const with_ = (changes: Partial<StatusReport>): StatusReport => ({ ...later, ...changes });

  it('sees a copy that moved only seq and observedAt as the same, unless the reducer lists them', () => {
    expect(readsComparer(['status', 'metadata.labels'], {})!(report, later)).toBe(true);
    expect(readsComparer(['status', 'observedAt'], {})!(report, later)).toBe(false);
    expect(readsComparer(['seq'], {})!(report, later)).toBe(false);
  });

  it('compares only the members read, whole below an index or a scalar, present or absent alike', () => {
    const same = readsComparer([{ option: 'field' }, 'status.conditions[0].type'], { field: 'metadata.labels.tier' })!;
    expect(same(report, with_({ metadata: { labels: { tier: 'canary', other: 'x' }, annotations: {} } }))).toBe(true);
    expect(same(report, with_({ metadata: { labels: { tier: 'stable' } } }))).toBe(false);
    expect(same(report, with_({ metadata: { labels: {} } }))).toBe(false);
    expect(same(report, with_({ metadata: 'text' as never }))).toBe(false);
    const conditions = with_({ status: { readyReplicas: 9, conditions: [{ type: 'Ready', status: 'True' }] } });
    expect(same(conditions, with_({ status: { readyReplicas: 1, conditions: [{ status: 'True', type: 'Ready' }] } }))).toBe(true);
    expect(same(conditions, with_({ status: { conditions: [{ type: 'Ready', status: 'False' }] } }))).toBe(false);
  });

  it('is absent for a reducer that reads the whole report', () => {
    expect(readsComparer(undefined, {})).toBeUndefined();
    expect(readsComparer([{ option: 'field' }], { field: 3 })).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import type { Json, ReadsEntry, StatusReport } from '../contract.js';
import type { AccUpdate, PluginInfo, ReducerHandle } from '../ports/plugin-runner.js';
import { projectingHandle } from './projecting-handle.js';

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

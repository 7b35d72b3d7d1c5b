/** One conformance suite for every NodeStore: what a node relies on to resume after a restart. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Json, StatusReport } from '../core/contract.js';
import { reportKey } from '../core/model/index.js';
import { MemoryNodeStore, type NodeStore } from '../core/storage/index.js';
import { openSqliteStore } from '../sqlite/store.js';

const report = (destination: string, name: string, seq: number): StatusReport => ({
  destination,
  seq,
  observedAt: '2026-11-24T10:00:00Z',
  ref: { group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'shop', name },
  status: { seq },
});

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Each kind of store, with a way to open it again on the same data (a restart). */
const kinds: { name: string; open(): Promise<{ store: NodeStore; reopen(): Promise<NodeStore> }> }[] = [
  {
    name: 'memory',
    async open() {
      const store = new MemoryNodeStore();
      return { store, reopen: async () => store };
    },
  },
  {
    name: 'sqlite',
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'edgesum-store-'));
      dirs.push(dir);
      const store = await openSqliteStore(dir);
      return {
        store,
        reopen: async () => {
          store.close();
          return openSqliteStore(dir);
        },
      };
    },
  },
];

for (const kind of kinds) {
  describe(`the ${kind.name} node store`, () => {
    it('keeps the latest report per destination and object, listing replaced ones last', async () => {
      const { store } = await kind.open();
      store.putReports([report('edge-1', 'web', 1), report('edge-1', 'db', 1), report('edge-2', 'web', 1)]);
      store.putReports([report('edge-1', 'web', 2)]);
      expect(store.size).toBe(3);
      expect(store.get(reportKey(report('edge-1', 'web', 0)))?.seq).toBe(2);
      expect(store.byDestination('edge-1').map((r) => `${r.ref.name}@${r.seq}`)).toEqual(['db@1', 'web@2']);
      expect(store.reports().map((r) => `${r.destination}/${r.ref.name}@${r.seq}`)).toEqual(['edge-1/db@1', 'edge-2/web@1', 'edge-1/web@2']);
      store.close();
    });

    it('stores reports handed over with their keys as it stores them without, the same key twice ending with the later', async () => {
      const { store } = await kind.open();
      const reports = [report('edge-1', 'web', 1), report('edge-2', 'web', 1), report('edge-1', 'web', 2)];
      store.putReports(reports, reports.map(reportKey));
      expect(store.size).toBe(2);
      expect(store.get(reportKey(report('edge-1', 'web', 0)))?.seq).toBe(2);
      expect(store.reports().map((r) => `${r.destination}/${r.ref.name}@${r.seq}`)).toEqual(['edge-2/web@1', 'edge-1/web@2']);
      store.close();
    });

    it('gives back what it stored after a restart', async () => {
      const { store, reopen } = await kind.open();
      store.putReports([report('edge-1', 'web', 7)]);
      store.writeState({ 'child:site-1': { seq: 3, bindings: {} }, 'node:epoch': 5 });
      store.appendAudit('r1', [{ n: 1 }, { n: 2 }], 10);
      const again = await reopen();
      expect(again.get(reportKey(report('edge-1', 'web', 0)))).toEqual(report('edge-1', 'web', 7));
      expect(again.readState('child:site-1')).toEqual({ seq: 3, bindings: {} });
      expect(again.readState('node:epoch')).toBe(5);
      expect(again.readAudit('r1')).toEqual([{ n: 1 }, { n: 2 }]);
      again.close();
    });

    it('writes and deletes state documents together, and lists keys by prefix in order', async () => {
      const { store } = await kind.open();
      store.writeState({ 'rollout:b': 2, 'rollout:a': 1, 'outbox:x': true });
      store.writeState({ 'rollout:b': undefined, 'rollout:c': { deep: [1, { x: null }] } });
      expect(store.stateKeys('rollout:')).toEqual(['rollout:a', 'rollout:c']);
      expect(store.readState('rollout:b')).toBeUndefined();
      expect(store.readState('rollout:c')).toEqual({ deep: [1, { x: null }] });
      store.close();
    });

    it('never shares an object with a caller', async () => {
      const { store } = await kind.open();
      const value = { list: [1] };
      store.writeState({ k: value });
      value.list.push(2);
      const read = store.readState('k') as { list: number[] };
      read.list.push(3);
      expect(store.readState('k')).toEqual({ list: [1] });
      store.close();
    });

    it('keeps only the newest audit entries of a scope, counting what it dropped', async () => {
      const { store } = await kind.open();
      expect(store.appendAudit('r1', [1, 2, 3], 5)).toBe(0);
      expect(store.appendAudit('r1', [4, 5, 6, 7], 5)).toBe(2);
      store.appendAudit('r2', ['other'], 5);
      expect(store.readAudit('r1')).toEqual([3, 4, 5, 6, 7]);
      expect(store.readAudit('r2')).toEqual(['other']);
      store.close();
    });

    it('treats keys and labels named like prototype properties as data', async () => {
      const { store } = await kind.open();
      store.writeState(JSON.parse('{"__proto__": {"polluted": true}, "constructor": 1}') as Record<string, Json>);
      expect(store.stateKeys('')).toEqual(['__proto__', 'constructor']);
      expect(store.readState('__proto__')).toEqual({ polluted: true });
      expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
      store.close();
    });
  });
}

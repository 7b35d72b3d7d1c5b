import { describe, expect, it } from 'vitest';
import { createHierarchy } from '../../app/container.js';
import { InlineRunner } from '../../sandbox/index.js';
import { deploymentReport, namespaceReport, smallTopology } from '../../test/support/reports.js';
import { ManualClock } from '../clock/index.js';
import { ErrorCodes } from '../errors.js';

async function hierarchy() {
  return createHierarchy(
    { topology: smallTopology(), bindings: [{ name: 'count', reducer: './test/fixtures/plugins/poison-count.ts' }, { name: 'versions', reducer: 'builtin:version-histogram' }] },
    { clock: new ManualClock(Date.parse('2026-11-24T10:00:00Z')), runner: new InlineRunner() },
  );
}

let tripped = 0;
const tripwire = () => {
  tripped++;
  throw new RangeError('the caller\'s code ran');
};

const cyclic: Record<string, unknown> = {};
cyclic.self = cyclic;

/** Items that are not JSON, each aimed at a destination of another site than the valid reports around it. */
const hostile: [string, () => unknown][] = [
  ['a BigInt in status', () => ({ ...deploymentReport('edge-2-2-1'), status: { replicas: 1n } })],
  ['a cycle in status', () => ({ ...deploymentReport('edge-2-2-1'), status: cyclic })],
  ['undefined in spec', () => ({ ...deploymentReport('edge-2-2-1'), spec: { replicas: undefined } })],
  ['a function in status', () => ({ ...deploymentReport('edge-2-2-1'), status: () => 1 })],
  ['a Symbol as the item', () => Symbol('report')],
  ['a throwing getter for status', () => Object.defineProperty({ ...deploymentReport('edge-2-2-1') }, 'status', { enumerable: true, get: () => { throw new RangeError('getter'); } })],
  ['a throwing toJSON', () => ({ ...deploymentReport('edge-2-2-1'), status: { toJSON: () => { throw new RangeError('toJSON'); } } })],
  // Never called (the tripwire counts), so one that would never return cannot hang ingestion.
  ['a toJSON that would never return', () => ({ ...deploymentReport('edge-2-2-1'), status: { toJSON: tripwire } })],
  ['a Proxy whose traps throw', () => new Proxy(deploymentReport('edge-2-2-1'), { get: () => { throw new RangeError('trap'); }, ownKeys: () => { throw new RangeError('trap'); } })],
  ['a status nested 20,000 levels deep', () => ({ ...deploymentReport('edge-2-2-1'), status: JSON.parse(`${'['.repeat(20_000)}${']'.repeat(20_000)}`) as unknown })],
];

describe('Hierarchy.ingest with values that are not JSON', () => {
  for (const [what, make] of hostile) {
    it(`rejects ${what} as one item, applies the valid items of other sites, and keeps serving`, async () => {
      const h = await hierarchy();
      tripped = 0;
      const items = [deploymentReport('edge-1-1-1'), make(), deploymentReport('edge-2-1-1')];
      const result = h.ingest(items);
      expect(tripped).toBe(0);
      expect(result).toMatchObject({ accepted: 2, duplicates: 0, outOfOrder: 0 });
      expect(result.rejected).toHaveLength(1);
      expect(result.rejected[0]).toMatchObject({ index: 1, code: ErrorCodes.InvalidReport });
      await h.settle();
      expect((await h.summaries()).count!.value).toEqual({ count: 2 });
      expect(h.ingest([deploymentReport('edge-2-2-1', { seq: 9 })]).accepted).toBe(1);
      await h.dispose();
    });
  }

  it('reads no getter of an item, so its fate cannot change between validation and routing', async () => {
    const h = await hierarchy();
    let reads = 0;
    const item = Object.defineProperty({ ...deploymentReport('edge-1-1-1') }, 'destination', {
      enumerable: true,
      get: () => (++reads === 1 ? 'edge-1-1-1' : 'edge-2-2-2'),
    });
    const result = h.ingest([item]);
    expect(reads).toBe(0);
    expect(result.rejected[0]).toMatchObject({ index: 0, code: ErrorCodes.InvalidReport, issues: [{ path: 'destination' }] });
    await h.dispose();
  });

  it('stores a copy, so changing an ingested object afterwards changes no summary', async () => {
    const h = await hierarchy();
    const report = namespaceReport('edge-1-1-1', 'Active');
    h.ingest([report]);
    (report.status as { phase: string }).phase = 'Changed';
    const status = await h.destinationStatus('edge-1-1-1');
    expect(status.reports[0]!.status).toEqual({ phase: 'Active' });
    await h.dispose();
  });

  it('folds reports without status and counts them in the summaries', async () => {
    const h = await hierarchy();
    const { status: _status, ...withoutStatus } = namespaceReport('edge-1-1-1');
    expect(h.ingest([withoutStatus, deploymentReport('edge-2-1-1')]).accepted).toBe(2);
    await h.settle();
    expect((await h.summaries()).count!.value).toEqual({ count: 2 });
    expect((await h.destinationStatus('edge-1-1-1')).reports[0]!.status).toBeNull();
    await h.dispose();
  });

  it('refuses a batch that is not an array with a typed error', async () => {
    const h = await hierarchy();
    expect(() => h.ingest(new Proxy([], {}))).toThrow(expect.objectContaining({ code: ErrorCodes.InvalidInput }));
    const revocable = Proxy.revocable([], {});
    revocable.revoke();
    expect(() => h.ingest(revocable.proxy)).toThrow(expect.objectContaining({ code: ErrorCodes.InvalidInput }));
    await h.dispose();
  });
});

/**
 * Fuzzes `Hierarchy.ingest` with batches mixing valid reports and values that are not JSON or are
 * hostile JavaScript (Proxies, getters, `toJSON`, cycles, BigInts, 20,000-deep nesting). Seeded,
 * so every run sees the same batches.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHierarchy } from '../../app/container.js';
import { ManualClock } from '../../core/clock/index.js';
import { ErrorCodes } from '../../core/errors.js';
import { reportKey } from '../../core/model/index.js';
import type { Hierarchy } from '../../core/node/index.js';
import { InlineRunner } from '../../sandbox/index.js';
import { smallTopology } from '../support/reports.js';
import { poisonedItem, reportTemplate, type Tripwires } from './arbitraries.js';

const topology = smallTopology();
const destinations = topology.destinations.map((destination) => destination.id);

describe('Hierarchy.ingest under fuzzing', () => {
  let hierarchy: Hierarchy;
  beforeAll(async () => {
    hierarchy = await createHierarchy(
      { topology, bindings: [{ name: 'count', reducer: './test/fuzz/fixtures/count.ts' }, { name: 'health', reducer: 'builtin:health' }] },
      { clock: new ManualClock(Date.parse('2026-11-24T10:00:00Z')), runner: new InlineRunner() },
    );
  });
  afterAll(() => hierarchy.dispose());

  it('gives every item exactly one outcome, accepts and counts every valid one, never throws and never runs item code', async () => {
    const trip: Tripwires = { calls: 0 };
    const template = reportTemplate(destinations);
    const entry = fc.oneof(
      { weight: 3, arbitrary: template.map((report) => ({ valid: true as const, report })) },
      { weight: 2, arbitrary: poisonedItem(template, trip).map((make) => ({ valid: false as const, make })) },
    );
    const stored = new Set<string>();
    let seq = 0;
    let items = 0;

    await fc.assert(
      fc.asyncProperty(fc.array(entry, { minLength: 5, maxLength: 12 }), async (entries) => {
        trip.calls = 0;
        const batch = entries.map((e) => (e.valid ? { ...e.report, seq: ++seq } : e.make()));
        items += batch.length;
        const result = hierarchy.ingest(batch);

        const valid = entries.flatMap((e, i) => (e.valid ? [i] : []));
        expect(result.accepted + result.duplicates + result.outOfOrder + result.rejected.length).toBe(batch.length);
        expect(result.rejected.map((r) => r.index)).toEqual(entries.flatMap((e, i) => (e.valid ? [] : [i])));
        expect(result.accepted).toBe(valid.length);
        for (const rejection of result.rejected) {
          expect(rejection.code).toBe(ErrorCodes.InvalidReport);
          expect(rejection.issues.length).toBeGreaterThan(0);
        }
        expect(trip.calls).toBe(0);
        for (const i of valid) {
          const { report } = entries[i] as { report: Parameters<typeof reportKey>[0] };
          stored.add(reportKey(report));
        }

        await hierarchy.settle();
        const summaries = await hierarchy.summaries();
        expect(summaries.count!.value).toEqual({ count: stored.size });
        expect(summaries.count!.degraded).toBe(false);
        expect(summaries.health!.degraded).toBe(false);
      }),
      { seed: 20261124, numRuns: 1_400 },
    );

    expect(items).toBeGreaterThanOrEqual(10_000);
    for (const destination of destinations) await expect(hierarchy.destinationStatus(destination)).resolves.toMatchObject({ destination });
  });
});

/**
 * The fast path of report validation against the schema it shortcuts: whatever it accepts, the
 * schema accepts as the very same report; whatever the schema rejects, it leaves to the schema.
 * Seeded, so every run sees the same items.
 */
import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { fastReport } from '../../core/model/fast-report.js';
import { parseReport, schemaParseReport } from '../../core/model/parse.js';
import { Limits } from '../../core/model/schemas.js';
import { json, poisonedItem, reportTemplate, type Tripwires } from './arbitraries.js';

const destinations = ['edge-1', 'edge-2', 'a', 'x'.repeat(Limits.nameLength)];

/** Every prototype in a value, by path: the schema gives labels none, status objects Object's. */
function prototypes(value: unknown, path = ''): string[] {
  if (typeof value !== 'object' || value === null) return [];
  const own = `${path}:${Object.getPrototypeOf(value) === null ? 'null' : Array.isArray(value) ? 'array' : 'object'}`;
  return [own, ...Object.entries(value).flatMap(([key, item]) => prototypes(item, `${path}.${key}`))];
}

/** A valid report with one field changed to something near, at or past the schema's edge. */
const nearMiss = fc.tuple(
  reportTemplate(destinations),
  fc.constantFrom('destination', 'seq', 'observedAt', 'ref', 'metadata', 'extra', 'status', 'spec'),
  fc.oneof(
    json,
    fc.constantFrom<unknown>(-1, -0, 1.5, 2 ** 53, '', 'edge-', '-edge', 'x'.repeat(254), '2026-02-30T00:00:00Z', '2026-01-01T00:00:00', '2026-01-01T00:00:00+01:00', null, undefined),
    fc.constantFrom<unknown>(
      { group: '', version: '', kind: 'K', name: 'n' },
      { group: 'g', version: 'v', kind: 'K', name: 'n', namespace: undefined },
      { group: 'g', version: 'v', kind: 'K', name: 'n', extra: 1 },
      { generation: -1 },
      { generation: 1, deletionTimestamp: null },
      { labels: { '': 'x' } },
      { labels: Object.fromEntries(Array.from({ length: 257 }, (_, i) => [`k${i}`, 'v'])) },
      { annotations: { a: 1 } },
      { x: 'y'.repeat(Limits.reportBytes) },
      { x: '\u0000'.repeat(Limits.reportBytes / 8) },
    ),
  ),
).map(([report, field, value]) => ({ ...report, seq: 1, [field]: value }) as unknown);

describe('the fast path of report validation', () => {
  it('accepts only what the schema accepts, as the same report with the same prototypes, and runs no item code', () => {
    const trip: Tripwires = { calls: 0 };
    let fast = 0;
    const item = fc.oneof(
      { weight: 3, arbitrary: reportTemplate(destinations).map((report) => () => ({ ...report, seq: 7 }) as unknown) },
      { weight: 3, arbitrary: nearMiss.map((value) => () => value) },
      { weight: 2, arbitrary: poisonedItem(reportTemplate(destinations), trip) },
    );
    fc.assert(
      fc.property(item, (make) => {
        const value = make();
        const shortcut = fastReport(value);
        const truth = schemaParseReport(value);
        if (shortcut !== undefined) {
          fast++;
          expect(truth.ok).toBe(true);
          const report = truth.ok ? truth.report : undefined;
          // node's strict comparison, not toStrictEqual: that one reads a `constructor` key, which is data here.
          expect(isDeepStrictEqual(shortcut, report)).toBe(true);
          expect(JSON.stringify(shortcut)).toBe(JSON.stringify(report));
          expect(prototypes(shortcut)).toEqual(prototypes(report));
        }
        const outcome = parseReport(value);
        expect(outcome.ok).toBe(truth.ok);
        if (!outcome.ok && !truth.ok) expect(outcome.issues).toEqual(truth.issues);
      }),
      { seed: 0x5ca1e, numRuns: 3000 },
    );
    expect(trip.calls).toBe(0);
    // The shortcut must actually be taken for ordinary reports, or it measures nothing.
    expect(fast).toBeGreaterThan(500);
  });
});

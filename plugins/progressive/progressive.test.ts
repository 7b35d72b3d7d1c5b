import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { z } from 'zod';
import type { ChildState, Grant, PolicyChild } from '../../core/contract.js';
import { ago, decideChecked, input, kid, kids, now, readmeExample, runRow, type Row } from '../policy-kit/fixtures.js';
import { resolveSize } from '../policy-kit/kit.js';
import perGroup, { type ProgressivePerGroupOptions } from '../progressive-per-group/index.js';
import policy, { type ProgressiveOptions } from './index.js';

const seed = 20260302;

describe('progressive', () => {
  const rows: Row<ProgressiveOptions>[] = [
    {
      name: 'starts the first maxConcurrency children in group then id order',
      options: { maxConcurrency: 2 },
      children: [kid('c', 'pending', undefined, { group: 1 }), kid('b', 'pending', undefined, { group: 0 }), kid('a', 'pending', undefined, { group: 1 })],
      expect: { action: 'advance', targets: ['b', 'a'], reason: ['1 child waits for a free slot'] },
    },
    {
      name: 'starts every child when maxConcurrency is not set',
      options: {},
      children: kids('edge', 4),
      expect: { action: 'advance', targets: ['edge-01', 'edge-02', 'edge-03', 'edge-04'] },
    },
    {
      name: 'rounds a percentage maxConcurrency up',
      options: { maxConcurrency: '25%' },
      children: kids('edge', 5),
      expect: { action: 'advance', targets: ['edge-01', 'edge-02'] },
    },
    {
      name: 'computes percentages exactly: 7% of 100 is 7 (OCM float math makes it 8)',
      options: { maxConcurrency: '7%' },
      children: kids('edge', 100),
      expect: { action: 'advance', targets: ['edge-01', 'edge-02', 'edge-03', 'edge-04', 'edge-05', 'edge-06', 'edge-07'] },
    },
    {
      name: 'takes percentages of the non-skipped children only',
      options: { maxConcurrency: '50%' },
      children: [...kids('edge', 4), kid('s1', 'skipped'), kid('s2', 'skipped'), kid('s3', 'skipped'), kid('s4', 'skipped')],
      expect: { action: 'advance', targets: ['edge-01', 'edge-02'] },
    },
    {
      name: 'slides the window: a finished child frees its slot for the next one',
      options: { maxConcurrency: 2 },
      children: [kid('a', 'succeeded', '1m'), kid('b', 'progressing', '1m'), kid('c'), kid('d')],
      expect: { action: 'advance', targets: ['b', 'c'] },
    },
    {
      name: 'holds while every slot is taken by a child in flight',
      options: { maxConcurrency: 2 },
      children: [kid('a', 'progressing', '1m'), kid('b', 'progressing', '2m'), kid('c')],
      expect: { action: 'hold', targets: ['a', 'b'], recheckAfterMs: undefined },
    },
    {
      name: 'keeps a soaking child in its slot until minSuccessTime has passed since it succeeded',
      options: { maxConcurrency: 2, minSuccessTime: '1m' },
      children: [kid('a', 'succeeded', '30s'), kid('b', 'progressing', '10s'), kid('c')],
      expect: { action: 'hold', targets: ['a', 'b'], recheckAfterMs: 30_000 },
    },
    {
      name: 'frees the slot once the soak is over',
      options: { maxConcurrency: 2, minSuccessTime: '1m' },
      children: [kid('a', 'succeeded', '1m'), kid('b', 'progressing', '10s'), kid('c')],
      expect: { action: 'advance', targets: ['b', 'c'] },
    },
    {
      name: 'keeps a failed child in its slot and starts nobody while maxFailures is exceeded',
      options: { maxConcurrency: 2 },
      children: [kid('a', 'failed', '10s'), kid('b', 'succeeded', '1m'), kid('c')],
      expect: { action: 'pause', targets: ['a'], budgetExceeded: true, reason: ['1 failures exceed maxFailures 0'] },
    },
    {
      name: 'keeps a failed child retrying in its slot while failures are within maxFailures',
      options: { maxConcurrency: 2, maxFailures: 1 },
      children: [kid('a', 'failed', '10s'), kid('b', 'succeeded', '1m'), kid('c'), kid('d')],
      expect: { action: 'advance', targets: ['a', 'c'] },
    },
    {
      name: 'rounds a percentage maxFailures up: 50% of 3 tolerates 2',
      options: { maxFailures: '50%', maxConcurrency: 1 },
      children: [kid('a', 'timed-out', '1m'), kid('b', 'timed-out', '1m'), kid('c')],
      expect: { action: 'advance', targets: ['c'] },
    },
    {
      name: 'pauses when a percentage maxFailures is exceeded',
      options: { maxFailures: '25%' },
      children: [kid('a', 'timed-out', '1m'), kid('b', 'failed', '1m'), kid('c', 'progressing', '1m'), kid('d')],
      expect: { action: 'pause', targets: ['b', 'c'], budgetExceeded: true },
    },
    {
      name: 'reads an integer maxFailures above the number of children as "tolerate all" (OCM reads it as 0)',
      options: { maxFailures: 10, maxConcurrency: 1 },
      children: [kid('a', 'timed-out', '1m'), kid('b', 'timed-out', '1m'), kid('c')],
      expect: { action: 'advance', targets: ['c'] },
    },
    {
      name: 'times out children past the deadline and counts them as failures',
      options: { maxConcurrency: 2, progressDeadline: '5m' },
      children: [kid('a', 'progressing', '6m'), kid('b', 'progressing', '1m'), kid('c')],
      expect: { action: 'pause', targets: ['b'], timedOut: ['a'], budgetExceeded: true, recheckAfterMs: 240_000 },
    },
    {
      name: 'frees the slot of a timed-out child when failures are tolerated',
      options: { maxConcurrency: 2, maxFailures: 1, progressDeadline: '5m' },
      children: [kid('a', 'failed', '5m'), kid('b', 'progressing', '1m'), kid('c'), kid('d')],
      expect: { action: 'advance', targets: ['b', 'c'], timedOut: ['a'], recheckAfterMs: 240_000 },
    },
    {
      name: 'rechecks at the earliest of soak ends and deadlines',
      options: { maxConcurrency: 3, progressDeadline: '10m', minSuccessTime: '2m' },
      children: [kid('a', 'succeeded', '90s'), kid('b', 'progressing', '9m50s'), kid('c', 'progressing', '1m')],
      expect: { action: 'hold', targets: ['a', 'b', 'c'], recheckAfterMs: 10_000 },
    },
    {
      name: 'rolls out mandatory groups first, even when their index is higher',
      options: { maxConcurrency: 5, mandatoryGroups: [{ index: 2 }] },
      children: [kid('a', 'pending', undefined, { group: 0 }), kid('m1', 'pending', undefined, { group: 2 }), kid('m2', 'pending', undefined, { group: 2 })],
      expect: { action: 'advance', targets: ['m1', 'm2'], reason: ['mandatory group #2 first'] },
    },
    {
      name: 'matches mandatory groups by name',
      options: { mandatoryGroups: [{ name: 'canary' }] },
      children: [kid('a', 'pending', undefined, { group: ['rest', 0] }), kid('m', 'pending', undefined, { group: ['canary', 1] })],
      expect: { action: 'advance', targets: ['m'] },
    },
    {
      name: 'caps a mandatory group by maxConcurrency too (OCM starts the whole group)',
      options: { maxConcurrency: 1, mandatoryGroups: [{ index: 0 }] },
      children: [kid('m1', 'pending', undefined, { group: 0 }), kid('m2', 'pending', undefined, { group: 0 }), kid('a', 'pending', undefined, { group: 1 })],
      expect: { action: 'advance', targets: ['m1'] },
    },
    {
      name: 'waits for a mandatory group to succeed and soak before anyone else starts',
      options: { maxConcurrency: 3, minSuccessTime: '5m', mandatoryGroups: [{ index: 0 }] },
      children: [kid('m1', 'succeeded', '1m', { group: 0 }), kid('m2', 'succeeded', '10m', { group: 0 }), kid('a', 'pending', undefined, { group: 1 })],
      expect: { action: 'hold', targets: ['m1'], recheckAfterMs: 240_000, reason: ['waiting for it to succeed and soak'] },
    },
    {
      name: 'opens mandatory groups one at a time',
      options: { maxConcurrency: 5, mandatoryGroups: [{ index: 0 }, { index: 1 }] },
      children: [kid('m1', 'progressing', '1m', { group: 0 }), kid('n1', 'pending', undefined, { group: 1 }), kid('a', 'pending', undefined, { group: 2 })],
      expect: { action: 'hold', targets: ['m1'] },
    },
    {
      name: 'tolerates no failure in a mandatory group whatever maxFailures says',
      options: { maxFailures: '100%', mandatoryGroups: [{ name: 'canary' }] },
      children: [kid('m1', 'failed', '1m', { group: ['canary', 0] }), kid('m2', 'progressing', '1m', { group: ['canary', 0] }), kid('a', 'pending', undefined, { group: 1 })],
      expect: { action: 'pause', targets: ['m1', 'm2'], budgetExceeded: true, reason: ['mandatory groups tolerate no failure'] },
    },
    {
      name: 'keeps pausing on a timed-out mandatory child (OCM forgets it once recorded)',
      options: { maxFailures: 5, mandatoryGroups: [{ index: 0 }] },
      children: [kid('m1', 'timed-out', '1m', { group: 0 }), kid('a', 'pending', undefined, { group: 1 })],
      expect: { action: 'pause', targets: [], budgetExceeded: true },
    },
    {
      name: 'moves past the mandatory groups once they all succeeded',
      options: { maxConcurrency: 2, mandatoryGroups: [{ index: 0 }] },
      children: [kid('m1', 'succeeded', '1m', { group: 0 }), kid('a', 'pending', undefined, { group: 1 }), kid('b', 'pending', undefined, { group: 1 }), kid('c', 'pending', undefined, { group: 1 })],
      expect: { action: 'advance', targets: ['a', 'b'] },
    },
    {
      name: 'ignores a mandatory group that no child belongs to',
      options: { mandatoryGroups: [{ name: 'nowhere' }, { index: 7 }] },
      children: kids('edge', 2),
      expect: { action: 'advance', targets: ['edge-01', 'edge-02'] },
    },
    {
      name: 'orders groups by index whatever the gaps between them',
      options: { maxConcurrency: 2 },
      children: [kid('x', 'pending', undefined, { group: 90 }), kid('y', 'pending', undefined, { group: 7 }), kid('z', 'pending', undefined, { group: 0 })],
      expect: { action: 'advance', targets: ['z', 'y'] },
    },
    {
      name: 'never makes started plus new starts exceed the grant',
      options: { maxConcurrency: 10 },
      grant: { maxStarted: 3, until: null },
      children: [kid('a', 'succeeded', '1m'), kid('b', 'progressing', '1m'), kid('c'), kid('d'), kid('e')],
      expect: { action: 'advance', targets: ['b', 'c'], reason: ['the grant allows 3 started, 2 already are'] },
    },
    {
      name: 'starts nobody after the grant ended',
      options: {},
      grant: { maxStarted: null, until: '2026-03-02T09:00:00.000Z' },
      children: [kid('a', 'progressing', '1m'), kid('b')],
      expect: { action: 'hold', targets: ['a'], reason: ['the grant ended at 2026-03-02T09:00:00.000Z'] },
    },
    {
      name: 'never targets a skipped child',
      options: { maxConcurrency: 3 },
      children: [kid('a', 'skipped'), kid('b', 'skipped'), kid('c')],
      expect: { action: 'advance', targets: ['c'] },
    },
    {
      name: 'completes when every non-skipped child succeeded, even while the last ones soak',
      options: { minSuccessTime: '1h' },
      children: [kid('a', 'succeeded', '1m'), kid('b', 'skipped')],
      expect: { action: 'complete', targets: [], recheckAfterMs: undefined },
    },
    {
      name: 'keeps only maxConcurrency children as targets when more are in flight (options lowered)',
      options: { maxConcurrency: 2 },
      children: [kid('a', 'progressing', '1m'), kid('b', 'progressing', '1m'), kid('c', 'progressing', '1m'), kid('d')],
      expect: { action: 'hold', targets: ['a', 'b'], reason: ['over the cap'] },
    },
    {
      name: 'holds with nothing left to start when only tolerated failures remain',
      options: { maxFailures: 1 },
      children: [kid('a', 'succeeded', '1m'), kid('b', 'timed-out', '1m')],
      expect: { action: 'hold', targets: [], reason: ['nothing left to start'] },
    },
  ];

  for (const row of rows) it(row.name, () => runRow(policy, row));

  describe('options schema', () => {
    const schema = z.fromJSONSchema(policy.options!);
    it('accepts OCM-style options', () => {
      const ok: ProgressiveOptions[] = [
        {},
        { maxConcurrency: 3, maxFailures: '10%', minSuccessTime: '5m', progressDeadline: '1h30m', mandatoryGroups: [{ name: 'canary' }, { index: 2 }] },
        { maxConcurrency: '100%', maxFailures: 0, minSuccessTime: '0', progressDeadline: 'None' },
      ];
      for (const options of ok) expect(schema.safeParse(options).success, JSON.stringify(options)).toBe(true);
    });
    it('rejects zero concurrency, bad sizes, bad durations, bad groups and unknown options', () => {
      const bad = [
        { maxConcurrency: 0 },
        { maxConcurrency: '0%' },
        { maxConcurrency: '101%' },
        { maxFailures: -1 },
        { maxFailures: '3' },
        { minSuccessTime: '5 min' },
        { mandatoryGroups: [{ name: 'a', index: 1 }] },
        { mandatoryGroups: [{}] },
        { maxSurge: 1 },
      ];
      for (const options of bad) expect(schema.safeParse(options).success, JSON.stringify(options)).toBe(false);
    });
  });

  it('decides what the README example shows', () => {
    const example = readmeExample<ProgressiveOptions>(readFileSync(new URL('./README.md', import.meta.url), 'utf8'));
    expect(decideChecked(policy, example.input, example.options)).toStrictEqual(example.decision);
  });
});

describe('progressive and progressive-per-group, for any children, options and grant', () => {
  const states: ChildState[] = ['pending', 'progressing', 'succeeded', 'failed', 'timed-out', 'skipped'];
  const sizeArb = fc.oneof(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 100 }).map((p) => `${p}%`));
  const failuresArb = fc.oneof(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 100 }).map((p) => `${p}%`));
  const childrenArb = fc
    .uniqueArray(
      fc.record({
        id: fc.string({ minLength: 1, maxLength: 4 }),
        state: fc.constantFrom(...states),
        group: fc.constantFrom(0, 1, 3, 8),
        agoSeconds: fc.integer({ min: 0, max: 7200 }),
      }),
      { selector: (c) => c.id, maxLength: 30 },
    )
    .map((specs): PolicyChild[] =>
      specs.map((s) => ({
        id: s.id,
        labels: {},
        group: { name: `g${s.group}`, index: s.group },
        state: s.state,
        ...(s.state === 'pending' ? {} : { since: ago(`${s.agoSeconds}s`) }),
        summary: null,
      })),
    );
  const optionsArb = fc.record(
    {
      maxConcurrency: sizeArb,
      maxFailures: failuresArb,
      minSuccessTime: fc.constantFrom('0', '30s', '10m'),
      progressDeadline: fc.constantFrom('None', '0', '1m', '30m'),
      mandatoryGroups: fc.subarray([{ index: 0 }, { name: 'g3' }, { index: 5 }]),
    },
    { requiredKeys: [] },
  );
  const grantArb: fc.Arbitrary<Grant | null> = fc.option(
    fc.record({
      maxStarted: fc.option(fc.integer({ min: 0, max: 30 }), { nil: null }),
      until: fc.option(fc.constantFrom(ago('1s'), now, ago('-1h')), { nil: null }),
    }),
    { nil: null },
  );

  for (const [label, subject] of [
    ['progressive', policy],
    ['progressive-per-group', perGroup],
  ] as const) {
    it(`${label} keeps at most maxConcurrency in flight, targets only non-skipped children and stays within the grant`, () => {
      fc.assert(
        fc.property(childrenArb, optionsArb, grantArb, (children, options, grant) => {
          const given = input(children, { grant });
          const decision = decideChecked<ProgressiveOptions & ProgressivePerGroupOptions>(subject, given, options);
          const byId = new Map(children.map((c) => [c.id, c]));
          const active = children.filter((c) => c.state !== 'skipped').length;

          for (const id of decision.targets) {
            expect(byId.has(id)).toBe(true);
            expect(byId.get(id)!.state).not.toBe('skipped');
          }
          if (options.maxConcurrency !== undefined) {
            const cap = resolveSize(options.maxConcurrency, active, active);
            const inFlight = decision.targets.filter((id) => byId.get(id)!.state !== 'succeeded');
            expect(inFlight.length).toBeLessThanOrEqual(cap);
          }
          const started = children.filter((c) => c.state !== 'pending' && c.state !== 'skipped').length;
          const starts = decision.targets.filter((id) => byId.get(id)!.state === 'pending').length;
          if (grant?.maxStarted !== null && grant?.maxStarted !== undefined) {
            expect(starts).toBeLessThanOrEqual(Math.max(0, grant.maxStarted - started));
          }
          if (grant?.until !== null && grant?.until !== undefined && Date.parse(now) > Date.parse(grant.until)) expect(starts).toBe(0);
          if (decision.action === 'advance') expect(starts).toBeGreaterThan(0);
          else expect(starts).toBe(0);
        }),
        { seed, numRuns: 400 },
      );
    });
  }
});

import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import { z } from 'zod';
import { decideChecked, kid, readmeExample, runRow, type Row } from '../policy-kit/fixtures.js';
import policy, { type ProgressivePerGroupOptions } from './index.js';

/** A pending child in group `index`. */
const p = (id: string, index: number) => kid(id, 'pending', undefined, { group: index });

describe('progressive-per-group', () => {
  const rows: Row<ProgressivePerGroupOptions>[] = [
    {
      name: 'opens the first group whole',
      options: {},
      children: [p('a', 0), p('b', 0), p('c', 1)],
      expect: { action: 'advance', targets: ['a', 'b'], reason: ['group #0 is next'] },
    },
    {
      name: 'holds the next group while the current one is in flight',
      options: {},
      children: [kid('a', 'progressing', '1m', { group: 0 }), kid('b', 'succeeded', '1m', { group: 0 }), p('c', 1)],
      expect: { action: 'hold', targets: ['a'], reason: ['waiting for it to succeed and soak'] },
    },
    {
      name: 'opens only the next group once the current one succeeded',
      options: {},
      children: [kid('a', 'succeeded', '1m', { group: 0 }), p('b', 1), p('c', 1), p('d', 2)],
      expect: { action: 'advance', targets: ['b', 'c'] },
    },
    {
      name: 'never opens more than one new group in one decision, even past a group of tolerated failures',
      options: { maxFailures: '100%' },
      children: [kid('a', 'succeeded', '1m', { group: 0 }), kid('b', 'timed-out', '1m', { group: 1 }), p('c', 2), p('d', 3)],
      expect: { action: 'advance', targets: ['c'] },
    },
    {
      name: 'skips a group whose children are all skipped',
      options: {},
      children: [kid('a', 'succeeded', '1m', { group: 0 }), kid('s', 'skipped', undefined, { group: 1 }), p('c', 2), p('d', 3)],
      expect: { action: 'advance', targets: ['c'] },
    },
    {
      name: 'orders groups by index whatever the gaps between them',
      options: {},
      children: [p('x', 20), kid('y', 'succeeded', '1m', { group: 0 }), p('z', 10)],
      expect: { action: 'advance', targets: ['z'] },
    },
    {
      name: 'keeps a group open while its children soak, and rechecks when the soak ends',
      options: { minSuccessTime: '1m' },
      children: [kid('a', 'succeeded', '30s', { group: 0 }), kid('b', 'succeeded', '50s', { group: 0 }), p('c', 1)],
      expect: { action: 'hold', targets: ['a', 'b'], recheckAfterMs: 10_000 },
    },
    {
      name: 'moves on when the soak is over',
      options: { minSuccessTime: '1m' },
      children: [kid('a', 'succeeded', '61s', { group: 0 }), p('c', 1)],
      expect: { action: 'advance', targets: ['c'] },
    },
    {
      name: 'lets a failed child retry in its slot while the next group opens within maxFailures',
      options: { maxFailures: 1 },
      children: [kid('a', 'succeeded', '1m', { group: 0 }), kid('b', 'failed', '1m', { group: 0 }), p('c', 1)],
      expect: { action: 'advance', targets: ['b', 'c'] },
    },
    {
      name: 'keeps a failed child in its slot and starts nobody while maxFailures is exceeded',
      options: {},
      children: [kid('a', 'succeeded', '1m', { group: 0 }), kid('b', 'failed', '1m', { group: 0 }), p('c', 1)],
      expect: { action: 'pause', targets: ['b'], budgetExceeded: true, reason: ['group #0 has 1 failures, over its maxFailures 0'] },
    },
    {
      name: 'takes maxFailures as a percentage of the group, rounded up',
      options: { maxFailures: '25%' },
      children: [kid('a', 'timed-out', '1m', { group: 0 }), kid('b', 'failed', '1m', { group: 0 }), kid('c', 'succeeded', '1m', { group: 0 }), kid('d', 'progressing', '1m', { group: 0 }), p('e', 1)],
      expect: { action: 'pause', targets: ['b', 'd'], budgetExceeded: true },
    },
    {
      name: 'tolerates one failure in a group of three with 10% (rounded up)',
      options: { maxFailures: '10%' },
      children: [kid('a', 'timed-out', '1m', { group: 0 }), kid('b', 'succeeded', '1m', { group: 0 }), kid('c', 'succeeded', '1m', { group: 0 }), p('d', 1)],
      expect: { action: 'advance', targets: ['d'] },
    },
    {
      name: 'reads an integer maxFailures above the group size as "tolerate all" (OCM reads it as 0)',
      options: { maxFailures: 50 },
      children: [kid('a', 'timed-out', '1m', { group: 0 }), kid('b', 'timed-out', '1m', { group: 0 }), p('c', 1)],
      expect: { action: 'advance', targets: ['c'] },
    },
    {
      name: 'times out children past the deadline, counting them against their group',
      options: { progressDeadline: '10m', maxFailures: 1 },
      children: [kid('a', 'progressing', '11m', { group: 0 }), kid('b', 'progressing', '1m', { group: 0 }), p('c', 1)],
      expect: { action: 'hold', targets: ['b'], timedOut: ['a'], recheckAfterMs: 540_000 },
    },
    {
      name: 'rolls out mandatory groups first, even when their index is higher',
      options: { mandatoryGroups: [{ name: 'canary' }] },
      children: [p('a', 0), kid('m', 'pending', undefined, { group: ['canary', 4] })],
      expect: { action: 'advance', targets: ['m'], reason: ['mandatory group "canary" is next'] },
    },
    {
      name: 'tolerates no failure in a mandatory group whatever maxFailures says',
      options: { maxFailures: '100%', mandatoryGroups: [{ index: 4 }] },
      children: [p('a', 0), kid('m1', 'failed', '1m', { group: 4 }), kid('m2', 'succeeded', '1m', { group: 4 })],
      expect: { action: 'pause', targets: ['m1'], budgetExceeded: true, reason: ['mandatory group #4 tolerates no failure'] },
    },
    {
      name: 'keeps pausing on a timed-out mandatory child (OCM forgets it once recorded)',
      options: { mandatoryGroups: [{ index: 0 }] },
      children: [kid('m', 'timed-out', '1m', { group: 0 }), p('a', 1)],
      expect: { action: 'pause', targets: [], budgetExceeded: true },
    },
    {
      name: 'opens the other groups after the mandatory ones succeeded',
      options: { mandatoryGroups: [{ index: 3 }] },
      children: [p('a', 0), p('b', 1), kid('m', 'succeeded', '1m', { group: 3 })],
      expect: { action: 'advance', targets: ['a'] },
    },
    {
      name: 'caps the children in flight with the optional maxConcurrency',
      options: { maxConcurrency: 2 },
      children: [p('a', 0), p('b', 0), p('c', 0), p('d', 1)],
      expect: { action: 'advance', targets: ['a', 'b'], reason: ['maxConcurrency 2', '1 child waits for a free slot'] },
    },
    {
      name: 'tops up the open group as slots free',
      options: { maxConcurrency: '50%' },
      children: [kid('a', 'succeeded', '1m', { group: 0 }), kid('b', 'progressing', '1m', { group: 0 }), p('c', 0), p('d', 1)],
      expect: { action: 'advance', targets: ['b', 'c'] },
    },
    {
      name: 'stays within the grant and tops up the same group later',
      options: {},
      grant: { maxStarted: 3, until: null },
      children: [kid('a', 'progressing', '1m', { group: 0 }), p('b', 0), p('c', 0), p('d', 0), p('e', 1)],
      expect: { action: 'advance', targets: ['a', 'b', 'c'], reason: ['1 child waits: the grant allows 3 started, 1 already are'] },
    },
    {
      name: 'starts nobody after the grant ended',
      options: {},
      grant: { maxStarted: 10, until: '2026-03-02T09:59:00.000Z' },
      children: [kid('a', 'succeeded', '1m', { group: 0 }), p('b', 1)],
      expect: { action: 'hold', targets: [], reason: ['the grant ended'] },
    },
    {
      name: 'does not open a new group while children outside it are still moving',
      options: {},
      children: [p('a', 0), kid('b', 'progressing', '1m', { group: 1 })],
      expect: { action: 'hold', targets: ['b'], reason: ['waiting for b outside it to settle first'] },
    },
    {
      name: 'holds with nothing left when every group is done within its failure budget',
      options: { maxFailures: 1 },
      children: [kid('a', 'succeeded', '1m', { group: 0 }), kid('b', 'timed-out', '1m', { group: 1 })],
      expect: { action: 'hold', targets: [], reason: ['every group is done'] },
    },
    {
      name: 'completes when every non-skipped child succeeded',
      options: {},
      children: [kid('a', 'succeeded', '1m', { group: 0 }), kid('b', 'succeeded', '1m', { group: 5 }), kid('c', 'skipped', undefined, { group: 6 })],
      expect: { action: 'complete', targets: [] },
    },
  ];

  for (const row of rows) it(row.name, () => runRow(policy, row));

  describe('options schema', () => {
    const schema = z.fromJSONSchema(policy.options!);
    it('accepts OCM-style options, and maxConcurrency as an extra cap', () => {
      for (const ok of [{}, { maxFailures: '20%', minSuccessTime: '2h', progressDeadline: '90m', mandatoryGroups: [{ index: 0 }] }, { maxConcurrency: 5 }]) {
        expect(schema.safeParse(ok).success, JSON.stringify(ok)).toBe(true);
      }
    });
    it('rejects unknown options and malformed values', () => {
      for (const bad of [{ maxFailures: '120%' }, { progressDeadline: '2 hours' }, { groups: [] }, { mandatoryGroups: [{ index: -1 }] }]) {
        expect(schema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
      }
    });
  });

  it('decides what the README example shows', () => {
    const example = readmeExample<ProgressivePerGroupOptions>(readFileSync(new URL('./README.md', import.meta.url), 'utf8'));
    expect(decideChecked(policy, example.input, example.options)).toStrictEqual(example.decision);
  });
});

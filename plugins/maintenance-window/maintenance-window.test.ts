import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import { z } from 'zod';
import type { Policy } from '../../core/contract.js';
import allAtOnce from '../all-at-once/index.js';
import { decideChecked, kid, readmeExample, runRow, type Row } from '../policy-kit/fixtures.js';
import progressive from '../progressive/index.js';
import progressivePerGroup from '../progressive-per-group/index.js';
import waves from '../waves/index.js';
import policy, { type MaintenanceWindowOptions } from './index.js';

const hour = 3_600_000;
const nightly = { start: '22:00', end: '04:00' };
const eu = { labels: { region: 'eu' } };
const us = { labels: { region: 'us' } };
const inners: Record<string, Policy<never>> = {
  'all-at-once': allAtOnce,
  progressive,
  'progressive-per-group': progressivePerGroup,
  waves,
} as Record<string, Policy<never>>;

describe('maintenance-window', () => {
  // `now` is Monday 2 March 2026, 10:00 UTC unless a row says otherwise.
  const rows: Row<MaintenanceWindowOptions>[] = [
    {
      name: 'starts children normally inside an open window',
      options: { policy: { name: 'all-at-once' }, windows: [{ start: '09:00', end: '11:00' }] },
      children: [kid('a'), kid('b')],
      expect: { action: 'advance', targets: ['a', 'b'], recheckAfterMs: undefined },
    },
    {
      name: 'holds pending children outside their window and rechecks when it opens',
      options: { policy: { name: 'all-at-once' }, windows: [nightly] },
      children: [kid('a'), kid('b')],
      expect: { action: 'hold', targets: [], recheckAfterMs: 12 * hour, reason: ['2 children are outside their maintenance window', '2026-03-02T22:00:00.000Z'] },
    },
    {
      name: 'keeps children in flight as targets whatever the time',
      options: { policy: { name: 'all-at-once' }, windows: [nightly] },
      children: [kid('a', 'progressing', '1m'), kid('b', 'failed', '1m'), kid('c')],
      expect: { action: 'hold', targets: ['a', 'b'], recheckAfterMs: 12 * hour },
    },
    {
      name: 'opens a window crossing midnight on the day it starts',
      options: { policy: { name: 'all-at-once' }, windows: [{ ...nightly, days: ['Mon'] }] },
      now: '2026-03-03T02:00:00.000Z',
      children: [kid('a')],
      expect: { action: 'advance', targets: ['a'] },
    },
    {
      name: 'keeps a midnight-crossing window of another day closed',
      options: { policy: { name: 'all-at-once' }, windows: [{ ...nightly, days: ['Tue'] }] },
      now: '2026-03-03T02:00:00.000Z',
      children: [kid('a')],
      expect: { action: 'hold', targets: [], recheckAfterMs: 20 * hour },
    },
    {
      name: 'waits for the next listed day',
      options: { policy: { name: 'all-at-once' }, windows: [{ days: ['Sat', 'Sun'], start: '00:00', end: '06:00' }] },
      children: [kid('a')],
      expect: { action: 'hold', targets: [], recheckAfterMs: (4 * 24 + 14) * hour, reason: ['2026-03-07T00:00:00.000Z'] },
    },
    {
      name: 'closes a window at its end time (end is exclusive)',
      options: { policy: { name: 'all-at-once' }, windows: [{ start: '08:00', end: '10:00' }] },
      children: [kid('a')],
      expect: { action: 'hold', targets: [], recheckAfterMs: 22 * hour },
    },
    {
      name: 'reads equal start and end as a whole day',
      options: { policy: { name: 'all-at-once' }, windows: [{ days: ['Mon'], start: '06:00', end: '06:00' }] },
      children: [kid('a')],
      expect: { action: 'advance', targets: ['a'] },
    },
    {
      name: 'restricts only the children whose labels match a window',
      options: { policy: { name: 'all-at-once' }, windows: [{ matchLabels: { region: 'eu' }, ...nightly }] },
      children: [kid('e', 'pending', undefined, eu), kid('u', 'pending', undefined, us)],
      expect: { action: 'advance', targets: ['u'], recheckAfterMs: 12 * hour, reason: ['1 child is outside its maintenance window and waits: e'] },
    },
    {
      name: 'lets a child start when any one of its windows is open',
      options: { policy: { name: 'all-at-once' }, windows: [{ matchLabels: { region: 'eu' }, ...nightly }, { matchLabels: { region: 'eu' }, start: '09:30', end: '10:30' }] },
      children: [kid('e', 'pending', undefined, eu)],
      expect: { action: 'advance', targets: ['e'] },
    },
    {
      name: 'rechecks at the earliest opening among the windows of the held children',
      options: { policy: { name: 'all-at-once' }, windows: [{ matchLabels: { region: 'eu' }, ...nightly }, { matchLabels: { region: 'us' }, start: '13:00', end: '15:00' }] },
      children: [kid('e', 'pending', undefined, eu), kid('u', 'pending', undefined, us)],
      expect: { action: 'hold', targets: [], recheckAfterMs: 3 * hour },
    },
    {
      name: 'does not give a held child’s slot to another child (the inner order stands)',
      options: { policy: { name: 'progressive', options: { maxConcurrency: 1 } }, windows: [{ matchLabels: { region: 'eu' }, ...nightly }] },
      children: [kid('a', 'pending', undefined, eu), kid('b', 'pending', undefined, us)],
      expect: { action: 'hold', targets: [], recheckAfterMs: 12 * hour },
    },
    {
      name: 'keeps the inner recheck when it comes before the window opens',
      options: { policy: { name: 'progressive', options: { maxConcurrency: 2, minSuccessTime: '5m' } }, windows: [nightly] },
      children: [kid('a', 'succeeded', '1m'), kid('b'), kid('c')],
      expect: { action: 'hold', targets: ['a'], recheckAfterMs: 4 * 60_000 },
    },
    {
      name: 'passes a pause through, with the in-flight targets',
      options: { policy: { name: 'progressive-per-group' }, windows: [nightly] },
      children: [kid('a', 'failed', '1m'), kid('b')],
      expect: { action: 'pause', targets: ['a'], budgetExceeded: true, reason: ['maintenance-window(progressive-per-group)'] },
    },
    {
      name: 'passes timed-out children through',
      options: { policy: { name: 'all-at-once', options: { progressDeadline: '1m' } }, windows: [nightly] },
      children: [kid('a', 'progressing', '2m'), kid('b')],
      expect: { action: 'hold', targets: [], timedOut: ['a'], recheckAfterMs: 12 * hour },
    },
    {
      name: 'completes when the inner policy completes',
      options: { policy: { name: 'waves' }, windows: [nightly] },
      children: [kid('a', 'succeeded', '1m'), kid('b', 'skipped')],
      expect: { action: 'complete', targets: [] },
    },
    {
      name: 'wraps waves: the canary waits for its window',
      options: { policy: { name: 'waves', options: { canary: { matchLabels: { region: 'eu' } } } }, windows: [nightly] },
      children: [kid('e', 'pending', undefined, eu), kid('u', 'pending', undefined, us)],
      expect: { action: 'hold', targets: [], recheckAfterMs: 12 * hour },
    },
    {
      name: 'leaves the grant to the inner policy',
      options: { policy: { name: 'all-at-once' }, windows: [{ start: '09:00', end: '11:00' }] },
      grant: { maxStarted: 1, until: null },
      children: [kid('a'), kid('b')],
      expect: { action: 'advance', targets: ['a'], reason: ['the grant allows 1 started'] },
    },
  ];

  for (const row of rows) {
    it(row.name, () => {
      const inner = inners[row.options.policy.name]!;
      const innerCheck = z.fromJSONSchema(inner.options!).safeParse(row.options.policy.options ?? {});
      expect(innerCheck.success, 'inner options pass the inner schema').toBe(true);
      runRow(policy, row);
    });
  }

  describe('options schema', () => {
    const schema = z.fromJSONSchema(policy.options!);
    it('accepts every inner policy with options valid for it', () => {
      const ok: MaintenanceWindowOptions[] = [
        { policy: { name: 'all-at-once', options: { progressDeadline: '1h' } }, windows: [nightly] },
        { policy: { name: 'progressive', options: { maxConcurrency: '10%', mandatoryGroups: [{ name: 'canary' }] } }, windows: [{ days: ['Sat'], ...nightly }] },
        { policy: { name: 'progressive-per-group' }, windows: [{ matchLabels: { region: 'eu' }, start: '00:00', end: '23:59' }] },
        { policy: { name: 'waves', options: { steps: ['50%', '100%'] } }, windows: [nightly] },
      ];
      for (const options of ok) expect(schema.safeParse(options).success, JSON.stringify(options)).toBe(true);
    });
    it('validates the inner options with the inner policy’s schema', () => {
      const bad = [
        { policy: { name: 'progressive', options: { maxConcurrency: 0 } }, windows: [nightly] },
        { policy: { name: 'waves', options: { maxConcurrency: 1 } }, windows: [nightly] },
        { policy: { name: 'all-at-once', options: { progressDeadline: 'soon' } }, windows: [nightly] },
        { policy: { name: 'maintenance-window' }, windows: [nightly] },
      ];
      for (const options of bad) expect(schema.safeParse(options).success, JSON.stringify(options)).toBe(false);
    });
    it('rejects malformed windows', () => {
      const bad = [
        { policy: { name: 'all-at-once' }, windows: [] },
        { policy: { name: 'all-at-once' }, windows: [{ start: '24:00', end: '01:00' }] },
        { policy: { name: 'all-at-once' }, windows: [{ start: '9:00', end: '10:00' }] },
        { policy: { name: 'all-at-once' }, windows: [{ start: '09:00' }] },
        { policy: { name: 'all-at-once' }, windows: [{ ...nightly, days: ['Monday'] }] },
        { policy: { name: 'all-at-once' }, windows: [{ ...nightly, days: ['Mon', 'Mon'] }] },
        { policy: { name: 'all-at-once' }, windows: [{ ...nightly, timezone: 'CET' }] },
        { policy: { name: 'all-at-once' } },
      ];
      for (const options of bad) expect(schema.safeParse(options).success, JSON.stringify(options)).toBe(false);
    });
  });

  it('decides what the README example shows', () => {
    const example = readmeExample<MaintenanceWindowOptions>(readFileSync(new URL('./README.md', import.meta.url), 'utf8'));
    expect(decideChecked(policy, example.input, example.options)).toStrictEqual(example.decision);
  });
});

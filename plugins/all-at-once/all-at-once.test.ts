import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import { z } from 'zod';
import type { PolicyChild } from '../../core/contract.js';
import { decideChecked, deepFreeze, input, kid, kids, readmeExample, runRow, type Row } from '../policy-kit/fixtures.js';
import policy, { type AllAtOnceOptions } from './index.js';

describe('all-at-once', () => {
  const rows: Row<AllAtOnceOptions>[] = [
    {
      name: 'starts every pending child at once',
      options: {},
      children: kids('edge', 3),
      expect: { action: 'advance', targets: ['edge-01', 'edge-02', 'edge-03'], recheckAfterMs: undefined },
    },
    {
      name: 'keeps progressing and failed children as targets, drops finished and skipped ones',
      options: {},
      children: [kid('a', 'succeeded', '1m'), kid('b', 'progressing', '1m'), kid('c', 'failed', '1m'), kid('d', 'timed-out', '1m'), kid('e', 'skipped'), kid('f')],
      expect: { action: 'advance', targets: ['b', 'c', 'f'] },
    },
    {
      name: 'holds while children are in flight and none is pending',
      options: { progressDeadline: 'None' },
      children: [kid('a', 'succeeded', '1m'), kid('b', 'progressing', '10h')],
      expect: { action: 'hold', targets: ['b'], recheckAfterMs: undefined },
    },
    {
      name: 'times out progressing and failed children past the deadline, measured from since',
      options: { progressDeadline: '90s' },
      children: [kid('a', 'progressing', '2m'), kid('b', 'failed', '90s'), kid('c', 'progressing', '1m'), kid('d', 'failed', '30s')],
      expect: { action: 'hold', targets: ['c', 'd'], timedOut: ['a', 'b'], recheckAfterMs: 30_000 },
    },
    {
      name: 'asks to be called again when the earliest deadline passes',
      options: { progressDeadline: '1h30m' },
      children: [kid('a', 'progressing', '1h'), kid('b', 'progressing', '1h20m'), kid('c')],
      expect: { action: 'advance', targets: ['a', 'b', 'c'], recheckAfterMs: 600_000 },
    },
    {
      name: 'never times out with a "0" deadline, unlike OCM where zero times out at once',
      options: { progressDeadline: '0' },
      children: [kid('a', 'progressing', '100h')],
      expect: { action: 'hold', targets: ['a'], recheckAfterMs: undefined },
    },
    {
      name: 'completes when every non-skipped child succeeded',
      options: { progressDeadline: '5m' },
      children: [kid('a', 'succeeded', '1m'), kid('b', 'skipped'), kid('c', 'succeeded', '1h')],
      expect: { action: 'complete', targets: [], recheckAfterMs: undefined },
    },
    {
      name: 'completes at once when every child is skipped',
      options: {},
      children: [kid('a', 'skipped'), kid('b', 'skipped')],
      expect: { action: 'complete', targets: [] },
    },
    {
      name: 'holds with nothing to do when the unfinished children all timed out',
      options: {},
      children: [kid('a', 'succeeded', '1m'), kid('b', 'timed-out', '1m')],
      expect: { action: 'hold', targets: [], reason: ['nothing left to start', '1 child has timed out'] },
    },
    {
      name: 'starts no more than the grant allows, in group then id order',
      options: {},
      grant: { maxStarted: 3, until: null },
      children: [kid('z', 'progressing', '1m', { group: 0 }), kid('b', 'pending', undefined, { group: 2 }), kid('a', 'pending', undefined, { group: 2 }), kid('y', 'pending', undefined, { group: 1 })],
      expect: { action: 'advance', targets: ['z', 'y', 'a'], reason: ['the grant allows 3 started, 1 already are'] },
    },
    {
      name: 'counts finished and timed-out children against the grant, not skipped ones',
      options: {},
      grant: { maxStarted: 2, until: null },
      children: [kid('a', 'succeeded', '1m'), kid('b', 'timed-out', '1m'), kid('c', 'skipped'), kid('d')],
      expect: { action: 'hold', targets: [], reason: ['the grant allows 2 started, 2 already are'] },
    },
    {
      name: 'starts nothing after the grant ends but keeps children in flight',
      options: {},
      grant: { maxStarted: null, until: '2026-03-02T09:59:59.000Z' },
      children: [kid('a', 'progressing', '1m'), kid('b')],
      expect: { action: 'hold', targets: ['a'], reason: ['the grant ended at 2026-03-02T09:59:59.000Z'] },
    },
    {
      name: 'still starts at the very moment the grant ends',
      options: {},
      grant: { maxStarted: 5, until: '2026-03-02T10:00:00.000Z' },
      children: [kid('a')],
      expect: { action: 'advance', targets: ['a'] },
    },
    {
      name: 'never times out a child whose since is missing',
      options: { progressDeadline: '1s' },
      children: [{ id: 'a', labels: {}, group: { name: '', index: 0 }, state: 'progressing', summary: null }],
      expect: { action: 'hold', targets: ['a'], timedOut: [] },
    },
  ];

  for (const row of rows) it(row.name, () => runRow(policy, row));

  it('lists the first few ids only, so a reason over thousands of children stays short', () => {
    const many: PolicyChild[] = kids('edge', 5000);
    const decision = decideChecked(policy, input(many), {});
    expect(decision.targets).toHaveLength(5000);
    expect(decision.reason).toContain('and 4995 more');
  });

  it('does not mutate its input', () => {
    const given = deepFreeze(input([kid('a', 'progressing', '5m'), kid('b')]));
    const copy = structuredClone(given);
    policy.decide(given, { progressDeadline: '1m' });
    expect(given).toStrictEqual(copy);
  });

  describe('options schema', () => {
    const schema = z.fromJSONSchema(policy.options!);
    it('accepts no options and Kubernetes-style durations', () => {
      for (const ok of [{}, { progressDeadline: '90s' }, { progressDeadline: '1h30m' }, { progressDeadline: 'None' }, { progressDeadline: '0' }, { progressDeadline: '1.5h' }]) {
        expect(schema.safeParse(ok).success, JSON.stringify(ok)).toBe(true);
      }
    });
    it('rejects unknown options and malformed durations', () => {
      for (const bad of [{ deadline: '1m' }, { progressDeadline: '5 minutes' }, { progressDeadline: 90 }, { progressDeadline: '' }, { progressDeadline: '1d' }]) {
        expect(schema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
      }
    });
  });

  it('decides what the README example shows', () => {
    const example = readmeExample<AllAtOnceOptions>(readFileSync(new URL('./README.md', import.meta.url), 'utf8'));
    expect(decideChecked(policy, example.input, example.options)).toStrictEqual(example.decision);
  });
});

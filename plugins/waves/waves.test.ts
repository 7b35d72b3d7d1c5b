import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import { z } from 'zod';
import type { ChildState, PolicyChild } from '../../core/contract.js';
import { decideChecked, input, kid, readmeExample, runRow, type Row } from '../policy-kit/fixtures.js';
import policy, { type WavesOptions } from './index.js';

const canary = { matchLabels: { ring: 'canary' } };
/** A canary child. */
const c = (id: string, state: ChildState = 'pending', since?: string) => kid(id, state, since, { labels: { ring: 'canary' } });
/** A non-canary child, `group` defaulting to 1. */
const n = (id: string, state: ChildState = 'pending', since?: string, group = 1) => kid(id, state, since, { group, labels: { ring: 'main' } });
/** Ten non-canary children n01…n10, the first `done` of them succeeded `since` ago. */
const ten = (done = 0, since = '1h'): PolicyChild[] => Array.from({ length: 10 }, (_, i) => n(`n${String(i + 1).padStart(2, '0')}`, i < done ? 'succeeded' : 'pending', i < done ? since : undefined));

describe('waves', () => {
  const rows: Row<WavesOptions>[] = [
    {
      name: 'starts the canary wave first',
      options: { canary },
      children: [n('a'), c('k2'), c('k1'), n('b')],
      expect: { action: 'advance', targets: ['k1', 'k2'], reason: ['canary wave is next'] },
    },
    {
      name: 'holds the next wave while a canary is in flight',
      options: { canary },
      children: [c('k1', 'progressing', '1m'), c('k2', 'succeeded', '1m'), n('a')],
      expect: { action: 'hold', targets: ['k1'] },
    },
    {
      name: 'bakes a wave for bakeTime after its last success, then rechecks',
      options: { canary, bakeTime: '10m' },
      children: [c('k1', 'succeeded', '20m'), c('k2', 'succeeded', '2m'), n('a')],
      expect: { action: 'hold', targets: ['k2'], recheckAfterMs: 480_000, reason: ['waiting for it to succeed and bake'] },
    },
    {
      name: 'starts the first step once the canaries baked',
      options: { canary, bakeTime: '10m', steps: ['25%', '100%'] },
      children: [c('k1', 'succeeded', '10m'), n('a'), n('b'), n('c'), n('d')],
      expect: { action: 'advance', targets: ['a'], reason: ['wave 1 (25%) is next'] },
    },
    {
      name: 'rounds step sizes up: 25% of 10 is 3, 50% is 5',
      options: { steps: ['25%', '50%', '100%'] },
      children: ten(3),
      expect: { action: 'advance', targets: ['n04', 'n05'], reason: ['wave 2 (50%) is next'] },
    },
    {
      name: 'releases the last step up to 100%',
      options: { steps: ['25%', '50%', '100%'] },
      children: ten(5),
      expect: { action: 'advance', targets: ['n06', 'n07', 'n08', 'n09', 'n10'] },
    },
    {
      name: 'ignores a step that adds nobody',
      options: { steps: ['10%', '10%', '20%'] },
      children: ten(1),
      expect: { action: 'advance', targets: ['n02'], reason: ['wave 3 (20%)'] },
    },
    {
      name: 'releases everything at once with the default single 100% step',
      options: {},
      children: [n('b'), n('a'), c('k')],
      expect: { action: 'advance', targets: ['k', 'a', 'b'] },
    },
    {
      name: 'skips the canary wave when the selector matches nobody',
      options: { canary: { matchLabels: { ring: 'nobody' } }, steps: ['50%', '100%'] },
      children: [n('a'), n('b'), n('c')],
      expect: { action: 'advance', targets: ['a', 'b'] },
    },
    {
      name: 'orders children by group index, then id',
      options: { steps: ['50%', '100%'] },
      children: [n('a', 'pending', undefined, 2), n('z', 'pending', undefined, 0), n('m', 'pending', undefined, 1), n('b', 'pending', undefined, 2)],
      expect: { action: 'advance', targets: ['z', 'm'] },
    },
    {
      name: 'leaves children beyond the last step pending on purpose',
      options: { steps: ['50%'] },
      children: [n('a', 'succeeded', '1m'), n('b')],
      expect: { action: 'hold', targets: [], reason: ['the last step leaves 1 child pending on purpose'] },
    },
    {
      name: 'pauses at the first failure with the default maxFailureRatio 0',
      options: { canary },
      children: [c('k1', 'failed', '1m'), c('k2', 'progressing', '1m'), n('a')],
      expect: { action: 'pause', targets: ['k1', 'k2'], budgetExceeded: true, reason: ['failure ratio 0.500 exceeds 0'] },
    },
    {
      name: 'goes on while failures stay within maxFailureRatio of the started children',
      options: { steps: ['50%', '100%'], maxFailureRatio: 0.2 },
      children: ten(4).map((k, i) => (i === 4 ? n('n05', 'timed-out', '1m') : k)),
      expect: { action: 'advance', targets: ['n06', 'n07', 'n08', 'n09', 'n10'] },
    },
    {
      name: 'pauses when (failed + timed out) / started exceeds maxFailureRatio',
      options: { steps: ['50%', '100%'], maxFailureRatio: 0.2 },
      children: ten(3).map((k, i) => (i === 3 ? n('n04', 'failed', '1m') : i === 4 ? n('n05', 'timed-out', '1m') : k)),
      expect: { action: 'pause', targets: ['n04'], budgetExceeded: true },
    },
    {
      name: 'times out children past the deadline and counts them as failures',
      options: { progressDeadline: '15m', maxFailureRatio: 0.5 },
      children: [n('a', 'progressing', '20m'), n('b', 'progressing', '5m'), n('c', 'succeeded', '1m')],
      expect: { action: 'hold', targets: ['b'], timedOut: ['a'], recheckAfterMs: 600_000 },
    },
    {
      name: 'lets a failed child retry without holding up the next wave when within the ratio',
      options: { steps: ['50%', '100%'], maxFailureRatio: 0.5 },
      children: [n('a', 'failed', '1m'), n('b', 'succeeded', '1m'), n('c'), n('d')],
      expect: { action: 'advance', targets: ['a', 'c', 'd'] },
    },
    {
      name: 'takes step percentages of the non-skipped, non-canary children only',
      options: { canary, steps: ['50%', '100%'] },
      children: [c('k', 'succeeded', '1m'), n('a'), n('b'), n('c'), n('d'), n('s1', 'skipped'), n('s2', 'skipped')],
      expect: { action: 'advance', targets: ['a', 'b'] },
    },
    {
      name: 'stays within the grant and tops the same wave up later',
      options: { steps: ['50%', '100%'] },
      grant: { maxStarted: 2, until: null },
      children: [n('a', 'progressing', '1m'), n('b'), n('c'), n('d'), n('e'), n('f')],
      expect: { action: 'advance', targets: ['a', 'b'], reason: ['1 child waits: the grant allows 2 started, 1 already are'] },
    },
    {
      name: 'starts nobody after the grant ended',
      options: {},
      grant: { maxStarted: null, until: '2026-03-02T08:00:00.000Z' },
      children: [n('a'), n('b', 'progressing', '1m')],
      expect: { action: 'hold', targets: ['b'], reason: ['the grant ended'] },
    },
    {
      name: 'does not open a new wave while children outside it are still moving',
      options: { canary },
      children: [c('k'), n('a', 'progressing', '1m')],
      expect: { action: 'hold', targets: ['a'], reason: ['outside it to settle first'] },
    },
    {
      name: 'completes when every non-skipped child succeeded',
      options: { canary, bakeTime: '1h' },
      children: [c('k', 'succeeded', '2h'), n('a', 'succeeded', '1m'), n('s', 'skipped')],
      expect: { action: 'complete', targets: [] },
    },
  ];

  for (const row of rows) it(row.name, () => runRow(policy, row));

  it('recomputes the waves from the non-skipped children when one becomes skipped', () => {
    const options: WavesOptions = { steps: ['50%', '100%'] };
    const before = decideChecked(policy, input([n('a', 'succeeded', '1m'), n('b', 'succeeded', '1m'), n('c'), n('d')]), options);
    const after = decideChecked(policy, input([n('a', 'succeeded', '1m'), n('b', 'succeeded', '1m'), n('c'), n('d', 'skipped')]), options);
    expect(before.targets).toEqual(['c', 'd']);
    expect(after.targets).toEqual(['c']);
  });

  describe('options schema', () => {
    const schema = z.fromJSONSchema(policy.options!);
    it('accepts canaries, steps, bake time and a ratio', () => {
      for (const ok of [{}, { canary, steps: ['10%', '50%', '100%'], bakeTime: '30m', maxFailureRatio: 0.1, progressDeadline: '1h' }, { canary: { matchLabels: {} } }]) {
        expect(schema.safeParse(ok).success, JSON.stringify(ok)).toBe(true);
      }
    });
    it('rejects malformed steps, ratios and selectors', () => {
      for (const bad of [{ steps: [] }, { steps: ['0%'] }, { steps: [50] }, { maxFailureRatio: 1.5 }, { canary: { ring: 'canary' } }, { canary: { matchLabels: { ring: 1 } } }, { bake: '1m' }]) {
        expect(schema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
      }
    });
  });

  it('decides what the README example shows', () => {
    const example = readmeExample<WavesOptions>(readFileSync(new URL('./README.md', import.meta.url), 'utf8'));
    expect(decideChecked(policy, example.input, example.options)).toStrictEqual(example.decision);
  });
});

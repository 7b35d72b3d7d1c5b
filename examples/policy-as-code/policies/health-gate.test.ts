import { describe, expect, it } from 'vitest';
import type { PolicyChild, PolicyInput } from '../../../core/contract.js';
import { checkPolicyConformance } from '../../../core/testing/index.js';
import policy from './health-gate.js';

const counts = (degraded: number, healthy: number) => ({ counts: { healthy, progressing: 0, degraded, suspended: 0, unknown: 0 } });
const child = (id: string, state: PolicyChild['state'], health: ReturnType<typeof counts> | null = null): PolicyChild => ({
  id,
  labels: {},
  group: { name: 'default', index: 0 },
  state,
  summary: health === null ? null : { states: null, summary: health },
  ...(state === 'pending' ? {} : { since: '2026-11-24T10:00:00Z' }),
});
const input = (children: PolicyChild[]): PolicyInput => ({ rollout: { id: 'r', workload: 'web', version: '2', startedAt: '2026-11-24T10:00:00Z' }, level: 'center', now: '2026-11-24T10:10:00Z', memo: null, children });

describe('health-gate policy', () => {
  it('starts children in batches while every started child is healthy', () => {
    const decision = policy.decide(input([child('a', 'progressing', counts(0, 10)), child('b', 'pending'), child('c', 'pending')]), { batch: 2 });
    expect(decision).toMatchObject({ action: 'advance', targets: ['a', 'b'] });
  });

  it('pauses with the budget exceeded when a started child reports too many degraded copies', () => {
    const decision = policy.decide(input([child('a', 'progressing', counts(3, 7)), child('b', 'pending')]), { maxDegraded: 0.2 });
    expect(decision).toMatchObject({ action: 'pause', budgetExceeded: true, targets: ['a'] });
    expect(decision.reason).toContain('a 30%');
  });

  it('completes when every child succeeded healthy', () => {
    expect(policy.decide(input([child('a', 'succeeded', counts(0, 5))]), {}).action).toBe('complete');
  });

  it('obeys the policy contract', () => {
    for (const children of [[child('a', 'progressing', counts(1, 1)), child('b', 'pending')], [child('a', 'succeeded', counts(0, 3)), child('b', 'skipped')]]) {
      expect(checkPolicyConformance(policy, { options: { batch: 1 }, input: input(children) })).toEqual([]);
    }
  });
});

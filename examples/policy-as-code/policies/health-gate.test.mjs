import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkPolicyConformance, loadPolicy } from 'edgesum/testing';

const policy = await loadPolicy(new URL('./health-gate.ts', import.meta.url));

const counts = (degraded, healthy) => ({ counts: { healthy, progressing: 0, degraded, suspended: 0, unknown: 0 } });
const child = (id, state, health = null) => ({
  id,
  labels: {},
  group: { name: 'default', index: 0 },
  state,
  summary: health === null ? null : { states: null, summary: health },
  ...(state === 'pending' ? {} : { since: '2026-11-24T10:00:00Z' }),
});
const input = (children) => ({ rollout: { id: 'r', workload: 'web', version: '2', startedAt: '2026-11-24T10:00:00Z' }, level: 'center', now: '2026-11-24T10:10:00Z', memo: null, children });

describe('health-gate policy', () => {
  it('starts children in batches while every started child is healthy', () => {
    const decision = policy.decide(input([child('a', 'progressing', counts(0, 10)), child('b', 'pending'), child('c', 'pending')]), { batch: 2 });
    assert.equal(decision.action, 'advance');
    assert.deepEqual(decision.targets, ['a', 'b']);
  });

  it('pauses with the budget exceeded when a started child reports too many degraded copies', () => {
    const decision = policy.decide(input([child('a', 'progressing', counts(3, 7)), child('b', 'pending')]), { maxDegraded: 0.2 });
    assert.equal(decision.action, 'pause');
    assert.equal(decision.budgetExceeded, true);
    assert.deepEqual(decision.targets, ['a']);
    assert.match(decision.reason, /a 30%/);
  });

  it('completes when every child succeeded healthy', () => {
    assert.equal(policy.decide(input([child('a', 'succeeded', counts(0, 5))]), {}).action, 'complete');
  });

  it('obeys the policy contract', () => {
    for (const children of [[child('a', 'progressing', counts(1, 1)), child('b', 'pending')], [child('a', 'succeeded', counts(0, 3)), child('b', 'skipped')]]) {
      assert.deepEqual(checkPolicyConformance(policy, { options: { batch: 1 }, input: input(children) }), []);
    }
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkPolicyConformance, loadPolicy } from 'edgesum/testing';

const policy = await loadPolicy(new URL('./business-hours.ts', import.meta.url));

const child = (id, state, since) => ({ id, labels: {}, group: { name: 'default', index: 0 }, state, summary: null, ...(since ? { since } : {}) });
const input = (now, children) => ({ rollout: { id: 'r', workload: 'web', version: '2', startedAt: now }, level: 'center', now, memo: null, children });

describe('business-hours policy', () => {
  it('starts the first pending child on a weekday inside business hours', () => {
    const decision = policy.decide(input('2026-11-24T10:00:00Z', [child('a', 'pending'), child('b', 'pending')]), {});
    assert.equal(decision.action, 'advance');
    assert.deepEqual(decision.targets, ['a']);
  });

  it('holds outside business hours and asks to be called when they open', () => {
    const decision = policy.decide(input('2026-11-24T20:00:00Z', [child('a', 'pending')]), {});
    assert.equal(decision.action, 'hold');
    assert.deepEqual(decision.targets, []);
    assert.equal(decision.recheckAfterMs, 13 * 3_600_000);
  });

  it('keeps one child in flight at a time', () => {
    const decision = policy.decide(input('2026-11-24T10:00:00Z', [child('a', 'progressing', '2026-11-24T09:59:00Z'), child('b', 'pending')]), {});
    assert.equal(decision.action, 'hold');
    assert.deepEqual(decision.targets, ['a']);
  });

  it('pauses with the budget exceeded once a child failed', () => {
    const decision = policy.decide(input('2026-11-24T10:00:00Z', [child('a', 'failed', '2026-11-24T09:59:00Z'), child('b', 'pending')]), {});
    assert.equal(decision.action, 'pause');
    assert.equal(decision.budgetExceeded, true);
    assert.deepEqual(decision.targets, []);
  });

  it('completes when every child succeeded', () => {
    assert.equal(policy.decide(input('2026-11-24T10:00:00Z', [child('a', 'succeeded', '2026-11-24T09:00:00Z')]), {}).action, 'complete');
  });

  it('obeys the policy contract', () => {
    const children = [child('a', 'progressing', '2026-11-24T09:59:00Z'), child('b', 'pending'), child('c', 'failed', '2026-11-24T09:00:00Z')];
    assert.deepEqual(checkPolicyConformance(policy, { options: {}, input: input('2026-11-24T10:00:00Z', children) }), []);
  });
});

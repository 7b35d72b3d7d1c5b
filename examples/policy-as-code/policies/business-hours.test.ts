import { describe, expect, it } from 'vitest';
import type { PolicyChild, PolicyInput } from '../../../core/contract.js';
import policy from './business-hours.js';

const child = (id: string, state: PolicyChild['state'], since?: string): PolicyChild => ({ id, labels: {}, group: { name: 'default', index: 0 }, state, summary: null, ...(since ? { since } : {}) });
const input = (now: string, children: PolicyChild[]): PolicyInput => ({ rollout: { id: 'r', workload: 'web', version: '2', startedAt: now }, level: 'center', now, memo: null, children });

describe('business-hours policy', () => {
  it('starts the first pending child on a weekday inside business hours', () => {
    const decision = policy.decide(input('2026-11-24T10:00:00Z', [child('a', 'pending'), child('b', 'pending')]), {});
    expect(decision).toMatchObject({ action: 'advance', targets: ['a'] });
  });

  it('holds outside business hours and asks to be called when they open', () => {
    const decision = policy.decide(input('2026-11-24T20:00:00Z', [child('a', 'pending')]), {});
    expect(decision).toMatchObject({ action: 'hold', targets: [], recheckAfterMs: 13 * 3_600_000 });
  });

  it('keeps one child in flight at a time', () => {
    const decision = policy.decide(input('2026-11-24T10:00:00Z', [child('a', 'progressing', '2026-11-24T09:59:00Z'), child('b', 'pending')]), {});
    expect(decision).toMatchObject({ action: 'hold', targets: ['a'] });
  });

  it('pauses with the budget exceeded once a child failed', () => {
    const decision = policy.decide(input('2026-11-24T10:00:00Z', [child('a', 'failed', '2026-11-24T09:59:00Z'), child('b', 'pending')]), {});
    expect(decision).toMatchObject({ action: 'pause', budgetExceeded: true, targets: [] });
  });

  it('completes when every child succeeded', () => {
    expect(policy.decide(input('2026-11-24T10:00:00Z', [child('a', 'succeeded', '2026-11-24T09:00:00Z')]), {}).action).toBe('complete');
  });
});

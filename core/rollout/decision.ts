import type { ChildState, Decision } from '../contract.js';
import { toIssues } from '../model/index.js';
import { DecisionSchema } from './spec.js';

/**
 * Checks a policy's raw output as a decision for these children: the contract's shape, and targets
 * and timed-out children that exist and are not skipped. Returns the decision, or what is wrong
 * with it in words, so each caller wraps it in its own error.
 */
export function checkDecision(raw: unknown, children: ReadonlyMap<string, ChildState>): { decision: Decision } | { problem: string } {
  const parsed = DecisionSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = toIssues(parsed.error)[0]!;
    return { problem: `the decision is invalid at ${issue.path || '(root)'}: ${issue.message}` };
  }
  for (const id of [...parsed.data.targets, ...parsed.data.timedOut]) {
    const state = children.get(id);
    if (state === undefined) return { problem: `"${id}" is not a child of this level` };
    if (state === 'skipped') return { problem: `"${id}" is skipped (no destination in scope)` };
  }
  return { decision: parsed.data as Decision };
}

/**
 * `all-at-once`: start every child in scope at once, OCM's `All` rollout.
 *
 * Nothing gates the rollout: there is no failure budget and no soak. The only option is a progress
 * deadline, after which a progressing or failed child is reported as timed out. A grant still caps
 * how many may start, so under a grant "all" means "as many as the grant allows, in group order".
 *
 * @module plugins/all-at-once
 */
import { definePolicy } from '../../core/contract.js';
import { allSucceeded, assess, completeDecision, conclude, deadlineMs, durationSchema, grantAllowance, isInFlight, isStarted, listIds, plural, takeWithin } from '../policy-kit/kit.js';

/** Options of `all-at-once`, as validated against its options schema. */
export interface AllAtOnceOptions {
  /** How long a child may progress (or fail and retry) before it is timed out. `"None"` or `"0"`: never. */
  readonly progressDeadline?: string;
}

const name = 'all-at-once';

/** Starts every non-skipped child at once; only a grant limits how many. */
export default definePolicy<AllAtOnceOptions>({
  name,
  version: '1.0.0',
  description: 'Starts every child in scope at once (OCM "All"); an optional progress deadline times out stragglers.',
  options: {
    type: 'object',
    additionalProperties: false,
    properties: { progressDeadline: durationSchema },
  },

  decide(input, options) {
    const assessment = assess(input, deadlineMs(options?.progressDeadline), 0);
    if (allSucceeded(assessment)) return completeDecision(name, assessment);

    const keep = assessment.active.filter((a) => isInFlight(a.phase));
    const pending = assessment.active.filter((a) => a.phase === 'pending');
    const started = assessment.active.filter((a) => isStarted(a.phase)).length;
    const { start, note } = takeWithin(pending, pending.length, grantAllowance(input.grant, started, assessment.nowMs));

    const parts = [`${name}: ${plural(keep.length, 'child', 'children')} in flight`];
    if (start.length > 0) parts.push(`starting ${listIds(start.map((a) => a.child.id))}`);
    if (start.length < pending.length) parts.push(`${pending.length - start.length} left pending: ${note}`);
    if (assessment.timedOut.length > 0) parts.push(`timed out: ${listIds(assessment.timedOut)}`);
    if (keep.length === 0 && pending.length === 0) {
      const failed = assessment.active.filter((a) => a.phase === 'timed-out' || a.phase === 'expiring').length;
      parts.push(`nothing left to start; ${plural(failed, 'child has', 'children have')} timed out`);
    }
    return conclude(assessment, { keep, start, budgetExceeded: false, reason: parts.join('; ') });
  },
});

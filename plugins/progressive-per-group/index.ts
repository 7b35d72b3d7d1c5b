/**
 * `progressive-per-group`: OCM's `ProgressivePerGroup` rollout, one group after another.
 *
 * Mandatory groups go first and tolerate no failure; then the other groups in index order. The
 * next group opens only when nothing of the current one is pending, progressing or soaking; failed
 * children within the group's `maxFailures` do not hold it up. One decision never opens more than
 * one group. `maxConcurrency`, absent in OCM here, optionally caps the children in flight at once.
 *
 * @module plugins/progressive-per-group
 */
import { definePolicy } from '../../core/contract.js';
import {
  allSucceeded,
  assess,
  completeDecision,
  conclude,
  deadlineMs,
  grantAllowance,
  isFailure,
  isInFlight,
  isStarted,
  listIds,
  orderGroups,
  plural,
  progressiveOptionsSchema,
  resolveSize,
  soakMs,
  takeWithin,
  type GroupRef,
} from '../policy-kit/kit.js';

/** Options of `progressive-per-group`, as validated against its options schema. */
export interface ProgressivePerGroupOptions {
  /** Most children holding a slot at once, across groups: a count or a percentage (rounded up). Default: no cap. */
  readonly maxConcurrency?: number | string;
  /** Failures tolerated per group: a count or a percentage of the group (rounded up). Default 0. */
  readonly maxFailures?: number | string;
  /** Soak: how long a succeeded child holds its group open. Default `"0"`. */
  readonly minSuccessTime?: string;
  /** How long a child may progress (or fail and retry) before it is timed out. Default `"None"`. */
  readonly progressDeadline?: string;
  /** Groups rolled out first, one at a time, with no failure tolerated. */
  readonly mandatoryGroups?: readonly GroupRef[];
}

const name = 'progressive-per-group';

/** Rolls out one group at a time, mandatory groups first, within a per-group failure budget. */
export default definePolicy<ProgressivePerGroupOptions>({
  name,
  version: '1.0.0',
  description: 'One group at a time in index order, mandatory groups first, each within its maxFailures (OCM "ProgressivePerGroup").',
  options: progressiveOptionsSchema,

  decide(input, options) {
    const opts = options ?? {};
    const assessment = assess(input, deadlineMs(opts.progressDeadline), soakMs(opts.minSuccessTime));
    if (allSucceeded(assessment)) return completeDecision(name, assessment);

    const total = assessment.active.length;
    const cap = opts.maxConcurrency === undefined ? total : resolveSize(opts.maxConcurrency, total, total) || total;
    const groups = orderGroups(assessment, opts.mandatoryGroups);
    const inFlight = groups.flatMap((g) => g.members.filter((a) => isInFlight(a.phase)));
    const keep = inFlight.slice(0, cap);
    const failures = assessment.active.filter((a) => isFailure(a.phase));

    const parts = [`${name}: ${plural(inFlight.length, 'child', 'children')} in flight`];
    if (opts.maxConcurrency !== undefined) parts.push(`maxConcurrency ${cap}`);
    if (inFlight.length > cap) parts.push(`over the cap, so only ${listIds(keep.map((a) => a.child.id))} stay targets`);
    if (assessment.timedOut.length > 0) parts.push(`timed out: ${listIds(assessment.timedOut)}`);

    // Every group's budget is checked, not only the open one: failures anywhere must not be ignored.
    for (const group of groups) {
      const budget = group.mandatory ? 0 : resolveSize(opts.maxFailures, group.members.length, 0);
      const failed = group.members.filter((a) => isFailure(a.phase));
      if (failed.length > budget) {
        parts.push(
          group.mandatory
            ? `paused: mandatory group ${group.label} tolerates no failure and ${listIds(failed.map((a) => a.child.id))} failed`
            : `paused: group ${group.label} has ${failed.length} failures, over its maxFailures ${budget} (${listIds(failed.map((a) => a.child.id))})`,
        );
        return conclude(assessment, { keep, start: [], budgetExceeded: true, reason: parts.join('; ') });
      }
    }

    const current = groups.find((g) => g.members.some((a) => a.phase === 'pending' || a.phase === 'progressing' || a.phase === 'soaking'));
    if (current === undefined) {
      parts.push(`every group is done; ${plural(failures.length, 'child', 'children')} failed within the group budgets`);
      return conclude(assessment, { keep, start: [], budgetExceeded: false, reason: parts.join('; ') });
    }

    const candidates = current.members.filter((a) => a.phase === 'pending');
    const opened = current.members.some((a) => isStarted(a.phase));
    // Children still moving outside the current group (earlier options, a restart) must settle before it opens.
    const elsewhere = groups.filter((g) => g !== current).flatMap((g) => g.members.filter((a) => a.phase === 'progressing' || a.phase === 'soaking'));
    parts.push(`${current.mandatory ? 'mandatory group' : 'group'} ${current.label} is ${opened ? 'open' : 'next'}`);
    if (candidates.length === 0) {
      parts.push('waiting for it to succeed and soak');
      return conclude(assessment, { keep, start: [], budgetExceeded: false, reason: parts.join('; ') });
    }
    if (!opened && elsewhere.length > 0) {
      parts.push(`waiting for ${listIds(elsewhere.map((a) => a.child.id))} outside it to settle first`);
      return conclude(assessment, { keep, start: [], budgetExceeded: false, reason: parts.join('; ') });
    }

    const slots = Math.max(0, cap - inFlight.length);
    const started = assessment.active.filter((a) => isStarted(a.phase)).length;
    const { start, note } = takeWithin(candidates, slots, grantAllowance(input.grant, started, assessment.nowMs));
    if (start.length > 0) parts.push(`starting ${listIds(start.map((a) => a.child.id))}`);
    if (start.length < candidates.length) parts.push(note !== '' ? `${plural(candidates.length - start.length, 'child waits', 'children wait')}: ${note}` : `${plural(candidates.length - start.length, 'child waits', 'children wait')} for a free slot`);
    return conclude(assessment, { keep, start, budgetExceeded: false, reason: parts.join('; ') });
  },
});

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
import { awaitStep, conclude, defineProgressivePolicy, fillSlots, isFailure, isInFlight, listIds, orderGroups, plural, resolveSize, type ProgressiveOptions } from '../policy-kit/kit.js';

/** Options of `progressive-per-group`, as validated against its options schema (shared with `progressive`). */
export type ProgressivePerGroupOptions = ProgressiveOptions;

const name = 'progressive-per-group';

/** Rolls out one group at a time, mandatory groups first, within a per-group failure budget. */
export default defineProgressivePolicy(
  {
    name,
    version: '1.0.0',
    description: 'One group at a time in index order, mandatory groups first, each within its maxFailures (OCM "ProgressivePerGroup").',
  },
  (step) => {
    const { opts, assessment, total } = step;
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
    const wait = awaitStep(assessment, groups, current, keep, parts, { step: current.mandatory ? 'mandatory group ' : 'group ', settle: 'soak' });
    if (wait !== undefined) return wait;

    const start = fillSlots(step, candidates, Math.max(0, cap - inFlight.length), parts);
    return conclude(assessment, { keep, start, budgetExceeded: false, reason: parts.join('; ') });
  },
);

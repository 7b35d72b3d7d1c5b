/**
 * `progressive`: OCM's `Progressive` rollout, a sliding window over the children.
 *
 * At most `maxConcurrency` children hold a slot at once; a slot is held while a child progresses,
 * while it fails and retries within its deadline, and while it soaks after succeeding. Mandatory
 * groups go first, one group at a time, tolerating no failure; then the other children, in group
 * order, fill every free slot. When failures exceed `maxFailures` nothing new starts.
 *
 * @module plugins/progressive
 */
import {
  conclude,
  defineProgressivePolicy,
  fillSlots,
  isFailure,
  isInFlight,
  listIds,
  orderGroups,
  plural,
  resolveSize,
  type Assessed,
  type ProgressiveOptions,
} from '../policy-kit/kit.js';

/** Options of `progressive`, as validated against its options schema (shared with `progressive-per-group`). */
export type { ProgressiveOptions };

const name = 'progressive';

/** Rolls out through a sliding window of `maxConcurrency` slots, mandatory groups first. */
export default defineProgressivePolicy(
  {
    name,
    version: '1.0.0',
    description: 'Sliding window of maxConcurrency children, mandatory groups first, stopping when failures exceed maxFailures (OCM "Progressive").',
  },
  (step) => {
    const { opts, assessment, total } = step;
    // OCM reads a zero concurrency as "no limit"; the schema rejects it, this only guards bad data.
    const cap = resolveSize(opts.maxConcurrency, total, total) || total;
    const maxFailures = resolveSize(opts.maxFailures, total, 0);
    const groups = orderGroups(assessment, opts.mandatoryGroups);
    const mandatory = new Set(groups.filter((g) => g.mandatory).flatMap((g) => g.members.map((a) => a.child.id)));

    // Mandatory children keep their slots first when more are in flight than the cap allows.
    const inFlight = assessment.active.filter((a) => isInFlight(a.phase));
    const ranked = [...inFlight.filter((a) => mandatory.has(a.child.id)), ...inFlight.filter((a) => !mandatory.has(a.child.id))];
    const keep = ranked.slice(0, cap);
    const failures = assessment.active.filter((a) => isFailure(a.phase));
    const mandatoryFailures = failures.filter((a) => mandatory.has(a.child.id));

    const parts = [`${name}: ${inFlight.length} of maxConcurrency ${cap} in flight`, `${failures.length} failed of maxFailures ${maxFailures}`];
    if (inFlight.length > cap) parts.push(`over the cap, so only ${listIds(keep.map((a) => a.child.id))} stay targets`);
    if (assessment.timedOut.length > 0) parts.push(`timed out: ${listIds(assessment.timedOut)}`);

    if (mandatoryFailures.length > 0 || failures.length > maxFailures) {
      parts.push(
        mandatoryFailures.length > 0
          ? `paused: mandatory groups tolerate no failure and ${listIds(mandatoryFailures.map((a) => a.child.id))} failed`
          : `paused: ${failures.length} failures exceed maxFailures ${maxFailures} (${listIds(failures.map((a) => a.child.id))})`,
      );
      return conclude(assessment, { keep, start: [], budgetExceeded: true, reason: parts.join('; ') });
    }

    // Mandatory groups go one at a time: the next opens once every child of the current one succeeded and soaked.
    const current = groups.find((g) => g.mandatory && g.members.some((a) => a.phase !== 'succeeded'));
    let candidates: Assessed[];
    if (current !== undefined) {
      candidates = current.members.filter((a) => a.phase === 'pending');
      parts.push(`mandatory group ${current.label} first`);
      if (candidates.length === 0) parts.push(`waiting for it to succeed and soak`);
    } else {
      candidates = assessment.active.filter((a) => a.phase === 'pending' && !mandatory.has(a.child.id));
    }

    const start = fillSlots(step, candidates, Math.max(0, cap - inFlight.length), parts);
    if (candidates.length === 0 && inFlight.length === 0 && current === undefined) {
      parts.push(`nothing left to start: ${plural(failures.length, 'child', 'children')} failed within maxFailures`);
    }
    return conclude(assessment, { keep, start, budgetExceeded: false, reason: parts.join('; ') });
  },
);

/**
 * `waves`: canaries first, then cumulative percentage steps, each wave baking before the next.
 *
 * Children are ordered by group index, then id. Wave 0 holds the children matching the `canary`
 * selector; each step then releases the non-canary children up to its cumulative percentage
 * (rounded up). A wave is done when none of its children is pending, progressing or baking; the
 * next wave starts only then. When failed and timed-out children exceed `maxFailureRatio` of the
 * started ones, the rollout pauses. Every wave is derived from the input alone: no memo is needed.
 *
 * @module plugins/waves
 */
import { definePolicy } from '../../core/contract.js';
import {
  awaitStep,
  allSucceeded,
  assess,
  completeDecision,
  conclude,
  deadlineMs,
  durationSchema,
  grantAllowance,
  isFailure,
  isInFlight,
  isStarted,
  labelSelectorSchema,
  listIds,
  matchesLabels,
  percentOf,
  percentSchema,
  plural,
  soakMs,
  takeWithin,
  type Assessed,
} from '../policy-kit/kit.js';

/** Options of `waves`, as validated against its options schema. */
export interface WavesOptions {
  /** Children matching this selector form wave 0. Absent: no canary wave. */
  readonly canary?: { readonly matchLabels: Readonly<Record<string, string>> };
  /** Cumulative percentages of the non-canary children, one wave each. Default `["100%"]`. */
  readonly steps?: readonly string[];
  /** How long every child of a wave must have succeeded before the next wave starts. Default `"0"`. */
  readonly bakeTime?: string;
  /** Pause when (failed + timed out) / started exceeds this, 0..1. Default 0: any failure pauses. */
  readonly maxFailureRatio?: number;
  /** How long a child may progress (or fail and retry) before it is timed out. Default `"None"`. */
  readonly progressDeadline?: string;
}

/** One wave: its readable name and its children in order. */
interface Wave {
  readonly label: string;
  readonly members: readonly Assessed[];
}

const name = 'waves';

/** Splits the children into waves; children past the last step are returned as `beyond`. */
function wavesOf(active: readonly Assessed[], options: WavesOptions): { waves: Wave[]; beyond: Assessed[] } {
  const selector = options.canary?.matchLabels;
  const canaries = options.canary === undefined ? [] : active.filter((a) => matchesLabels(a.child.labels, selector));
  const rest = options.canary === undefined ? [...active] : active.filter((a) => !matchesLabels(a.child.labels, selector));
  const waves: Wave[] = canaries.length > 0 ? [{ label: 'canary wave', members: canaries }] : [];
  const steps = Array.isArray(options.steps) && options.steps.length > 0 ? options.steps : ['100%'];
  let from = 0;
  steps.forEach((step, i) => {
    const fraction = percentOf(step);
    // Steps are cumulative; a step below an earlier one adds nobody rather than going back.
    const to = fraction === undefined ? from : Math.max(from, Math.min(rest.length, Math.ceil((Number(step.slice(0, -1)) * rest.length) / 100)));
    if (to > from) waves.push({ label: `wave ${i + 1} (${step})`, members: rest.slice(from, to) });
    from = to;
  });
  return { waves, beyond: rest.slice(from) };
}

/** Canaries, then cumulative percentage waves, each baking before the next. */
export default definePolicy<WavesOptions>({
  name,
  version: '1.0.0',
  description: 'Canary children first, then cumulative percentage waves, each baking before the next; pauses over maxFailureRatio.',
  options: {
    type: 'object',
    additionalProperties: false,
    properties: {
      canary: labelSelectorSchema,
      steps: { type: 'array', items: percentSchema, minItems: 1, maxItems: 100 },
      bakeTime: durationSchema,
      maxFailureRatio: { type: 'number', minimum: 0, maximum: 1 },
      progressDeadline: durationSchema,
    },
  },

  decide(input, options) {
    const opts = options ?? {};
    const assessment = assess(input, deadlineMs(opts.progressDeadline), soakMs(opts.bakeTime));
    if (allSucceeded(assessment)) return completeDecision(name, assessment);

    const { waves, beyond } = wavesOf(assessment.active, opts);
    const keep = assessment.active.filter((a) => isInFlight(a.phase));
    const startedCount = assessment.active.filter((a) => isStarted(a.phase)).length;
    const failures = assessment.active.filter((a) => isFailure(a.phase));
    const maxRatio = typeof opts.maxFailureRatio === 'number' && opts.maxFailureRatio >= 0 ? opts.maxFailureRatio : 0;
    const ratio = startedCount === 0 ? 0 : failures.length / startedCount;

    const parts = [`${name}: ${plural(keep.length, 'child', 'children')} in flight`, `${failures.length} of ${startedCount} started failed (maxFailureRatio ${maxRatio})`];
    if (assessment.timedOut.length > 0) parts.push(`timed out: ${listIds(assessment.timedOut)}`);
    if (ratio > maxRatio) {
      parts.push(`paused: failure ratio ${ratio.toFixed(3)} exceeds ${maxRatio} (${listIds(failures.map((a) => a.child.id))})`);
      return conclude(assessment, { keep, start: [], budgetExceeded: true, reason: parts.join('; ') });
    }

    const current = waves.find((w) => w.members.some((a) => a.phase === 'pending' || a.phase === 'progressing' || a.phase === 'soaking'));
    if (current === undefined) {
      parts.push(
        beyond.length > 0
          ? `every wave is done; the last step leaves ${plural(beyond.length, 'child', 'children')} pending on purpose`
          : `every wave is done; ${plural(failures.length, 'child', 'children')} failed within maxFailureRatio`,
      );
      return conclude(assessment, { keep, start: [], budgetExceeded: false, reason: parts.join('; ') });
    }

    const candidates = current.members.filter((a) => a.phase === 'pending');
    const wait = awaitStep(assessment, waves, current, keep, parts, { step: '', settle: 'bake' });
    if (wait !== undefined) return wait;

    const { start, note } = takeWithin(candidates, candidates.length, grantAllowance(input.grant, startedCount, assessment.nowMs));
    if (start.length > 0) parts.push(`starting ${listIds(start.map((a) => a.child.id))}`);
    if (start.length < candidates.length) parts.push(`${plural(candidates.length - start.length, 'child waits', 'children wait')}: ${note}`);
    return conclude(assessment, { keep, start, budgetExceeded: false, reason: parts.join('; ') });
  },
});

/**
 * `maintenance-window`: another built-in policy, allowed to start children only inside their
 * maintenance windows.
 *
 * The inner policy decides as usual; this policy then removes from its targets every child it
 * would start (a pending child) whose labels match at least one window when none of those windows
 * is open now. Children already in flight stay targets whatever the time, and a child that matches
 * no window's labels is not restricted. When it holds a child back, it asks for a recheck when the
 * earliest of the held-back children's windows opens.
 *
 * @module plugins/maintenance-window
 */
import { definePolicy, type Decision, type PolicyInput } from '../../core/contract.js';
import { clockSchema, dayNames, delayUntil, listIds, matchesLabels, matchLabelsSchema, nextOpening, plural, timeOf, windowContains, type DailyWindow } from '../policy-kit/kit.js';
import allAtOnce, { type AllAtOnceOptions } from '../all-at-once/index.js';
import progressive, { type ProgressiveOptions } from '../progressive/index.js';
import progressivePerGroup, { type ProgressivePerGroupOptions } from '../progressive-per-group/index.js';
import waves, { type WavesOptions } from '../waves/index.js';

/** A daily UTC window, for the children matching `matchLabels` (all children when absent). */
export interface MaintenanceWindow extends DailyWindow {
  /** The children this window is for. Absent: every child. */
  readonly matchLabels?: Readonly<Record<string, string>>;
  /** Days the window opens on, `Sun`…`Sat` (a window crossing midnight belongs to the day it opens). Absent: every day. */
  readonly days?: readonly string[];
  /** Opening time, `HH:MM` UTC. */
  readonly start: string;
  /** Closing time, `HH:MM` UTC, exclusive; earlier than `start` crosses midnight; equal to `start` means 24 hours. */
  readonly end: string;
}

/** The wrapped policy and its options. */
export type InnerPolicy =
  | { readonly name: 'all-at-once'; readonly options?: AllAtOnceOptions }
  | { readonly name: 'progressive'; readonly options?: ProgressiveOptions }
  | { readonly name: 'progressive-per-group'; readonly options?: ProgressivePerGroupOptions }
  | { readonly name: 'waves'; readonly options?: WavesOptions };

/** Options of `maintenance-window`, as validated against its options schema. */
export interface MaintenanceWindowOptions {
  readonly policy: InnerPolicy;
  readonly windows: readonly MaintenanceWindow[];
}

const name = 'maintenance-window';
const inner = [allAtOnce, progressive, progressivePerGroup, waves] as const;

function innerDecide(input: PolicyInput, policy: InnerPolicy | undefined): Decision | undefined {
  switch (policy?.name) {
    case 'all-at-once':
      return allAtOnce.decide(input, policy.options ?? {});
    case 'progressive':
      return progressive.decide(input, policy.options ?? {});
    case 'progressive-per-group':
      return progressivePerGroup.decide(input, policy.options ?? {});
    case 'waves':
      return waves.decide(input, policy.options ?? {});
    default:
      return undefined;
  }
}

/** Wraps a built-in policy so that children start only inside their maintenance windows. */
export default definePolicy<MaintenanceWindowOptions>({
  name,
  version: '1.0.0',
  description: 'Runs another built-in policy but starts each child only inside its UTC maintenance windows; in-flight children continue.',
  options: {
    type: 'object',
    additionalProperties: false,
    required: ['policy', 'windows'],
    properties: {
      // One branch per inner policy, so the host validates the inner options with the inner schema.
      policy: {
        anyOf: inner.map((p) => ({
          type: 'object',
          additionalProperties: false,
          required: ['name'],
          properties: { name: { const: p.name }, options: p.options ?? { type: 'object' } },
        })),
      },
      windows: {
        type: 'array',
        minItems: 1,
        maxItems: 100,
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['start', 'end'],
          properties: {
            matchLabels: matchLabelsSchema,
            days: { type: 'array', minItems: 1, maxItems: 7, uniqueItems: true, items: { enum: [...dayNames] } },
            start: clockSchema,
            end: clockSchema,
          },
        },
      },
    },
  },

  decide(input, options) {
    const decision = innerDecide(input, options?.policy);
    if (decision === undefined) {
      // The schema rules this out; holding with no targets is the one answer that starts nothing.
      return { action: 'hold', targets: [], timedOut: [], budgetExceeded: false, reason: `${name}: no known inner policy configured; holding` };
    }
    const label = `${name}(${options.policy.name})`;
    const nowMs = timeOf(input.now);
    const windows = Array.isArray(options.windows) ? options.windows : [];
    const byId = new Map((Array.isArray(input.children) ? input.children : []).map((c) => [c.id, c]));

    const held: string[] = [];
    const opensAt: number[] = [];
    for (const id of decision.targets) {
      const child = byId.get(id);
      if (child === undefined || child.state !== 'pending') continue;
      const own = windows.filter((w) => matchesLabels(child.labels, w.matchLabels));
      if (own.length === 0 || own.some((w) => windowContains(w, nowMs))) continue;
      held.push(id);
      for (const w of own) {
        const at = nextOpening(w, nowMs);
        if (at !== undefined) opensAt.push(at);
      }
    }
    if (held.length === 0) return { ...decision, reason: `${label}: ${decision.reason}` };

    const heldSet = new Set(held);
    const targets = decision.targets.filter((id) => !heldSet.has(id));
    const starting = targets.filter((id) => byId.get(id)?.state === 'pending');
    const opens = delayUntil(nowMs, opensAt);
    const recheck = [decision.recheckAfterMs, opens].filter((d): d is number => typeof d === 'number' && d > 0);
    const next = opens === undefined ? 'no window opens within a week' : `the next window opens at ${new Date(nowMs + opens).toISOString()}`;
    return {
      action: decision.action === 'advance' && starting.length === 0 ? 'hold' : decision.action,
      targets,
      timedOut: decision.timedOut,
      budgetExceeded: decision.budgetExceeded,
      ...(recheck.length === 0 ? {} : { recheckAfterMs: Math.min(...recheck) }),
      reason: `${label}: ${decision.reason}; ${plural(held.length, 'child is', 'children are')} outside ${held.length === 1 ? 'its' : 'their'} maintenance window and wait${held.length === 1 ? 's' : ''}: ${listIds(held)}; ${next}`,
      ...(decision.memo === undefined ? {} : { memo: decision.memo }),
    };
  },
});

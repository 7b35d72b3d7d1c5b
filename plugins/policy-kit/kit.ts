/**
 * Pure helpers shared by the built-in rollout policies: Kubernetes-style durations, counts and
 * percentages, grants, daily time windows, and the classification of children by what time has
 * done to them (in flight, soaking, past their deadline).
 *
 * This folder has no `index.ts` on purpose: it is not a plugin, so the catalog does not list it.
 * Everything here runs inside the sandbox, so it reads time only from the values it is given
 * (`Date.parse` of `input.now`), never from a clock.
 *
 * @module plugins/policy-kit
 */
import { definePolicy, type Decision, type Grant, type OptionsSchema, type Policy, type PolicyChild, type PolicyInput } from '../../core/contract.js';

// ---------------------------------------------------------------------------------------------
// Options schema fragments
// ---------------------------------------------------------------------------------------------

/**
 * A Kubernetes-style duration (`"90s"`, `"5m"`, `"1h30m"`, `"1.5h"`, `"250ms"`), or `"0"` / `"None"`.
 * Which of `"0"` and `"None"` means "no limit" is up to the option using it.
 */
export const durationSchema: OptionsSchema = {
  type: 'string',
  pattern: '^(?:None|0|(?:[0-9]+(?:\\.[0-9]+)?(?:h|ms|m|s))+)$',
  maxLength: 64,
};

/** A count (`3`) or a whole percentage of a total (`"25%"`, rounded up); zero allowed. */
export const sizeSchema: OptionsSchema = {
  anyOf: [
    { type: 'integer', minimum: 0 },
    { type: 'string', pattern: '^(?:100|[1-9]?[0-9])%$' },
  ],
};

/** A count or percentage that must allow at least one child (`1`, `"1%"` … `"100%"`). */
export const positiveSizeSchema: OptionsSchema = {
  anyOf: [
    { type: 'integer', minimum: 1 },
    { type: 'string', pattern: '^(?:100|[1-9][0-9]?)%$' },
  ],
};

/** A cumulative percentage step (`"1%"` … `"100%"`). */
export const percentSchema: OptionsSchema = { type: 'string', pattern: '^(?:100|[1-9][0-9]?)%$' };

/** A rollout group, by name or by index. */
export const groupRefSchema: OptionsSchema = {
  anyOf: [
    { type: 'object', additionalProperties: false, required: ['name'], properties: { name: { type: 'string', minLength: 1, maxLength: 256 } } },
    { type: 'object', additionalProperties: false, required: ['index'], properties: { index: { type: 'integer', minimum: 0 } } },
  ],
};

/** A label map: every key must be present on the child with exactly this value. */
export const matchLabelsSchema: OptionsSchema = { type: 'object', additionalProperties: { type: 'string' } };

/** A label selector with `matchLabels` only. */
export const labelSelectorSchema: OptionsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['matchLabels'],
  properties: { matchLabels: matchLabelsSchema },
};

// ---------------------------------------------------------------------------------------------
// Durations, sizes, selectors
// ---------------------------------------------------------------------------------------------

const unitMs: Readonly<Record<string, number>> = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1 };

/**
 * Milliseconds of a Kubernetes-style duration. `"0"` is 0; `"None"`, the empty string, an absent
 * value and anything unparseable give `undefined`, so callers decide what "no value" means.
 */
export function parseDuration(text: string | undefined): number | undefined {
  if (typeof text !== 'string' || text === '' || text === 'None') return undefined;
  if (text === '0') return 0;
  const part = /([0-9]+(?:\.[0-9]+)?)(ms|h|m|s)/y;
  let total = 0;
  let at = 0;
  while (at < text.length) {
    part.lastIndex = at;
    const match = part.exec(text);
    if (match === null) return undefined;
    total += Number(match[1]) * (unitMs[match[2]!] ?? Number.NaN);
    at = part.lastIndex;
  }
  return Number.isFinite(total) ? Math.round(total) : undefined;
}

/**
 * A progress deadline in ms, or `null` for none. Both `"None"` and a zero duration mean none: OCM
 * times every child out at once on a zero deadline, which would count every start as a failure.
 */
export function deadlineMs(text: string | undefined): number | null {
  const ms = parseDuration(text);
  return ms === undefined || ms <= 0 ? null : ms;
}

/** A soak or bake time in ms; `"0"`, `"None"` and absent all mean no soak. */
export function soakMs(text: string | undefined): number {
  const ms = parseDuration(text);
  return ms === undefined || ms < 0 ? 0 : ms;
}

/**
 * Resolves a count or percentage against `total`, clamped to `0..total`. Percentages round up and
 * are computed exactly (`ceil(p·total/100)`), so `"7%"` of 100 is 7. An integer above `total`
 * means all of them. Anything unusable gives `fallback`.
 */
export function resolveSize(value: number | string | undefined, total: number, fallback: number): number {
  let size: number;
  if (typeof value === 'number') {
    size = Math.floor(value);
  } else if (typeof value === 'string') {
    const match = /^([0-9]+)%$/.exec(value);
    if (match === null) return fallback;
    // p·total is an exact integer, so dividing by 100 and rounding up cannot overshoot.
    size = Math.ceil((Number(match[1]) * total) / 100);
  } else {
    return fallback;
  }
  if (!Number.isFinite(size) || size < 0) return fallback;
  return Math.min(size, total);
}

/** Fraction of a percentage string (`"25%"` → 0.25), or `undefined` when it is not one. */
export function percentOf(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^([0-9]+)%$/.exec(value);
  return match === null ? undefined : Number(match[1]) / 100;
}

/** Whether `labels` carry every key of `matchLabels` with its value. An empty selector matches all. */
export function matchesLabels(labels: Readonly<Record<string, string>> | undefined, matchLabels: Readonly<Record<string, string>> | undefined): boolean {
  if (matchLabels === undefined || matchLabels === null) return true;
  for (const key of Object.keys(matchLabels)) {
    if (labels === undefined || labels === null || !Object.prototype.hasOwnProperty.call(labels, key) || labels[key] !== matchLabels[key]) return false;
  }
  return true;
}

/** A group named in options: `{ name }` or `{ index }`. */
export interface GroupRef {
  readonly name?: string;
  readonly index?: number;
}

/** Whether a child's group is one of `refs` (by name when the ref has one, else by index). */
export function inGroups(group: PolicyChild['group'] | undefined, refs: readonly GroupRef[] | undefined): boolean {
  if (refs === undefined || group === undefined || group === null) return false;
  return refs.some((ref) => (typeof ref.name === 'string' ? ref.name === group.name : typeof ref.index === 'number' && ref.index === group.index));
}

// ---------------------------------------------------------------------------------------------
// Ordering
// ---------------------------------------------------------------------------------------------

/** Compares strings by UTF-16 code units, not locale, so every runtime orders alike. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function groupIndex(child: PolicyChild): number {
  const index = child.group?.index;
  return typeof index === 'number' && Number.isFinite(index) ? index : Number.MAX_SAFE_INTEGER;
}

function groupName(child: PolicyChild): string {
  const name = child.group?.name;
  return typeof name === 'string' ? name : '';
}

/** The canonical order: group index, then group name, then id. */
export function compareChildren(a: PolicyChild, b: PolicyChild): number {
  return groupIndex(a) - groupIndex(b) || compareText(groupName(a), groupName(b)) || compareText(a.id, b.id);
}

/** A stable key for a child's group. */
export function groupKey(child: PolicyChild): string {
  return `${groupIndex(child)}\u0000${groupName(child)}`;
}

/** A readable label for a group: its name, or `#index` when unnamed. */
export function groupLabel(child: PolicyChild): string {
  const name = groupName(child);
  return name === '' ? `#${groupIndex(child)}` : `"${name}"`;
}

// ---------------------------------------------------------------------------------------------
// Classification of children
// ---------------------------------------------------------------------------------------------

/**
 * What time has made of a child at `now`:
 * - `pending`: not started;
 * - `progressing`: started, within its deadline;
 * - `retrying`: failed, within its deadline (still in flight, and a failure);
 * - `expiring`: progressing or failed past its deadline: reported in `timedOut` now;
 * - `timed-out`: recorded as timed out by the host;
 * - `soaking`: succeeded less than the soak time ago;
 * - `succeeded`: succeeded and soaked;
 * - `skipped`: out of scope, never a target.
 */
export type Phase = 'pending' | 'progressing' | 'retrying' | 'expiring' | 'timed-out' | 'soaking' | 'succeeded' | 'skipped';

/** One child with its phase and, when time alone will change that phase, when. */
export interface Assessed {
  readonly child: PolicyChild;
  readonly phase: Phase;
  /** Epoch ms at which the phase changes by itself (deadline or soak end), if it will. */
  readonly changesAt?: number;
}

/** Every child of an input, classified. */
export interface Assessment {
  /** `input.now` in epoch ms; `NaN` when unparseable (then nothing times out and no soak ends). */
  readonly nowMs: number;
  /** Non-skipped children, in canonical order. */
  readonly active: readonly Assessed[];
  /** Ids of children past their deadline, in canonical order. */
  readonly timedOut: readonly string[];
}

/** Epoch ms of an RFC 3339 string, or `NaN`. */
export function timeOf(text: unknown): number {
  return typeof text === 'string' ? Date.parse(text) : Number.NaN;
}

/**
 * Classifies every child. `deadline` is measured from `since` of a progressing or failed child,
 * `soak` from `since` of a succeeded child. A child without a usable `since` is taken to have just
 * entered its state: it never times out and never finishes a soak, the cautious reading of bad data.
 */
export function assess(input: PolicyInput, deadline: number | null, soak: number): Assessment {
  const nowMs = timeOf(input.now);
  const children = Array.isArray(input.children) ? input.children.filter((c) => c !== null && typeof c === 'object' && typeof c.id === 'string') : [];
  const seen = new Set<string>();
  const active: Assessed[] = [];
  const timedOut: string[] = [];
  for (const child of children.slice().sort(compareChildren)) {
    // A duplicated id is a host bug; deciding from its first copy keeps targets a set.
    if (seen.has(child.id)) continue;
    seen.add(child.id);
    const since = timeOf(child.since);
    switch (child.state) {
      case 'skipped':
        break;
      case 'pending':
        active.push({ child, phase: 'pending' });
        break;
      case 'timed-out':
        active.push({ child, phase: 'timed-out' });
        break;
      case 'succeeded': {
        const end = since + soak;
        if (soak > 0 && !(nowMs >= end)) active.push(Number.isFinite(end) ? { child, phase: 'soaking', changesAt: end } : { child, phase: 'soaking' });
        else active.push({ child, phase: 'succeeded' });
        break;
      }
      case 'progressing':
      case 'failed': {
        const phase = child.state === 'failed' ? 'retrying' : 'progressing';
        if (deadline === null) {
          active.push({ child, phase });
          break;
        }
        const end = since + deadline;
        if (nowMs >= end) {
          active.push({ child, phase: 'expiring' });
          timedOut.push(child.id);
        } else {
          active.push(Number.isFinite(end) ? { child, phase, changesAt: end } : { child, phase });
        }
        break;
      }
      default:
        // An unknown state is treated as in flight: it neither starts anew nor lets others pass.
        active.push({ child, phase: 'progressing' });
    }
  }
  return { nowMs, active, timedOut };
}

/** Whether a phase holds a rollout slot: progressing, retrying after a failure, or soaking. */
export function isInFlight(phase: Phase): boolean {
  return phase === 'progressing' || phase === 'retrying' || phase === 'soaking';
}

/** Whether a phase counts as a failure: failed (retrying), past its deadline, or timed out. */
export function isFailure(phase: Phase): boolean {
  return phase === 'retrying' || phase === 'expiring' || phase === 'timed-out';
}

/** Whether a child has been started: every state but pending and skipped. */
export function isStarted(phase: Phase): boolean {
  return phase !== 'pending' && phase !== 'skipped';
}

// ---------------------------------------------------------------------------------------------
// Grants
// ---------------------------------------------------------------------------------------------

/** How many children a level may still start under its grant. */
export interface Allowance {
  /** New starts allowed now; `Infinity` without a grant. */
  readonly room: number;
  /** Why the grant limits starts, for the reason; empty when it does not. */
  readonly note: string;
}

/**
 * What the grant leaves: `maxStarted` minus the children already started, and nothing once `now`
 * is past `until`. An unparseable `until` (or `now`) allows no start: the cautious reading.
 */
export function grantAllowance(grant: Grant | null | undefined, started: number, nowMs: number): Allowance {
  if (grant === undefined || grant === null || typeof grant !== 'object') return { room: Number.POSITIVE_INFINITY, note: '' };
  if (grant.until !== null && grant.until !== undefined) {
    const until = timeOf(grant.until);
    if (!(nowMs <= until)) return { room: 0, note: `the grant ended at ${String(grant.until)}, so nothing new starts` };
  }
  if (grant.maxStarted === null || grant.maxStarted === undefined) return { room: Number.POSITIVE_INFINITY, note: '' };
  const max = typeof grant.maxStarted === 'number' && Number.isFinite(grant.maxStarted) ? Math.max(0, Math.floor(grant.maxStarted)) : 0;
  const room = Math.max(0, max - started);
  return { room, note: `the grant allows ${max} started, ${started} already are` };
}

// ---------------------------------------------------------------------------------------------
// Decisions
// ---------------------------------------------------------------------------------------------

const listLimit = 5;

/** A short readable list of ids: the first few and how many more, so reasons stay small. */
export function listIds(ids: readonly string[]): string {
  if (ids.length === 0) return 'none';
  const shown = ids.slice(0, listLimit).join(', ');
  return ids.length > listLimit ? `${shown} and ${ids.length - listLimit} more` : shown;
}

/** "1 child", "3 children". */
export function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** The earliest future moment among `times`, as a positive whole delay from `nowMs`, if any. */
export function delayUntil(nowMs: number, times: readonly (number | undefined)[]): number | undefined {
  let best: number | undefined;
  for (const at of times) {
    if (at === undefined || !Number.isFinite(at) || !Number.isFinite(nowMs)) continue;
    const delay = Math.ceil(at - nowMs);
    if (delay > 0 && (best === undefined || delay < best)) best = delay;
  }
  return best;
}

/** What a policy concluded, before it becomes a {@link Decision}. */
export interface Conclusion {
  /** Children kept in flight (already started), any order. */
  readonly keep: readonly Assessed[];
  /** Pending children to start now, any order. */
  readonly start: readonly Assessed[];
  readonly budgetExceeded: boolean;
  readonly reason: string;
  /** Extra moments (epoch ms) at which time alone changes the decision, e.g. a window opening. */
  readonly alsoAt?: readonly (number | undefined)[];
}

/**
 * Turns a conclusion into a decision: targets in canonical order, the action from what starts and
 * whether the budget broke, and a recheck at the earliest deadline or soak end of any child.
 */
export function conclude(assessment: Assessment, conclusion: Conclusion): Decision {
  const chosen = new Set<string>();
  for (const a of conclusion.keep) chosen.add(a.child.id);
  const starts = conclusion.budgetExceeded ? [] : conclusion.start.filter((a) => a.phase === 'pending');
  for (const a of starts) chosen.add(a.child.id);
  const targets = assessment.active.filter((a) => chosen.has(a.child.id)).map((a) => a.child.id);
  const recheck = delayUntil(assessment.nowMs, [...assessment.active.map((a) => a.changesAt), ...(conclusion.alsoAt ?? [])]);
  const action = conclusion.budgetExceeded ? 'pause' : starts.length > 0 ? 'advance' : 'hold';
  return {
    action,
    targets,
    timedOut: [...assessment.timedOut],
    budgetExceeded: conclusion.budgetExceeded,
    ...(recheck === undefined ? {} : { recheckAfterMs: recheck }),
    reason: conclusion.reason,
  };
}

/** The decision once every non-skipped child succeeded (vacuously so when there are none). */
export function completeDecision(policy: string, assessment: Assessment): Decision {
  return {
    action: 'complete',
    targets: [],
    timedOut: [],
    budgetExceeded: false,
    reason: `${policy}: all ${plural(assessment.active.length, 'child', 'children')} in scope succeeded`,
  };
}

/** Whether every non-skipped child succeeded (soaking counts: the rollout has nothing left to do). */
export function allSucceeded(assessment: Assessment): boolean {
  return assessment.active.every((a) => a.phase === 'succeeded' || a.phase === 'soaking');
}

/** Picks up to `room` of `candidates`, and says why fewer than all when the grant limited it. */
export function takeWithin(candidates: readonly Assessed[], slots: number, allowance: Allowance): { start: Assessed[]; note: string } {
  const limit = Math.max(0, Math.min(slots, allowance.room));
  const start = candidates.slice(0, limit);
  const grantBound = allowance.room < Math.min(slots, candidates.length);
  return { start, note: grantBound ? allowance.note : '' };
}

// ---------------------------------------------------------------------------------------------
// Daily windows (UTC)
// ---------------------------------------------------------------------------------------------

/** Day names, in `Date#getUTCDay` order. */
export const dayNames = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;

/** A day name. */
export type DayName = (typeof dayNames)[number];

/** A time of day `HH:MM`, 00:00 to 23:59. */
export const clockSchema: OptionsSchema = { type: 'string', pattern: '^(?:[01][0-9]|2[0-3]):[0-5][0-9]$' };

/** A daily window in UTC. `days` are the days the window opens on (all days when absent). */
export interface DailyWindow {
  readonly days?: readonly string[];
  /** Opening time, `HH:MM` UTC. */
  readonly start: string;
  /** Closing time, `HH:MM` UTC, exclusive. Earlier than `start` means the next day; equal means 24 hours. */
  readonly end: string;
}

const dayMs = 86_400_000;
const minuteMs = 60_000;

function minutesOf(clock: string): number | undefined {
  const match = /^([0-9]{2}):([0-9]{2})$/.exec(typeof clock === 'string' ? clock : '');
  if (match === null) return undefined;
  const h = Number(match[1]);
  const m = Number(match[2]);
  return h < 24 && m < 60 ? h * 60 + m : undefined;
}

/** Epoch day 0 (1970-01-01) was a Thursday. */
function weekdayOf(epochDay: number): number {
  return (((epochDay + 4) % 7) + 7) % 7;
}

/** Openings of a window as [start, end) epoch ms, for the days `fromDay..toDay` (epoch days). */
function openings(window: DailyWindow, fromDay: number, toDay: number): [number, number][] {
  const start = minutesOf(window.start);
  const end = minutesOf(window.end);
  if (start === undefined || end === undefined) return [];
  const length = (end - start + 1440) % 1440 || 1440;
  const days = Array.isArray(window.days) ? window.days : undefined;
  const result: [number, number][] = [];
  for (let day = fromDay; day <= toDay; day++) {
    if (days !== undefined && !days.includes(dayNames[weekdayOf(day)]!)) continue;
    const open = day * dayMs + start * minuteMs;
    result.push([open, open + length * minuteMs]);
  }
  return result;
}

/** Whether `atMs` is inside the window. A window crossing midnight belongs to the day it opens. */
export function windowContains(window: DailyWindow, atMs: number): boolean {
  if (!Number.isFinite(atMs)) return false;
  const day = Math.floor(atMs / dayMs);
  return openings(window, day - 1, day).some(([open, close]) => open <= atMs && atMs < close);
}

/** Epoch ms of the window's next opening strictly after `atMs`, within a week, if any. */
export function nextOpening(window: DailyWindow, atMs: number): number | undefined {
  if (!Number.isFinite(atMs)) return undefined;
  const day = Math.floor(atMs / dayMs);
  for (const [open] of openings(window, day, day + 8)) if (open > atMs) return open;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Groups
// ---------------------------------------------------------------------------------------------

/** The non-skipped children of one rollout group. */
export interface GroupOfChildren {
  /** How the reason names the group: `"canary"` or `#3`. */
  readonly label: string;
  /** Whether options name it as mandatory. */
  readonly mandatory: boolean;
  /** Its children, in canonical order. */
  readonly members: readonly Assessed[];
}

/**
 * Groups children by group, mandatory groups first, each part ordered by group index (then name).
 * Gaps between indexes do not matter: only the order is used.
 */
export function orderGroups(assessment: Assessment, mandatory: readonly GroupRef[] | undefined): GroupOfChildren[] {
  const byKey = new Map<string, { label: string; mandatory: boolean; members: Assessed[] }>();
  for (const a of assessment.active) {
    const key = groupKey(a.child);
    let group = byKey.get(key);
    if (group === undefined) {
      group = { label: groupLabel(a.child), mandatory: inGroups(a.child.group, mandatory), members: [] };
      byKey.set(key, group);
    }
    group.members.push(a);
  }
  // Map iteration follows insertion, which follows the canonical order of `active`.
  const groups = [...byKey.values()];
  return [...groups.filter((g) => g.mandatory), ...groups.filter((g) => !g.mandatory)];
}

// ---------------------------------------------------------------------------------------------
// The progressive family: `progressive` and `progressive-per-group`
// ---------------------------------------------------------------------------------------------

/**
 * Options of `progressive` and `progressive-per-group`, OCM's `RolloutProgressive` and
 * `RolloutProgressivePerGroup` fields. The two read `maxConcurrency` and `maxFailures` differently;
 * see each plugin's README.
 */
export interface ProgressiveOptions {
  /**
   * Most children holding a slot at once: a count or a percentage of the children in scope
   * (rounded up). Default: all of them (`progressive`), no cap (`progressive-per-group`).
   */
  readonly maxConcurrency?: number | string;
  /**
   * Failures tolerated: a count or a percentage (rounded up), over the whole rollout
   * (`progressive`) or per group, of the group (`progressive-per-group`). Default 0.
   */
  readonly maxFailures?: number | string;
  /** Soak: how long a succeeded child keeps its slot and holds its group open. Default `"0"`. */
  readonly minSuccessTime?: string;
  /** How long a child may progress (or fail and retry) before it is timed out. Default `"None"`. */
  readonly progressDeadline?: string;
  /** Groups rolled out first, one at a time, with no failure tolerated. */
  readonly mandatoryGroups?: readonly GroupRef[];
}

/**
 * The options schema of `progressive` and `progressive-per-group` (which reads `maxConcurrency` as
 * an optional extra cap, and `maxFailures` per group).
 */
export const progressiveOptionsSchema: OptionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    maxConcurrency: positiveSizeSchema,
    maxFailures: sizeSchema,
    minSuccessTime: durationSchema,
    progressDeadline: durationSchema,
    mandatoryGroups: { type: 'array', items: groupRefSchema, maxItems: 1000 },
  },
};

/** What a policy of the progressive family decides from, once the steps they share are done. */
export interface ProgressiveStep {
  readonly input: PolicyInput;
  /** The options, `{}` when absent. */
  readonly opts: ProgressiveOptions;
  /** The children, assessed under the options' progress deadline and soak time. */
  readonly assessment: Assessment;
  /** How many children are in scope (not skipped). */
  readonly total: number;
}

/**
 * Declares a policy of the progressive family. Both share their options, their schema, how they
 * assess children (deadline from `progressDeadline`, soak from `minSuccessTime`) and that they
 * complete once every child succeeded; `decide` covers what differs, how slots and groups open.
 */
export function defineProgressivePolicy(meta: { readonly name: string; readonly version: string; readonly description: string }, decide: (step: ProgressiveStep) => Decision): Policy<ProgressiveOptions> {
  return definePolicy<ProgressiveOptions>({
    ...meta,
    options: progressiveOptionsSchema,
    decide(input, options) {
      const opts = options ?? {};
      const assessment = assess(input, deadlineMs(opts.progressDeadline), soakMs(opts.minSuccessTime));
      if (allSucceeded(assessment)) return completeDecision(meta.name, assessment);
      return decide({ input, opts, assessment, total: assessment.active.length });
    },
  });
}

/**
 * Starts as many `candidates` as the free slots and the grant allow, in order, and adds to `parts`
 * who starts and why the others wait. Returns the children to start.
 */
export function fillSlots(step: ProgressiveStep, candidates: readonly Assessed[], slots: number, parts: string[]): Assessed[] {
  const { assessment } = step;
  const started = assessment.active.filter((a) => isStarted(a.phase)).length;
  const { start, note } = takeWithin(candidates, slots, grantAllowance(step.input.grant, started, assessment.nowMs));
  if (start.length > 0) parts.push(`starting ${listIds(start.map((a) => a.child.id))}`);
  const waiting = candidates.length - start.length;
  if (waiting > 0) parts.push(`${plural(waiting, 'child waits', 'children wait')}${note !== '' ? `: ${note}` : ' for a free slot'}`);
  return start;
}

/**
 * The wait a stepwise policy (groups, waves) owes before starting anyone in `current`: nothing of
 * it is pending any more (its started children must still succeed and `settle`), or it has not
 * opened yet while children of other steps are still moving. Returns `undefined` when `current`
 * may take new starts now, after noting in `parts` whether it is open or next.
 */
export function awaitStep(
  assessment: Assessment,
  steps: readonly { readonly members: readonly Assessed[] }[],
  current: { readonly members: readonly Assessed[]; readonly label: string },
  keep: readonly Assessed[],
  parts: string[],
  wording: { readonly step: string; readonly settle: string },
): Decision | undefined {
  const moving = (a: Assessed) => a.phase === 'progressing' || a.phase === 'soaking';
  const opened = current.members.some((a) => isStarted(a.phase));
  // Children still moving outside the current step (earlier options, a restart) must settle before it opens.
  const elsewhere = steps.filter((step) => step !== current).flatMap((step) => step.members.filter(moving));
  parts.push(`${wording.step}${current.label} is ${opened ? 'open' : 'next'}`);
  if (!current.members.some((a) => a.phase === 'pending')) {
    parts.push(`waiting for it to succeed and ${wording.settle}`);
    return conclude(assessment, { keep, start: [], budgetExceeded: false, reason: parts.join('; ') });
  }
  if (!opened && elsewhere.length > 0) {
    parts.push(`waiting for ${listIds(elsewhere.map((a) => a.child.id))} outside it to settle first`);
    return conclude(assessment, { keep, start: [], budgetExceeded: false, reason: parts.join('; ') });
  }
  return undefined;
}

/**
 * `checkPolicyConformance`: the policy laws of `edgesum/plugin`, checked on one input.
 *
 * @module edgesum/testing
 */
import type { Decision, Policy, PolicyInput } from '../contract.js';
import { deepFreeze, thaw } from './freeze.js';
import { clockOf, defaultSeed, environmentOf, type PluginEnvironmentHandle } from './environment.js';
import { canonical, describeDifferences, describeThrown, Halt, isTypeError, jsonFault, preview, ViolationLog, type Violation } from './violations.js';

/**
 * The laws {@link checkPolicyConformance} checks, as named in its violations:
 * - `arguments`: the input is unusable (not plain data, or without a `children` array);
 * - `hooks`: `decide` is missing or throws;
 * - `valid-decision`: the decision has the contract's shape (an action of the five, arrays of ids,
 *   a boolean `budgetExceeded`, a string `reason`, a positive `recheckAfterMs` if any);
 * - `determinism`: the same input twice gives deep-equal decisions;
 * - `no-mutation`: `decide` writes neither to its input nor to its options;
 * - `targets-within-children`: `targets` and `timedOut` name only children of the input, never skipped ones;
 * - `within-grant`: the pending children `targets` starts, with those already started, are at most
 *   the grant's `maxStarted`, and none starts once `now` is past the grant's `until`;
 * - `no-duplicates`: no id twice in `targets`, nor in `timedOut`;
 * - `complete-has-no-targets`: `complete` comes with empty `targets`;
 * - `pause-exceeds-budget`: `pause` comes with `budgetExceeded: true`;
 * - `idempotence`: the input with the returned `memo` fed back gives the same decision;
 * - `json-round-trip`: the decision is JSON and survives a JSON round trip unchanged;
 * - `clock`: the decision does not change when `Date` is away from `input.now` (read the time from
 *   `input.now`). Checked for policies loaded with `loadPolicy`, whose `Date` the check can set;
 * - `randomness`: the decision does not change with the seed of `Math.random`. Checked for
 *   policies loaded with `loadPolicy`.
 */
export type PolicyLaw =
  | 'arguments'
  | 'hooks'
  | 'valid-decision'
  | 'determinism'
  | 'no-mutation'
  | 'targets-within-children'
  | 'within-grant'
  | 'no-duplicates'
  | 'complete-has-no-targets'
  | 'pause-exceeds-budget'
  | 'idempotence'
  | 'json-round-trip'
  | 'clock'
  | 'randomness';

/** What {@link checkPolicyConformance} runs a policy on. */
export interface PolicyConformanceSetup<Options = unknown> {
  /** The policy's options, as the host would pass them after validating them against the schema. */
  readonly options: Options;
  /** One situation to decide. Not modified. */
  readonly input: PolicyInput;
}

type AnyPolicy = Policy<unknown>;

const actions: readonly string[] = ['advance', 'hold', 'pause', 'rollback', 'complete'];

/**
 * Checks a policy against the laws of the plugin contract on one input, calling `decide` directly
 * (a plugin is a plain object). Input and options are deep-frozen, so a write to them throws a
 * `TypeError`; one that goes away on unfrozen copies is reported under `no-mutation`, and snapshots
 * of unfrozen copies catch the same writes in code that is not in strict mode.
 *
 * Pure and deterministic: it neither modifies nor freezes what it is given, and never throws,
 * whatever the policy does. It imports no test runner, so it runs under any.
 *
 * @example
 * ```ts
 * import { checkPolicyConformance } from 'edgesum/testing';
 * expect(checkPolicyConformance(myPolicy, { options: { maxConcurrency: 2 }, input })).toEqual([]);
 * ```
 *
 * @param policy - the policy plugin object.
 * @param setup - its options and the input to decide.
 * @returns the violations found, in the order found, each once; empty when the policy keeps every law on this input.
 */
export function checkPolicyConformance<Options>(policy: Policy<Options>, setup: PolicyConformanceSetup<Options>): Violation<PolicyLaw>[] {
  const log = new ViolationLog<PolicyLaw>();
  const environment = environmentOf(policy);
  const subject = (environment === undefined ? policy : new EnvironmentPolicy(environment)) as unknown as AnyPolicy;
  if (typeof subject !== 'object' || subject === null || typeof subject.decide !== 'function' || (environment !== undefined && typeof (environment.plugin as Partial<AnyPolicy>).decide !== 'function')) {
    log.add('hooks', 'the plugin has no decide hook');
    return log.list;
  }
  const given = prepare(setup as PolicyConformanceSetup<unknown>, log);
  if (given === undefined) return log.list;
  try {
    const decision = decideFrozen(subject, given.input, given.options, log);
    if (!validDecision(decision, log)) return log.list;
    checkDecision(decision, given.input, log);
    const again = decideFrozen(subject, given.input, given.options, log);
    if (canonical(again) !== canonical(decision)) log.add('determinism', `the same input decided twice gave different decisions, ${describeDifferences(decision, again)}`, 'decide');
    const replay: PolicyInput = { ...given.input, memo: decision.memo ?? null };
    const replayed = decideFrozen(subject, replay, given.options, log);
    if (canonical(replayed) !== canonical(decision)) log.add('idempotence', `feeding the returned memo back gave a different decision, ${describeDifferences(decision, replayed)}`, 'decide');
    checkLooseInput(subject, given.input, given.options, log);
    if (subject instanceof EnvironmentPolicy) {
      const at = new Date(clockOf(given.input.now) + clockShiftMs).toISOString();
      const late = subject.with({ clock: clockOf(given.input.now) + clockShiftMs }, () => decideFrozen(subject, given.input, given.options, log));
      if (canonical(late) !== canonical(decision)) log.add('clock', `decide reads the clock: with Date at ${at} while input.now is ${given.input.now}, the decision changed, ${describeDifferences(decision, late)}; read the time from input.now`, 'decide');
      const reseeded = subject.with({ seed: otherSeed }, () => decideFrozen(subject, given.input, given.options, log));
      if (canonical(reseeded) !== canonical(decision)) log.add('randomness', `decide draws on Math.random: with another seed the decision changed, ${describeDifferences(decision, reseeded)}; the same input must give the same decision`, 'decide');
    }
  } catch (thrown) {
    // Halt means the violation is already logged; anything else is a fault of this check itself.
    if (!(thrown instanceof Halt)) log.add('hooks', `the check failed unexpectedly: ${describeThrown(thrown)}`);
  }
  return log.list;
}

/** How far the clock moves in the clock law: a day and a bit, so no rounding hides it. */
const clockShiftMs = 86_400_000 + 3_723_004;
const otherSeed = 0x2545f491;

/**
 * A loaded policy called as a runner calls it: `Date` at the input's `now` and `Math.random` from
 * the default seed, unless {@link with} says otherwise for a while.
 */
class EnvironmentPolicy {
  private override: { clock?: number; seed?: number } = {};
  constructor(private readonly environment: PluginEnvironmentHandle) {}

  decide(input: PolicyInput, options: unknown): Decision {
    this.environment.setClock(this.override.clock ?? clockOf(input.now));
    this.environment.reseed(this.override.seed ?? defaultSeed);
    const policy = this.environment.plugin as AnyPolicy;
    return policy.decide(input, options);
  }

  with<T>(override: { clock?: number; seed?: number }, run: () => T): T {
    this.override = override;
    try {
      return run();
    } finally {
      this.override = {};
    }
  }
}

function prepare(setup: PolicyConformanceSetup<unknown>, log: ViolationLog<PolicyLaw>): { input: PolicyInput; options: unknown } | undefined {
  if (typeof setup !== 'object' || setup === null || typeof setup.input !== 'object' || setup.input === null || !Array.isArray(setup.input.children)) {
    log.add('arguments', 'the setup must be { options, input } with input.children an array');
    return undefined;
  }
  try {
    // Copies, so the caller's input and options are neither modified nor frozen by the check.
    return { input: thaw(setup.input), options: thaw(setup.options) };
  } catch (thrown) {
    log.add('arguments', `input and options must be plain data: ${describeThrown(thrown)}`);
    return undefined;
  }
}

/** Decides on deep-frozen copies; a TypeError that goes away on unfrozen copies is a write. */
function decideFrozen(policy: AnyPolicy, input: PolicyInput, options: unknown, log: ViolationLog<PolicyLaw>): Decision {
  try {
    return policy.decide(deepFreeze(thaw(input)), deepFreeze(thaw(options)));
  } catch (thrown) {
    let loose = false;
    if (isTypeError(thrown)) {
      try {
        policy.decide(thaw(input), thaw(options));
        loose = true;
      } catch {
        loose = false;
      }
    }
    if (loose) log.add('no-mutation', `decide wrote to its input or options, which it must only read (it threw on frozen ones but not on unfrozen copies): ${describeThrown(thrown)}`);
    else log.add('hooks', `decide threw ${describeThrown(thrown)}`);
    throw new Halt();
  }
}

/** Code that is not in strict mode writes to frozen values silently, so compare unfrozen copies before and after. */
function checkLooseInput(policy: AnyPolicy, input: PolicyInput, options: unknown, log: ViolationLog<PolicyLaw>): void {
  const looseInput = thaw(input);
  const looseOptions = thaw(options);
  const before = [canonical(looseInput), canonical(looseOptions)];
  try {
    policy.decide(looseInput, looseOptions);
  } catch (thrown) {
    log.add('hooks', `decide threw on an unfrozen copy of the same input: ${describeThrown(thrown)}`);
    return;
  }
  if (canonical(looseInput) !== before[0]) log.add('no-mutation', 'decide changed its input (seen by comparing an unfrozen copy before and after)');
  if (canonical(looseOptions) !== before[1]) log.add('no-mutation', 'decide changed its options (seen by comparing an unfrozen copy before and after)');
}

function isIdList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((id) => typeof id === 'string');
}

/** Checks the shape; the other laws read the fields, so a malformed decision stops the check. */
function validDecision(decision: unknown, log: ViolationLog<PolicyLaw>): decision is Decision {
  if (typeof decision !== 'object' || decision === null || Array.isArray(decision)) {
    log.add('valid-decision', `decide must return a decision object, not ${preview(decision)}`);
    return false;
  }
  const d = decision as Record<string, unknown>;
  const faults: string[] = [];
  if (typeof d.action !== 'string' || !actions.includes(d.action)) faults.push(`action ${preview(d.action)} is not one of ${actions.join(', ')}`);
  if (!isIdList(d.targets)) faults.push(`targets ${preview(d.targets)} is not an array of ids`);
  if (!isIdList(d.timedOut)) faults.push(`timedOut ${preview(d.timedOut)} is not an array of ids`);
  if (typeof d.budgetExceeded !== 'boolean') faults.push(`budgetExceeded ${preview(d.budgetExceeded)} is not a boolean`);
  if (typeof d.reason !== 'string') faults.push(`reason ${preview(d.reason)} is not a string`);
  if (d.recheckAfterMs !== undefined && !(typeof d.recheckAfterMs === 'number' && Number.isFinite(d.recheckAfterMs) && d.recheckAfterMs > 0)) {
    faults.push(`recheckAfterMs ${preview(d.recheckAfterMs)} is not a positive number of milliseconds`);
  }
  for (const fault of faults) log.add('valid-decision', fault);
  return faults.length === 0;
}

function duplicates(ids: readonly string[]): string[] {
  const seen = new Set<string>();
  const twice = new Set<string>();
  for (const id of ids) (seen.has(id) ? twice : seen).add(id);
  return [...twice];
}

/** The controller's own grant check, so a policy learns of a refused decision before it runs. */
function checkGrant(decision: Decision, input: PolicyInput, states: ReadonlyMap<string, unknown>, log: ViolationLog<PolicyLaw>): void {
  const grant = input.grant;
  if (grant === null || grant === undefined) return;
  const starts = new Set(decision.targets.filter((id) => states.get(id) === 'pending')).size;
  if (starts === 0) return;
  const started = [...states.values()].filter((state) => state !== 'pending' && state !== 'skipped').length;
  if (grant.maxStarted !== null && started + starts > grant.maxStarted) {
    log.add('within-grant', `targets start ${starts} pending children with ${started} already started, beyond the grant's maxStarted ${grant.maxStarted}`, 'decide');
  }
  if (grant.until !== null && Date.parse(input.now) > Date.parse(grant.until)) {
    log.add('within-grant', `targets start ${starts} pending children at ${input.now}, after the grant ended at ${grant.until}`, 'decide');
  }
}

function checkDecision(decision: Decision, input: PolicyInput, log: ViolationLog<PolicyLaw>): void {
  const states = new Map<string, unknown>();
  for (const child of input.children) {
    if (typeof child === 'object' && child !== null && !states.has(child.id)) states.set(child.id, child.state);
  }
  for (const field of ['targets', 'timedOut'] as const) {
    for (const id of decision[field]) {
      if (!states.has(id)) log.add('targets-within-children', `${field} names ${JSON.stringify(id)}, which is not a child of the input`);
      else if (states.get(id) === 'skipped') log.add('targets-within-children', `${field} names ${JSON.stringify(id)}, which is skipped`);
    }
    const twice = duplicates(decision[field]);
    if (twice.length > 0) log.add('no-duplicates', `${field} names ${twice.map((id) => JSON.stringify(id)).join(', ')} more than once`);
  }
  checkGrant(decision, input, states, log);
  if (decision.action === 'complete' && decision.targets.length > 0) log.add('complete-has-no-targets', `action complete comes with targets ${preview(decision.targets)}; a complete rollout has nothing left to roll out`);
  if (decision.action === 'pause' && decision.budgetExceeded !== true) log.add('pause-exceeds-budget', 'action pause comes with budgetExceeded false; a policy pauses only when failures exceed its budget');

  const fault = jsonFault(decision);
  if (fault !== undefined) {
    log.add('json-round-trip', `the decision is not JSON: ${fault}`);
    return;
  }
  const before = canonical(decision);
  const after = canonical(JSON.parse(JSON.stringify(decision)));
  if (after !== before) log.add('json-round-trip', `the decision changes in a JSON round trip, ${describeDifferences(decision, JSON.parse(JSON.stringify(decision)))}`, 'decide');
}

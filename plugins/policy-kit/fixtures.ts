/**
 * Test fixtures for the built-in policies: compact builders for children and inputs, and one
 * checked call that asserts the laws every decision must keep (through `checkPolicyConformance`,
 * the same checks the conformance suite and plugin authors run) and a valid schema. Tests only:
 * no plugin imports this file.
 *
 * @module plugins/policy-kit/fixtures
 */
import { expect } from 'vitest';
import { z } from 'zod';
import type { ChildState, Decision, Grant, Json, Policy, PolicyChild, PolicyInput } from '../../core/contract.js';
import { checkPolicyConformance, deepFreeze } from '../../core/testing/index.js';
import { parseDuration } from './kit.js';

/** The fixed "now" of every fixture: Monday 2 March 2026, 10:00 UTC. */
export const now = '2026-03-02T10:00:00.000Z';

/** The rollout every fixture belongs to. */
export const rollout = { id: 'r-1', workload: 'web', version: '1.4.2', startedAt: '2026-03-02T09:00:00.000Z' };

/** An RFC 3339 time `ago` (a duration like `"30s"`) before {@link now}. */
export function ago(duration: string, from: string = now): string {
  return new Date(Date.parse(from) - (parseDuration(duration) ?? 0)).toISOString();
}

/** Freezes a value and everything inside it, so a policy writing to its input throws. */
export { deepFreeze };

/** Extra fields of a fixture child. */
export interface KidExtra {
  /** Group index, or `[name, index]`. Default index 0, unnamed. */
  readonly group?: number | readonly [string, number];
  readonly labels?: Readonly<Record<string, string>>;
}

/**
 * A child: `kid('a')` is pending; `kid('b', 'progressing', '30s')` entered `progressing` 30 s before
 * {@link now}. A started child without `ago` entered its state at {@link now}.
 */
export function kid(id: string, state: ChildState = 'pending', since?: string, extra: KidExtra = {}): PolicyChild {
  const group = typeof extra.group === 'object' ? { name: extra.group[0], index: extra.group[1] } : { name: '', index: extra.group ?? 0 };
  return {
    id,
    labels: extra.labels ?? {},
    group,
    state,
    ...(state === 'pending' ? {} : { since: since === undefined ? now : ago(since) }),
    summary: null,
  };
}

/** `n` pending children `prefix-01` … in group `group`. */
export function kids(prefix: string, n: number, extra: KidExtra = {}): PolicyChild[] {
  return Array.from({ length: n }, (_, i) => kid(`${prefix}-${String(i + 1).padStart(2, '0')}`, 'pending', undefined, extra));
}

/** A deep-frozen policy input. */
export function input(children: readonly PolicyChild[], more: { grant?: Grant | null; now?: string; memo?: Json } = {}): PolicyInput {
  return deepFreeze({ rollout, level: 'region-eu', now: more.now ?? now, memo: more.memo ?? null, grant: more.grant ?? null, children: [...children] });
}

const schemas = new WeakMap<object, z.ZodType>();

/** The zod schema of a policy's options, built once per policy as the host would. */
function schemaOf(policy: Policy<never> | Policy<unknown>): z.ZodType {
  let schema = schemas.get(policy);
  if (schema === undefined) {
    schema = z.fromJSONSchema(policy.options ?? { type: 'object' });
    schemas.set(policy, schema);
  }
  return schema;
}

/**
 * Decides, and checks the laws every decision keeps: the options pass the schema; the policy
 * conformance checks of `core/testing` find nothing (no input mutation, determinism, idempotence
 * with the memo fed back, targets within the non-skipped children, without duplicates); and, stricter
 * than the contract for the built-ins, the reason is short and a recheck is a whole number of ms.
 */
export function decideChecked<O>(policy: Policy<O>, given: PolicyInput, options: O): Decision {
  const parsed = schemaOf(policy).safeParse(options);
  expect(parsed.success, `options ${JSON.stringify(options)} pass the schema`).toBe(true);
  expect(checkPolicyConformance(policy, { options, input: given })).toEqual([]);
  const decision = policy.decide(deepFreeze(given), options);
  expect(decision.reason.length).toBeLessThanOrEqual(4096);
  if (decision.recheckAfterMs !== undefined) expect(Number.isInteger(decision.recheckAfterMs)).toBe(true);
  return decision;
}

/** What a table row expects; fields left out are not checked, `recheckAfterMs: undefined` checks absence. */
export interface Expected {
  readonly action: Decision['action'];
  readonly targets: readonly string[];
  readonly timedOut?: readonly string[];
  readonly budgetExceeded?: boolean;
  readonly recheckAfterMs?: number | undefined;
  /** Substrings the reason must contain. */
  readonly reason?: readonly string[];
}

/** Checks a decision against a row's expectations. */
export function expectDecision(decision: Decision, expected: Expected): void {
  expect({ action: decision.action, targets: decision.targets }).toStrictEqual({ action: expected.action, targets: expected.targets });
  expect(decision.timedOut).toStrictEqual(expected.timedOut ?? []);
  expect(decision.budgetExceeded).toBe(expected.budgetExceeded ?? false);
  if ('recheckAfterMs' in expected) expect(decision.recheckAfterMs).toBe(expected.recheckAfterMs);
  for (const part of expected.reason ?? []) expect(decision.reason).toContain(part);
}

/** A table row: a situation and what the policy must decide. */
export interface Row<O> {
  readonly name: string;
  readonly options: O;
  readonly children: readonly PolicyChild[];
  readonly grant?: Grant | null;
  readonly now?: string;
  readonly expect: Expected;
}

/** Runs one row with every law checked. */
export function runRow<O>(policy: Policy<O>, row: Row<O>): Decision {
  const decision = decideChecked(policy, input(row.children, { grant: row.grant ?? null, now: row.now ?? now }), row.options);
  expectDecision(decision, row.expect);
  return decision;
}

/** The example of a README: options, an input and the decision it gives. */
export interface ReadmeExample<O> {
  readonly options: O;
  readonly input: PolicyInput;
  readonly decision: Decision;
}

/** Reads the ```json example block of a README next to `url`. */
export function readmeExample<O>(readme: string): ReadmeExample<O> {
  const block = /```json example\n([\s\S]*?)```/.exec(readme);
  expect(block, 'the README has a ```json example block').not.toBeNull();
  return JSON.parse(block![1]!) as ReadmeExample<O>;
}

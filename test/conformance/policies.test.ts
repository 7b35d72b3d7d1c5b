/**
 * One conformance suite for every built-in rollout policy (as ESLint's RuleTester runs every rule
 * through the same checks): the policy laws of `edgesum/plugin`, checked by
 * `checkPolicyConformance` from `core/testing` on inputs fast-check generates.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { definePolicy, type ChildState, type Decision, type Grant, type Json, type JsonObject, type PolicyChild, type PolicyInput } from '../../core/contract.js';
import { checkPolicyConformance, type PolicyLaw } from '../../core/testing/index.js';
import { describeConformance, loadBuiltins } from './builtins.js';

const seed = 20261124;
const { policies } = await loadBuiltins();

/** Options per built-in policy (valid per each README), one run of the suite per entry. */
const policyOptions: Readonly<Record<string, readonly JsonObject[]>> = {
  'all-at-once': [{}, { progressDeadline: '90s' }],
  'maintenance-window': [
    { policy: { name: 'progressive', options: { maxConcurrency: 2 } }, windows: [{ matchLabels: { region: 'eu' }, days: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri'], start: '22:00', end: '04:00' }] },
    { policy: { name: 'waves', options: { steps: ['50%', '100%'] } }, windows: [{ start: '09:00', end: '17:00' }, { matchLabels: { ring: 'canary' }, start: '00:00', end: '00:00' }] },
    { policy: { name: 'all-at-once' }, windows: [{ days: ['Sat', 'Sun'], start: '02:00', end: '06:00' }] },
  ],
  progressive: [{}, { maxConcurrency: '40%', maxFailures: 1, minSuccessTime: '5m', progressDeadline: '30m', mandatoryGroups: [{ name: 'canary' }] }],
  'progressive-per-group': [{}, { maxFailures: '50%', minSuccessTime: '2m', progressDeadline: '1h', mandatoryGroups: [{ index: 0 }], maxConcurrency: 2 }],
  waves: [{}, { canary: { matchLabels: { ring: 'canary' } }, steps: ['25%', '100%'], bakeTime: '15m', maxFailureRatio: 0.1, progressDeadline: '1h' }],
};

const nows = ['2026-03-02T10:00:00.000Z', '2026-03-02T23:30:00.000Z', '2026-03-07T03:00:00.000Z'];
/** Failures rarer than progress, so most inputs get past the failure budgets and start children. */
const stateArb = fc.oneof(
  { weight: 4, arbitrary: fc.constant<ChildState>('pending') },
  { weight: 2, arbitrary: fc.constantFrom<ChildState>('progressing', 'succeeded') },
  { weight: 1, arbitrary: fc.constantFrom<ChildState>('failed', 'timed-out', 'skipped') },
);
const groups = [
  { name: 'canary', index: 0 },
  { name: '', index: 1 },
  { name: 'late', index: 2 },
];

const childArb = fc.record({
  id: fc.constantFrom(...Array.from({ length: 16 }, (_, i) => `site-${String(i + 1).padStart(2, '0')}`)),
  labels: fc.record({ region: fc.constantFrom('eu', 'us'), ring: fc.constantFrom('canary', 'main') }, { requiredKeys: [] }),
  group: fc.constantFrom(...groups),
  state: stateArb,
  // How long before `now` the child entered its state; some children carry no usable `since`.
  sinceMinutesAgo: fc.oneof(fc.constantFrom(0, 1, 3, 10, 45, 120), fc.constant(null)),
  summary: fc.constantFrom<Json>(null, { ready: true }),
});

const grantArb: fc.Arbitrary<Grant | null> = fc.oneof(
  { weight: 3, arbitrary: fc.constant(null) },
  { weight: 2, arbitrary: fc.record({ maxStarted: fc.option(fc.nat(6), { nil: null }), until: fc.constantFrom(null, '2026-03-02T09:00:00.000Z', '2026-03-09T00:00:00.000Z') }) },
);

/** A policy input: up to 16 children with distinct ids, in group order then id order as the host sends them. */
const inputArb: fc.Arbitrary<PolicyInput> = fc
  .record({
    children: fc.uniqueArray(childArb, { selector: (c) => c.id, maxLength: 16 }),
    now: fc.constantFrom(...nows),
    memo: fc.constantFrom<Json>(null, { wave: 1 }),
    grant: grantArb,
  })
  .map(({ children, now, memo, grant }) => ({
    rollout: { id: 'web-1.4.2', workload: 'web', version: '1.4.2', startedAt: '2026-03-02T09:00:00.000Z' },
    level: 'region-eu',
    now,
    memo,
    grant,
    children: children
      .map(({ sinceMinutesAgo, ...child }): PolicyChild => ({
        ...child,
        ...(child.state === 'pending' || sinceMinutesAgo === null ? {} : { since: new Date(Date.parse(now) - sinceMinutesAgo * 60_000).toISOString() }),
      }))
      .sort((a, b) => a.group.index - b.group.index || (a.id < b.id ? -1 : 1)),
  }));

describeConformance('policy', policies, policyOptions, {
  known: ['all-at-once', 'maintenance-window', 'progressive', 'progressive-per-group', 'waves'],
  behaviour: 'decides validly, deterministically and idempotently on generated inputs',
  check: (policy, options) => {
    fc.assert(
      fc.property(inputArb, (input) => {
        expect(checkPolicyConformance(policy, { options, input })).toEqual([]);
      }),
      { seed, numRuns: 200 },
    );
  },
});

// ---------------------------------------------------------------------------------------------
// The checks themselves: each broken policy must be caught, so the suite cannot pass vacuously.
// ---------------------------------------------------------------------------------------------

const input: PolicyInput = {
  rollout: { id: 'r', workload: 'web', version: '2', startedAt: '2026-03-02T09:00:00.000Z' },
  level: 'region-eu',
  now: '2026-03-02T10:00:00.000Z',
  memo: null,
  grant: null,
  children: [
    { id: 'a', labels: {}, group: { name: '', index: 0 }, state: 'pending', summary: null },
    { id: 'b', labels: {}, group: { name: '', index: 0 }, state: 'progressing', since: '2026-03-02T09:30:00.000Z', summary: null },
    { id: 'c', labels: {}, group: { name: '', index: 0 }, state: 'skipped', summary: null },
  ],
};

const advance: Decision = { action: 'advance', targets: ['a', 'b'], timedOut: [], budgetExceeded: false, reason: 'start a' };

/** A lawful policy; the broken ones below each break one law of it. */
const lawful = definePolicy<JsonObject>({ name: 'lawful', version: '0.0.0', decide: () => advance });

let calls = 0;
const broken: { name: string; law: PolicyLaw; decide: (input: PolicyInput, options: JsonObject) => Decision }[] = [
  { name: 'targets a stranger', law: 'targets-within-children', decide: () => ({ ...advance, targets: ['a', 'stranger'] }) },
  { name: 'targets a skipped child', law: 'targets-within-children', decide: () => ({ ...advance, targets: ['a', 'c'] }) },
  { name: 'times out a stranger', law: 'targets-within-children', decide: () => ({ ...advance, timedOut: ['z'] }) },
  { name: 'targets a child twice', law: 'no-duplicates', decide: () => ({ ...advance, targets: ['a', 'b', 'a'] }) },
  { name: 'completes with targets left', law: 'complete-has-no-targets', decide: () => ({ ...advance, action: 'complete' }) },
  { name: 'pauses within its budget', law: 'pause-exceeds-budget', decide: () => ({ ...advance, action: 'pause' }) },
  { name: 'decides differently each call', law: 'determinism', decide: () => ({ ...advance, reason: `call ${++calls}` }) },
  { name: 'counts calls in its memo', law: 'idempotence', decide: (given) => ({ ...advance, memo: typeof given.memo === 'number' ? given.memo + 1 : 1 }) },
  {
    name: 'sorts its input in place',
    law: 'no-mutation',
    decide: (given) => {
      (given.children as PolicyChild[]).reverse();
      return advance;
    },
  },
  {
    name: 'writes to its input without throwing on frozen ones, as sloppy-mode code does',
    law: 'no-mutation',
    decide: (given) => {
      Reflect.set(given, 'memo', 'seen');
      return advance;
    },
  },
  { name: 'returns an unknown action', law: 'valid-decision', decide: () => ({ ...advance, action: 'proceed' as Decision['action'] }) },
  { name: 'asks for a negative recheck', law: 'valid-decision', decide: () => ({ ...advance, recheckAfterMs: -5 }) },
  { name: 'puts undefined into its memo', law: 'json-round-trip', decide: () => ({ ...advance, memo: { wave: undefined } as unknown as Json }) },
  {
    name: 'throws',
    law: 'hooks',
    decide: () => {
      throw new RangeError('no');
    },
  },
];

describe('checkPolicyConformance', () => {
  it('finds nothing wrong with a lawful policy', () => {
    expect(checkPolicyConformance(lawful, { options: {}, input })).toEqual([]);
  });

  for (const { name, law, decide } of broken) {
    it(`reports ${law} for a policy that ${name}`, () => {
      const violations = checkPolicyConformance({ ...lawful, decide }, { options: {}, input });
      expect(violations.map((v) => v.law)).toContain(law);
    });
  }

  it('reports within-grant for a decision that starts more children than the grant allows, or after it ended', () => {
    const beyond = checkPolicyConformance(lawful, { options: {}, input: { ...input, grant: { maxStarted: 1, until: null } } });
    expect(beyond).toEqual([expect.objectContaining({ law: 'within-grant', message: expect.stringContaining("beyond the grant's maxStarted 1") })]);
    const late = checkPolicyConformance(lawful, { options: {}, input: { ...input, grant: { maxStarted: null, until: '2026-03-02T09:59:00.000Z' } } });
    expect(late).toEqual([expect.objectContaining({ law: 'within-grant', message: expect.stringContaining('after the grant ended') })]);
  });

  it('neither changes nor freezes the input it is given', () => {
    const given = structuredClone(input);
    checkPolicyConformance({ ...lawful, decide: broken[8]!.decide }, { options: {}, input: given });
    expect(given).toEqual(input);
    expect(Object.isFrozen(given.children)).toBe(false);
  });
});

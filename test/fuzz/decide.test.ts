/**
 * Fuzzes `edgesum decide` with the built-in policies: policy inputs and options that are valid,
 * nearly valid (one field off) or arbitrary JSON or bytes. Every outcome must be a decision or a
 * typed error. Seeded, so every run is the same.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decideCommand } from '../../cli/decide.js';
import { runCli } from '../../cli/main.js';
import { FilePluginCatalog } from '../../core/catalog/index.js';
import { EdgesumError, ErrorCodes } from '../../core/errors.js';
import type { PluginLimits, PluginRunner, PluginSource, PolicyHandle, ReducerHandle } from '../../core/ports/plugin-runner.js';
import { InlineRunner } from '../../sandbox/index.js';
import { json } from './arbitraries.js';

const policies = ['builtin:all-at-once', 'builtin:progressive', 'builtin:progressive-per-group', 'builtin:waves', 'builtin:maintenance-window'];

/** The inline runner, loading each policy once: the sandbox is not the subject here, speed is. */
class CachingRunner implements PluginRunner {
  readonly name = 'inline';
  private readonly inline = new InlineRunner();
  private readonly policies = new Map<string, Promise<PolicyHandle>>();

  loadReducer(source: PluginSource, limits?: Partial<PluginLimits>): Promise<ReducerHandle> {
    return this.inline.loadReducer(source, limits);
  }

  loadPolicy(source: PluginSource): Promise<PolicyHandle> {
    let handle = this.policies.get(source.entry);
    if (handle === undefined) {
      handle = this.inline.loadPolicy(source);
      this.policies.set(source.entry, handle);
    }
    return handle;
  }

  async dispose(): Promise<void> {}
}

const iso = fc.date({ min: new Date('2026-11-24T00:00:00Z'), max: new Date('2026-11-25T00:00:00Z'), noInvalidDate: true }).map((date) => date.toISOString());
const notIso = fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('2026-13-01T00:00:00Z', '2026-11-24T10:00:00+25:00'));
const labels = fc.dictionary(fc.constantFrom('tier', 'zone', '__proto__', 'constructor', 'x'), fc.constantFrom('canary', 'general', 'a', ''), { maxKeys: 3 });
const states = ['pending', 'progressing', 'succeeded', 'failed', 'timed-out', 'skipped'] as const;
const counts = fc.record(Object.fromEntries(states.map((state) => [state, fc.nat(5)])) as Record<(typeof states)[number], fc.Arbitrary<number>>);

const child = fc
  .record(
    {
      id: fc.constantFrom('site-1', 'site-2', 'site-3', 'site-4', 'a', 'b'),
      labels,
      group: fc.record({ name: fc.constantFrom('canary', 'default', 'late'), index: fc.nat(2) }),
      state: fc.constantFrom(...states),
      since: iso,
      summary: fc.oneof(fc.constant(null), counts, fc.record({ states: counts, summary: json }), json),
    },
    { requiredKeys: ['id', 'group', 'state', 'since'] },
  )
  // A pending child has not entered its state yet, so it may have no since.
  .map(({ since, ...rest }) => (rest.state === 'pending' && since.endsWith('5Z') ? rest : { ...rest, since }));

const validInput = fc.record(
  {
    rollout: fc.record({ id: fc.constant('r1'), workload: fc.constant('web'), version: fc.constantFrom('2.0.0', 'v\u001b[31m'), startedAt: iso }),
    level: fc.constantFrom('region-1', 'center'),
    now: iso,
    memo: json,
    grant: fc.option(fc.record({ maxStarted: fc.option(fc.nat(6)), until: fc.option(iso) })),
    children: fc.uniqueArray(child, { selector: (c) => c.id, maxLength: 6 }),
  },
  { requiredKeys: ['rollout', 'level', 'now', 'children'] },
);

/** A valid input with one top-level field replaced by arbitrary JSON or a time that is not one. */
const nearlyValidInput = fc
  .tuple(validInput, fc.constantFrom('rollout', 'level', 'now', 'memo', 'grant', 'children', 'extra'), fc.oneof(json, notIso))
  .map(([input, field, value]) => ({ ...input, [field]: value }));

/** Mostly what the schema takes, now and then what it does not. */
const mostly = <T, U>(valid: fc.Arbitrary<T>, invalid: fc.Arbitrary<U>) => fc.oneof({ weight: 19, arbitrary: valid }, { weight: 1, arbitrary: invalid });
const duration = mostly(fc.constantFrom('5m', '90s', '1h30m', '250ms', '0s', '1ms'), fc.string({ maxLength: 4 }));
const size = mostly(fc.oneof(fc.integer({ min: 1, max: 8 }), fc.constantFrom('50%', '100%', '1%')), fc.oneof(fc.constantFrom('0%', '150%', '-1'), fc.integer({ min: -3, max: 0 })));
const progressive = fc.record(
  {
    maxConcurrency: size,
    maxFailures: size,
    minSuccessTime: duration,
    progressDeadline: duration,
    mandatoryGroups: fc.array(fc.oneof(fc.record({ name: fc.constantFrom('canary', 'default', 'nope') }), fc.record({ index: mostly(fc.nat(3), fc.constant(-1)) })), { maxLength: 3 }),
  },
  { requiredKeys: [] },
);
const optionsFor: Record<string, fc.Arbitrary<unknown>> = {
  'builtin:all-at-once': fc.record({ progressDeadline: duration }, { requiredKeys: [] }),
  'builtin:progressive': progressive,
  'builtin:progressive-per-group': progressive,
  'builtin:waves': fc.record(
    {
      canary: fc.record({ matchLabels: labels }),
      steps: fc.array(mostly(fc.constantFrom('10%', '50%', '100%'), fc.constantFrom('0%', 'x')), { minLength: 1, maxLength: 4 }),
      bakeTime: duration,
      maxFailureRatio: mostly(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: -0.5, max: 1.5, noNaN: true })),
      progressDeadline: duration,
    },
    { requiredKeys: [] },
  ),
  'builtin:maintenance-window': fc.record(
    {
      policy: mostly(
        fc.oneof(fc.record({ name: fc.constant('progressive'), options: progressive }, { requiredKeys: ['name'] }), fc.record({ name: fc.constantFrom('waves', 'all-at-once') })),
        fc.oneof(fc.record({ name: fc.constant('nope') }), json),
      ),
      windows: fc.array(
        fc.record(
          {
            matchLabels: labels,
            days: fc.uniqueArray(mostly(fc.constantFrom('Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'), fc.constant('sun')), { minLength: 1, maxLength: 7 }),
            start: mostly(fc.constantFrom('08:00', '22:00', '00:00'), fc.constantFrom('24:00', '8')),
            end: fc.constantFrom('18:00', '02:00', '23:59'),
          },
          { requiredKeys: ['start', 'end'] },
        ),
        { minLength: 1, maxLength: 3 },
      ),
    },
    { requiredKeys: ['policy', 'windows'] },
  ),
};

/** A policy, its options as given on the command line, and the input file's bytes. */
const body = fc.constantFrom(...policies).chain((policy) =>
  fc.record({
    policy: fc.constant(policy),
    options: fc.oneof(
      { weight: 6, arbitrary: optionsFor[policy]!.map((options) => JSON.stringify(options)) },
      { weight: 1, arbitrary: json.map((value) => JSON.stringify(value)) },
      { weight: 1, arbitrary: fc.string({ maxLength: 10, unit: 'binary' }) },
    ),
    input: fc.oneof(
      { weight: 6, arbitrary: validInput.map((input) => Buffer.from(JSON.stringify(input))) },
      { weight: 2, arbitrary: nearlyValidInput.map((input) => Buffer.from(JSON.stringify(input))) },
      { weight: 1, arbitrary: json.map((value) => Buffer.from(JSON.stringify(value))) },
      { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }).map((bytes) => Buffer.from(bytes)) },
    ),
    json: fc.boolean(),
  }),
);

const stdinOf = (bytes: Uint8Array) =>
  (async function* () {
    yield bytes;
  })();

// eslint-disable-next-line no-control-regex -- looking for control characters is the point
const rawControls = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

describe('edgesum decide under fuzzing', () => {
  it('answers every policy input and options with a decision or a typed error', async () => {
    const runner = new CachingRunner();
    const catalog = new FilePluginCatalog();
    const outcomes = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(body, async ({ policy, options, input, json: asJson }) => {
        let stdout = '';
        const output = { out: (text: string) => void (stdout += text), err: () => {}, interactive: false };
        let outcome: string;
        try {
          const code = await decideCommand({ policy, options, input: '-', json: asJson }, { runner, catalog, output, stdin: stdinOf(input) });
          expect(code).toBe(0);
          outcome = 'decided';
          if (asJson) expect(JSON.parse(stdout)).toHaveProperty('action');
          else expect(stdout).not.toMatch(rawControls);
        } catch (error) {
          expect(error).toBeInstanceOf(EdgesumError);
          expect((error as EdgesumError).code).not.toBe(ErrorCodes.Internal);
          outcome = (error as EdgesumError).code;
        }
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      }),
      { seed: 9, numRuns: 10_000 },
    );
    // The generators reach the policies' decisions, not only the validation in front of them.
    expect(outcomes.get('decided')).toBeGreaterThan(2_000);
    expect([...outcomes.values()].reduce((a, b) => a + b, 0)).toBe(10_000);
  });

  it('exits 0, 1 or 2 through the command line, never printing a stack or a path', async () => {
    await fc.assert(
      fc.asyncProperty(body, async ({ policy, options, input, json: asJson }) => {
        let text = '';
        const output = { out: (t: string) => void (text += t), err: (t: string) => void (text += t), interactive: false };
        const code = await runCli(['decide', '--policy', policy, '--options', options, '--input', '-', '--runner', 'inline', ...(asJson ? ['--json'] : [])], output, stdinOf(input));
        expect([0, 1, 2]).toContain(code);
        expect(text).not.toMatch(/^\s+at .+:\d+/m);
        expect(text).not.toContain(process.cwd());
        expect(text).not.toContain(ErrorCodes.Internal);
        if (!asJson) expect(text).not.toMatch(rawControls);
      }),
      { seed: 10, numRuns: 300 },
    );
  });
});

/**
 * A plugin's options schema runs in the host: it must never block it, crash it, or fail with
 * anything but EDGESUM_INVALID_OPTIONS naming the place, the plugin and the path.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createHierarchy } from '../app/container.js';
import { ManualClock } from '../core/clock/index.js';
import type { Json, JsonObject } from '../core/contract.js';
import { ErrorCodes, ValidationError } from '../core/errors.js';
import { compileOptions, compileOptionsSchema, optionsSchemaLimits, validateOptions } from '../core/pipeline/index.js';
import type { PluginInfo } from '../core/ports/plugin-runner.js';
import { InlineRunner } from '../sandbox/inline.js';
import { loadBuiltins } from './conformance/builtins.js';
import { smallTopology } from './support/reports.js';

function plugin(options: unknown): PluginInfo {
  return { kind: 'reducer', name: 'hostile-schema', version: '1.0.0', options: options as JsonObject, retractable: false, hash: '0', source: { spec: 'x', entry: 'x' } };
}

/** What validating these options against this schema ends in: the data, or the typed error. */
function outcome(schema: unknown, options: Json): { data: Json } | { error: ValidationError } {
  try {
    return { data: validateOptions(plugin(schema), options, 'b') };
  } catch (error) {
    expect(error, `${(error as Error).name}: ${(error as Error).message}`).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ code: ErrorCodes.InvalidOptions, plugin: 'hostile-schema', binding: 'b' });
    return { error: error as ValidationError };
  }
}

function nested(levels: number, leaf: Json = 1): Json {
  let value: Json = leaf;
  for (let i = 0; i < levels; i++) value = { a: value };
  return value;
}

describe('hostile options schemas', () => {
  it('evaluates a catastrophic pattern in bounded time, naming the binding, plugin and option', { timeout: 10_000 }, () => {
    const schema = { type: 'object', properties: { name: { type: 'string', pattern: '^(a+)+$' } } };
    const result = outcome(schema, { name: `${'a'.repeat(30)}!` });
    expect('error' in result && result.error.message).toBe('binding "b": option "name" of plugin hostile-schema: Invalid string: must match pattern /^(a+)+$/');
    expect(outcome(schema, { name: 'a'.repeat(100_000) })).toEqual({ data: { name: 'a'.repeat(100_000) } });
  });

  it('stops a pattern whose program is too big for the string, with a typed error', () => {
    const schema = { type: 'object', properties: { name: { type: 'string', pattern: '(?:x|[ab]{1000})+c' } } };
    const result = outcome(schema, { name: 'ab'.repeat(50_000) });
    expect('error' in result && result.error.message).toMatch(/options of plugin hostile-schema: pattern .* budget of evaluation steps/);
  });

  it('stops unions that test one string against a pattern exponentially often, with a typed error', { timeout: 10_000 }, () => {
    const tenOf = (ref: string) => ({ anyOf: Array.from({ length: 10 }, () => ({ $ref: ref })) });
    const $defs = { p0: { type: 'string', pattern: '^a+$' }, p1: tenOf('#/$defs/p0'), p2: tenOf('#/$defs/p1'), p3: tenOf('#/$defs/p2'), p4: tenOf('#/$defs/p3'), p5: tenOf('#/$defs/p4'), p6: tenOf('#/$defs/p5') };
    const schema = { $defs, type: 'object', properties: { name: { $ref: '#/$defs/p6' } } };
    expect(outcome(schema, { name: 'aaa' })).toEqual({ data: { name: 'aaa' } });
    const result = outcome(schema, { name: `${'a'.repeat(1_000)}!` });
    expect('error' in result && result.error.message).toMatch(/budget of evaluation steps/);
  });

  it.each([
    ['a root $ref', { $ref: '#' }, '#/$ref', 'only references to #/$defs'],
    ['a recursive $ref under additionalProperties', { type: 'object', additionalProperties: { $ref: '#' } }, '#/additionalProperties/$ref', 'only references to #/$defs'],
    ['a $defs cycle', { $defs: { a: { $ref: '#/$defs/b' }, b: { type: 'array', items: { $ref: '#/$defs/a' } } }, $ref: '#/$defs/a' }, '#/$defs/b/items/$ref', 'refers back to itself'],
    ['an undefined $ref', { $ref: '#/$defs/none' }, '#/$ref', 'is not defined'],
    ['an external $ref', { $ref: 'https://example.com/schema.json' }, '#/$ref', 'only references'],
    ['a backreference', { type: 'string', pattern: '^(a)\\1$' }, '#/pattern', 'backreference'],
    ['lookbehind', { type: 'object', properties: { x: { type: 'string', pattern: '(?<=a)b' } } }, '#/properties/x/pattern', 'lookbehind'],
    ['lookahead', { type: 'object', properties: { x: { type: 'string', pattern: '^(?!a)' } } }, '#/properties/x/pattern', 'lookahead'],
    ['patterns compiling to too many instructions', { type: 'object', properties: { x: { type: 'string', pattern: '[a-z]{1000}'.repeat(60) }, y: { type: 'string', pattern: '[a-z]{1000}'.repeat(60) } } }, '#/properties/y/pattern', 'RE2 instructions'],
    ['an invalid pattern', { type: 'string', pattern: '(' }, '#/pattern', 'not a valid regular expression'],
    ['if/then/else', { if: { type: 'string' }, then: { minLength: 1 } }, '#/if', 'not supported'],
    ['patternProperties', { type: 'object', patternProperties: { '^(a+)+$': {} } }, '#/patternProperties', 'not supported'],
    ['an unknown type', { type: 'strnig' }, '#/type', 'unknown type'],
    ['a non-object schema', { type: 'object', properties: { a: 'string' } }, '#/properties/a', 'must be an object or a boolean'],
    ['a schema nested 100,000 deep', nested(100_000), '#', 'not JSON'],
    ['a schema nested 40 deep', nested(40), '#/a/a/a', 'nested deeper than 32'],
    ['a 300 KB schema', { type: 'object', description: 'x'.repeat(300 * 1024) }, '#', 'byte limit'],
    ['a schema with more than 10,000 subschemas', { anyOf: Array.from({ length: 10_001 }, () => ({})) }, '#/anyOf/', 'subschemas'],
  ])('refuses %s as a schema it cannot use, whatever the options', (_label, schema, at, reason) => {
    for (const options of [{}, { x: 'ab' }] as Json[]) {
      const result = outcome(schema, options);
      expect('error' in result, JSON.stringify(result).slice(0, 200)).toBe(true);
      const error = (result as { error: ValidationError }).error;
      expect(error.message).toMatch(/^binding "b": plugin hostile-schema declares an options schema edgesum cannot use: at /);
      expect(error.message).toContain(reason);
      expect(error.issues[0]!.path.startsWith(at)).toBe(true);
    }
  });

  it('accepts a $ref to $defs used more than once, checking each use', () => {
    const schema = { $defs: { count: { type: 'integer', minimum: 0 } }, type: 'object', properties: { a: { $ref: '#/$defs/count' }, b: { $ref: '#/$defs/count' } } };
    expect(outcome(schema, { a: 1, b: 2 })).toEqual({ data: { a: 1, b: 2 } });
    const result = outcome(schema, { a: 1, b: -2 });
    expect('error' in result && result.error.message).toMatch(/^binding "b": option "b" of plugin hostile-schema: /);
  });

  it.each([
    ['100,000 deep', nested(100_000), 'nested deeper than 64 levels'],
    ['above the size limit', { a: 'x'.repeat(optionsSchemaLimits.optionsBytes) }, 'byte limit'],
    ['not JSON', { a: NaN } as unknown as Json, 'not a JSON number'],
  ])('refuses options %s before the schema runs', (_label, options, reason) => {
    for (const schema of [{ type: 'object' }, { type: 'object', additionalProperties: { type: 'object' } }, { type: 'array', uniqueItems: true }]) {
      const result = outcome(schema, options);
      expect('error' in result && result.error.message).toContain(reason);
    }
  });

  it('refuses a schema through the hierarchy with EDGESUM_INVALID_OPTIONS naming the binding, never blocking', { timeout: 10_000 }, async () => {
    const attempt = createHierarchy(
      { topology: smallTopology(), bindings: [{ name: 'evil', reducer: './test/fixtures/plugins/evil-schema.ts', options: { name: `${'a'.repeat(30)}!` } }] },
      { clock: new ManualClock(), runner: new InlineRunner() },
    );
    await expect(attempt).rejects.toMatchObject({ code: ErrorCodes.InvalidOptions, binding: 'evil', message: expect.stringMatching(/^binding "evil": option "name" of plugin evil-schema: /) });
  });

  it('keeps no state between validations: the same validator gives the same verdicts in any order', () => {
    const validate = compileOptions(plugin({ type: 'object', properties: { n: { type: 'string', pattern: '^(x|y)+$' } }, additionalProperties: false }));
    const verdicts = () => ['xy', 'xz', 'yyy', ''].map((n) => { try { validate({ n }, { where: 'w' }); return true; } catch { return false; } });
    expect(verdicts()).toEqual([true, false, true, false]);
    expect(verdicts()).toEqual([true, false, true, false]);
  });
});

describe("the built-ins' options schemas", () => {
  const seeds: Record<string, JsonObject[]> = {
    aggregate: [{ fields: { copies: { op: 'COUNT' } } }, { filter: [{ path: 'ref.kind', op: '!=', value: 'Namespace' }, { path: 'status.x', op: 'in', value: [1, 2] }], groupBy: [{ name: 'kind', path: 'ref.kind' }], fields: { n: { op: 'COUNT' }, s: { op: 'SUM', path: 'status.readyReplicas' } }, limit: 3 }],
    health: [{}, { examples: 1 }],
    drift: [{}, { examples: 3 }],
    'labels-template': [{}, { defaults: { tier: 'standard' } }],
    overrides: [{ match: 'first', rules: [{ name: 'eu', selector: { matchLabels: { region: 'eu' }, matchExpressions: [{ key: 'ring', operator: 'In', values: ['canary'] }] }, patch: [{ op: 'replace', path: '/spec/replicas', value: 1 }, { op: 'move', from: '/a', path: '/b' }, { op: 'remove', path: '/c' }], merge: { spec: null } }] }],
    'image-tag': [{}, { version: '2.0.0', containers: ['web'] }],
    'top-k': [{ field: 'status.readyReplicas' }, { field: 'status.cpu', k: 3, order: 'asc' }],
    'version-histogram': [{}, { field: 'status.phase', missing: 'unknown', top: 2 }],
    'workload-replicas': [{ mode: 'divided' }, { mode: 'replicated' }],
    'all-at-once': [{}, { progressDeadline: '90s' }],
    'maintenance-window': [{ policy: { name: 'progressive', options: { maxConcurrency: 2 } }, windows: [{ matchLabels: { region: 'eu' }, days: ['Mon', 'Tue'], start: '22:00', end: '04:00' }] }],
    progressive: [{}, { maxConcurrency: '40%', maxFailures: 1, minSuccessTime: '5m', progressDeadline: '30m', mandatoryGroups: [{ name: 'canary' }] }],
    'progressive-per-group': [{}, { maxFailures: '50%', minSuccessTime: '2m', progressDeadline: '1h', mandatoryGroups: [{ index: 0 }], maxConcurrency: 2 }],
    waves: [{}, { canary: { matchLabels: { ring: 'canary' } }, steps: ['25%', '100%'], bakeTime: '15m', maxFailureRatio: 0.1, progressDeadline: '1h' }],
  };

  const leafArb: fc.Arbitrary<Json> = fc.oneof(
    fc.constantFrom<Json>(null, true, false, 0, -1, 1, 2.5, 101, '', 'x', '0', '5m', '1h30m', '25%', '100%', '101%', '__proto__', 'group', 'status.cpu', 'a..b', '22:00', '24:00', 'Mon', 'COUNT', 'SUM', '==', 'in', 'canary'),
    fc.constantFrom<Json>([], {}, ['25%'], { name: 'x' }, { index: 0 }, { op: 'COUNT' }),
  );

  /** Replaces, removes or adds one value at a random place of a seed. */
  function mutate(value: Json, steps: number[], leaf: Json, key: string): Json {
    if (steps.length === 0 || value === null || typeof value !== 'object') return leaf;
    const [step, ...rest] = steps as [number, ...number[]];
    if (Array.isArray(value)) {
      if (value.length === 0) return [leaf];
      const copy = value.slice();
      copy[step % copy.length] = mutate(copy[step % copy.length]!, rest, leaf, key);
      return step % 7 === 6 ? copy.slice(1) : copy;
    }
    const keys = Object.keys(value);
    const copy: JsonObject = { ...value };
    if (keys.length === 0 || step % 5 === 4) copy[key] = leaf;
    else if (step % 5 === 3) delete copy[keys[step % keys.length]!];
    else copy[keys[step % keys.length]!] = mutate(copy[keys[step % keys.length]!]!, rest, leaf, key);
    return copy;
  }

  it("accept and refuse exactly what zod's own converter does", async () => {
    const { reducers, policies, customizers } = await loadBuiltins();
    const plugins = [...reducers, ...policies, ...customizers];
    expect(plugins.map(([name]) => name).sort()).toEqual(Object.keys(seeds).sort());
    for (const [name, builtin] of plugins) {
      const ours = compileOptionsSchema(builtin.options ?? { type: 'object' });
      const theirs = z.fromJSONSchema(builtin.options ?? { type: 'object' }, { registry: z.registry() });
      for (const seed of seeds[name]!) expect(ours.validate(seed), `${name} ${JSON.stringify(seed)}`).toMatchObject({ success: true });
      let refused = 0;
      fc.assert(
        fc.property(fc.constantFrom(...seeds[name]!), fc.array(fc.nat(), { maxLength: 5 }), leafArb, fc.constantFrom('extra', 'k', 'field', 'mode', 'steps'), (seed, steps, leaf, key) => {
          const options = mutate(seed, steps, leaf, key);
          const expected = theirs.safeParse(options).success;
          const actual = ours.validate(options).success;
          if (!actual) refused++;
          expect(actual, `${name} ${JSON.stringify(options)}`).toBe(expected);
        }),
        { seed: 9, numRuns: 1_000 },
      );
      expect(refused, name).toBeGreaterThan(0);
    }
  });
});

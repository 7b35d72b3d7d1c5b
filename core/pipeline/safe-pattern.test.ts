import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadBuiltins } from '../../test/conformance/builtins.js';
import { ErrorCodes } from '../errors.js';
import { compilePattern, maxPatternLength, PatternBudgetError, UnsupportedPatternError, type PatternBudget } from './safe-pattern.js';

const plenty = (): PatternBudget => ({ remaining: 1e12 });

/**
 * Random patterns over a small alphabet, in the syntax RE2 and ECMAScript share: no
 * backreferences, lookaround, `\u` escapes or empty classes.
 */
type Grammar = { pattern: string; alternative: string; term: string; atom: string };

const patternArb: fc.Arbitrary<string> = fc.letrec<Grammar>((tie) => ({
  pattern: fc.oneof({ depthSize: 'small', withCrossShrink: true }, tie('alternative'), fc.tuple(tie('alternative'), tie('alternative')).map(([a, b]) => `${a}|${b}`)),
  alternative: fc.array(tie('term'), { minLength: 0, maxLength: 4 }).map((terms) => terms.join('')),
  term: fc.oneof(
    { depthSize: 'small' },
    tie('atom'),
    fc.tuple(tie('atom'), fc.constantFrom('*', '+', '?', '{2}', '{0,2}', '{1,}', '*?', '+?', '{1,3}?')).map(([atom, q]) => atom + q),
    fc.constantFrom('^', '$', '\\b', '\\B'),
  ),
  atom: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom('a', 'b', '-', '.', ' ', '\\d', '\\w', '\\s', '\\D', '\\W', '\\S', '\\.', '\\-', '\\x61', '{', '}', ']', '\\t', '\\n'),
    fc.constantFrom('[ab]', '[^a]', '[a-c]', '[\\d-]', '[\\w-a]', '[-a]', '[a-]', '[.]', '[\\s\\S]', '[^\\d]', '[^\\n]'),
    tie('pattern').map((inner) => `(${inner})`),
    tie('pattern').map((inner) => `(?:${inner})`),
    fc.tuple(tie('pattern'), fc.nat(1_000_000)).map(([inner, n]) => `(?<g${n}>${inner})`),
  ),
})).pattern;

/** Smaller patterns without empty alternatives, so that both outcomes are common. */
const plainArb: fc.Arbitrary<string> = fc.letrec<Grammar>((tie) => ({
  pattern: fc.oneof({ depthSize: 'small', withCrossShrink: true }, tie('alternative'), fc.tuple(tie('alternative'), tie('alternative')).map(([a, b]) => `${a}|${b}`)),
  alternative: fc.array(tie('term'), { minLength: 1, maxLength: 3 }).map((terms) => terms.join('')),
  term: fc.oneof(
    { depthSize: 'small' },
    tie('atom'),
    tie('atom'),
    fc.tuple(tie('atom'), fc.constantFrom('*', '+', '?', '{2}', '{0,2}', '{1,}', '{2,3}')).map(([atom, q]) => atom + q),
    fc.constantFrom('^', '$', '\\b'),
  ),
  atom: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom('a', 'b', 'c', '1', '.', '\\d', '\\w', '\\s', '[ab]', '[^a]', '[a-c1]'),
    tie('pattern').map((inner) => `(${inner})`),
    tie('pattern').map((inner) => `(?:${inner})`),
  ),
})).pattern;

/**
 * Strings without the characters RE2 and ECMAScript read differently: `\s` of RE2 lacks `\v` and
 * non-ASCII spaces, its `.` matches `\r` and `\u2028`, and it reads a surrogate pair as one character.
 */
const textArb = fc.string({ unit: fc.constantFrom('a', 'b', 'c', '1', '-', ' ', '.', '\n', '\t', '_', '{', 'é'), maxLength: 8 });

describe('safe patterns', () => {
  it('agree with the native engine on whether a pattern matches, for every pattern both accept', () => {
    let compared = 0;
    fc.assert(
      fc.property(patternArb, fc.array(textArb, { minLength: 1, maxLength: 6 }), (pattern, texts) => {
        let native: RegExp;
        try {
          native = new RegExp(pattern);
        } catch {
          return;
        }
        let safe;
        try {
          safe = compilePattern(pattern);
        } catch (error) {
          // The only patterns refused here are the ones RE2 says it cannot read.
          expect(error).toBeInstanceOf(UnsupportedPatternError);
          return;
        }
        for (const text of texts) {
          compared++;
          expect(safe.test(text, plenty()), `${pattern} on ${JSON.stringify(text)}`).toBe(native.test(text));
        }
      }),
      { seed: 20_261_124, numRuns: 5_000 },
    );
    expect(compared).toBeGreaterThan(10_000);
  });

  it('agree with the native engine on small patterns, matching and not', () => {
    const outcomes = { true: 0, false: 0 };
    fc.assert(
      fc.property(plainArb, fc.array(textArb, { minLength: 1, maxLength: 6 }), (pattern, texts) => {
        const native = new RegExp(pattern);
        const safe = compilePattern(pattern);
        for (const text of texts) {
          const expected = native.test(text);
          outcomes[`${expected}`]++;
          expect(safe.test(text, plenty()), `${pattern} on ${JSON.stringify(text)}`).toBe(expected);
        }
      }),
      { seed: 11_24, numRuns: 5_000 },
    );
    expect(Math.min(outcomes.true, outcomes.false)).toBeGreaterThan(2_000);
  });

  it('decides a catastrophic pattern on a long string, charged linearly in its length', () => {
    const pattern = compilePattern('^(a+)+$');
    const budget = plenty();
    expect(pattern.test(`${'a'.repeat(100_000)}!`, budget)).toBe(false);
    expect(pattern.test('a'.repeat(100_000), budget)).toBe(true);
    expect(1e12 - budget.remaining).toBe((100_002 + 100_001) * pattern.instructions);
    expect(compilePattern('^(a|a)*b$').test('a'.repeat(100_000), plenty())).toBe(false);
    expect(compilePattern('^a*a*a*a*a*a*a*a*b$').test('a'.repeat(100_000), plenty())).toBe(false);
  });

  it('compiles every pattern of the built-in plugins and matches it as the native engine does', async () => {
    const { reducers, policies } = await loadBuiltins();
    const patterns = new Set<string>();
    const collect = (schema: unknown): void => {
      if (typeof schema !== 'object' || schema === null) return;
      for (const [key, value] of Object.entries(schema)) {
        if (key === 'pattern' && typeof value === 'string') patterns.add(value);
        else collect(value);
      }
    };
    for (const plugin of [...reducers.values(), ...policies.values()]) collect(plugin.options);
    expect(patterns.size).toBeGreaterThanOrEqual(5);
    const probes = ['', '__proto__', '__proto__x', 'group', 'groups', 'x'.repeat(64), 'x'.repeat(65), 'status.readyReplicas', 'metadata.labels["app.kubernetes.io/version"]', 'a[0].b', 'a..b', '1a', '1h30m', '250ms', 'None', '100%', '101%', '23:59', '24:00'];
    const textArb = fc.string({ unit: fc.constantFrom('a', 'g', 'r', 'o', 'u', 'p', 't', '_', '1', '0', '.', '[', ']', '"', '%', ':', 'h', 'm', 's'), maxLength: 12 });
    for (const source of patterns) {
      const pattern = compilePattern(source);
      const native = new RegExp(source);
      for (const text of probes) expect(pattern.test(text, plenty()), `${source} on ${text}`).toBe(native.test(text));
      fc.assert(
        fc.property(textArb, (text) => pattern.test(text, plenty()) === native.test(text)),
        { seed: 7, numRuns: 500 },
      );
    }
  });

  it.each([
    ['(a)\\1', 'invalid escape sequence: `\\1`'],
    ['(?<x>a)\\k<x>', 'invalid escape sequence: `\\k`'],
    ['(?=a)b', 'unsupported Perl syntax: `(?=`'],
    ['(?!a)b', 'unsupported Perl syntax: `(?!`'],
    ['(?<=a)b', 'invalid named capture'],
    ['(?<!a)b', 'invalid named capture'],
    ['\\p{L}', 'invalid escape sequence: `\\p`'],
    ['\\u0062', 'invalid escape sequence: `\\u`'],
    ['a{1,1001}', 'invalid repeat count'],
    ['(a{100}){100}', 'invalid repeat count'],
    ['(?i)a', 'not a valid regular expression'],
    ['(', 'not a valid regular expression'],
    ['a'.repeat(maxPatternLength + 1), `longer than ${maxPatternLength} characters`],
  ])('refuses %s with EDGESUM_INVALID_OPTIONS naming why', (source, reason) => {
    expect(() => compilePattern(source)).toThrow(UnsupportedPatternError);
    try {
      compilePattern(source);
    } catch (error) {
      expect(error).toMatchObject({ code: ErrorCodes.InvalidOptions, message: expect.stringContaining(reason) });
    }
  });

  it('stops with a typed error, before matching, when the budget cannot pay for the worst case', () => {
    const pattern = compilePattern('(?:x|[ab]{1000})+c');
    const budget = { remaining: 1_000_000 };
    expect(() => pattern.test('ab'.repeat(5_000), budget)).toThrow(PatternBudgetError);
    expect(budget.remaining).toBe(1_000_000);
    expect(compilePattern('^$').test('', budget)).toBe(true);
    expect(budget.remaining).toBeLessThan(1_000_000);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../errors.js';
import { compilePattern, PatternBudgetError, UnsupportedPatternError, type PatternBudget } from './safe-pattern.js';

const plenty = (): PatternBudget => ({ remaining: 10_000_000 });

/** Random patterns over a small alphabet, in the syntax the engine supports. */
type Grammar = { pattern: string; alternative: string; term: string; atom: string };

const patternArb: fc.Arbitrary<string> = fc.letrec<Grammar>((tie) => ({
  pattern: fc.oneof({ depthSize: 'small', withCrossShrink: true }, tie('alternative'), fc.tuple(tie('alternative'), tie('alternative')).map(([a, b]) => `${a}|${b}`)),
  alternative: fc.array(tie('term'), { minLength: 0, maxLength: 4 }).map((terms) => terms.join('')),
  term: fc.oneof(
    { depthSize: 'small' },
    tie('atom'),
    fc.tuple(tie('atom'), fc.constantFrom('*', '+', '?', '{2}', '{0,2}', '{1,}', '*?', '+?', '{1,3}?')).map(([atom, q]) => atom + q),
    fc.constantFrom('^', '$', '\\b', '\\B'),
    tie('pattern').map((inner) => `(?=${inner})`),
    tie('pattern').map((inner) => `(?!${inner})`),
  ),
  atom: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom('a', 'b', '-', '.', ' ', '\\d', '\\w', '\\s', '\\D', '\\W', '\\S', '\\.', '\\-', '\\x61', '\\u0062', '{', '}', ']', '\\t'),
    fc.constantFrom('[ab]', '[^a]', '[a-c]', '[\\d-]', '[\\w-a]', '[-a]', '[a-]', '[]', '[^]', '[\\b]', '[.]', '[\\s\\S]', '[^\\d]'),
    tie('pattern').map((inner) => `(${inner})`),
    tie('pattern').map((inner) => `(?:${inner})`),
    fc.tuple(tie('pattern'), fc.nat(1_000_000)).map(([inner, n]) => `(?<g${n}>${inner})`),
  ),
})).pattern;

/** Smaller patterns without empty alternatives or lookaheads, so that both outcomes are common. */
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

const textArb = fc.string({ unit: fc.constantFrom('a', 'b', 'c', '1', '-', ' ', '.', '\n', '_'), maxLength: 8 });

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
          // The only patterns refused here are the ones the engine says it cannot evaluate.
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
    expect(compared).toBeGreaterThan(5_000);
  });

  it('agree with the native engine on small patterns without lookaheads, matching and not', () => {
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

  it('decides a catastrophic pattern on a long string in steps linear in its length', () => {
    const pattern = compilePattern('^(a+)+$');
    const budget = plenty();
    expect(pattern.test(`${'a'.repeat(10_000)}!`, budget)).toBe(false);
    expect(pattern.test('a'.repeat(10_000), budget)).toBe(true);
    expect(10_000_000 - budget.remaining).toBeLessThan(200_000);
    expect(compilePattern('^(a|a)*b$').test('a'.repeat(30), plenty())).toBe(false);
    expect(compilePattern('^a*a*a*a*a*a*a*a*b$').test('a'.repeat(5_000), plenty())).toBe(false);
  });

  it('matches the patterns of the built-in plugins as the native engine does', () => {
    const cases: [string, string[]][] = [
      ['^[A-Za-z_$][\\w$-]*(\\.[A-Za-z_$][\\w$-]*|\\[\\d+\\]|\\["[^"\\]]+"\\])*$', ['status.readyReplicas', 'metadata.labels["app.kubernetes.io/version"]', 'a[0].b', '1a', 'a..b', '']],
      ['^(?!__proto__$)[A-Za-z_][A-Za-z0-9_-]{0,63}$', ['__proto__', '__proto__x', 'ready', 'x'.repeat(64), 'x'.repeat(65)]],
      ['^(?!__proto__$|group$)[A-Za-z_][A-Za-z0-9_-]{0,63}$', ['group', 'groups', '__proto__', 'n']],
      ['^(?:None|0|(?:[0-9]+(?:\\.[0-9]+)?(?:h|ms|m|s))+)$', ['None', '0', '1h30m', '1.5h', '250ms', '5', 'h', '1h 2m']],
      ['^(?:100|[1-9][0-9]?)%$', ['100%', '0%', '1%', '99%', '101%']],
      ['^(?:[01][0-9]|2[0-3]):[0-5][0-9]$', ['23:59', '24:00', '7:00', '07:00']],
    ];
    for (const [source, texts] of cases) {
      const pattern = compilePattern(source);
      for (const text of texts) expect(pattern.test(text, plenty()), `${source} on ${text}`).toBe(new RegExp(source).test(text));
    }
  });

  it.each([
    ['(a)\\1', 'a backreference'],
    ['(?<x>a)\\k<x>', 'a named backreference'],
    ['(?<=a)b', 'lookbehind'],
    ['(?<!a)b', 'lookbehind'],
    ['\\p{L}', 'Unicode property'],
    ['(?=a)*', 'quantified assertion'],
    ['a{1,100000}', 'repeats more than'],
    ['(a{1000}){1000}', 'automaton states'],
    [`${'('.repeat(100)}a${')'.repeat(100)}`, 'nests groups deeper'],
    ['a'.repeat(5_000), 'longer than'],
    ['(', 'not a valid regular expression'],
  ])('refuses %s with EDGESUM_INVALID_OPTIONS naming why', (source, reason) => {
    expect(() => compilePattern(source)).toThrow(UnsupportedPatternError);
    try {
      compilePattern(source);
    } catch (error) {
      expect(error).toMatchObject({ code: ErrorCodes.InvalidOptions, message: expect.stringContaining(reason) });
    }
  });

  it('stops with a typed error when the budget runs out', () => {
    const pattern = compilePattern('(?=(a|b)*c)a');
    expect(() => pattern.test('ab'.repeat(5_000), { remaining: 100_000 })).toThrow(PatternBudgetError);
  });
});

import { RE2JS, RE2JSException } from 're2js';
import { ErrorCodes, ValidationError } from '../errors.js';

/**
 * JSON Schema `pattern`s of plugin options, evaluated by RE2 (`re2js`) instead of V8. Options
 * schemas come from plugins and run in the host, where V8's backtracking takes exponential time on
 * patterns such as `^(a+)+$`; RE2 takes time linear in the string times the size of the pattern's
 * program, and with both capped (here and in `optionsSchemaLimits`) no pattern can block the host.
 *
 * A pattern must be valid both in ECMAScript without flags (what JSON Schema specifies, and what
 * zod's converter and other tools compile) and in RE2 syntax, which is ECMAScript's minus
 * backreferences, lookaround, `\uXXXX` (write `\x{XXXX}`), `\cX`, `[\b]`, `[]`, `[^]` and Unicode
 * properties. What both accept means the same, except that RE2 reads strings by code point rather
 * than UTF-16 code unit, its `\s` is only `[\t\n\f\r ]`, its `.` excludes only `\n`, and it gives
 * `\A`, `\z`, `\a`, `\Q…\E`, `\x{…}` and `[[:alpha:]]` their RE2 meaning where ECMAScript reads
 * plain characters.
 */

/**
 * Longest pattern accepted, in UTF-16 code units. RE2 copies a counted repetition once per count
 * while compiling, up to about 150 instructions per character of pattern, and only then can the
 * program's size be read and refused: this keeps that one compilation to a few tenths of a second.
 */
export const maxPatternLength = 1_024;

/**
 * Work left for evaluating patterns, in characters tested times instructions of the pattern's
 * program: one budget is shared by everything one validation evaluates.
 */
export interface PatternBudget {
  remaining: number;
}

/** A compiled pattern. */
export interface SafePattern {
  readonly source: string;
  /** Instructions of its RE2 program: the most one character of a string can cost. */
  readonly instructions: number;
  /**
   * Whether the pattern matches anywhere in `text`, like `RegExp.prototype.test`. Charges `budget`
   * the worst case before matching, and throws {@link PatternBudgetError} when it cannot pay.
   */
  test(text: string, budget: PatternBudget): boolean;
}

/** A pattern edgesum will not evaluate: why, in words. */
export class UnsupportedPatternError extends ValidationError {
  constructor(
    readonly pattern: string,
    readonly reason: string,
  ) {
    super(ErrorCodes.InvalidOptions, `pattern ${quote(pattern)}: ${reason}`);
  }
}

/** Evaluating a pattern would exceed the budget left. */
export class PatternBudgetError extends ValidationError {
  constructor(readonly pattern: string) {
    super(ErrorCodes.InvalidOptions, `pattern ${quote(pattern)} would take more than the budget of evaluation steps left for these options`);
  }
}

function quote(pattern: string): string {
  return JSON.stringify(pattern.length > 80 ? `${pattern.slice(0, 80)}…` : pattern);
}

/** Compiles a pattern, or throws {@link UnsupportedPatternError}. */
export function compilePattern(source: string): SafePattern {
  if (source.length > maxPatternLength) throw new UnsupportedPatternError(source, `longer than ${maxPatternLength} characters`);
  try {
    // A pattern only RE2 reads (`(?i)`, `(?P<n>…)`) would fail in every other JSON Schema tool.
    new RegExp(source);
  } catch (error) {
    throw new UnsupportedPatternError(source, `not a valid regular expression: ${(error as Error).message}`);
  }
  let re2: RE2JS;
  try {
    // Without the `u` flag ECMAScript reads `\p{L}` as the characters "p{L}": refused, not reread.
    re2 = RE2JS.compile(source, RE2JS.DISABLE_UNICODE_GROUPS);
  } catch (error) {
    if (!(error instanceof RE2JSException)) throw error;
    throw new UnsupportedPatternError(source, `${error.message} (edgesum evaluates patterns with RE2, which has no backreferences, lookahead or lookbehind)`);
  }
  const instructions = re2.programSize();
  return {
    source,
    instructions,
    test(text, budget) {
      const cost = (text.length + 1) * instructions;
      if (cost > budget.remaining) throw new PatternBudgetError(source);
      budget.remaining -= cost;
      return re2.test(text);
    },
  };
}

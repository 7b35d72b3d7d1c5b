import { ErrorCodes, ValidationError } from '../errors.js';

/**
 * JSON Schema `pattern`s evaluated in time linear in the string (times the pattern's size), with a
 * step budget on top. Options schemas come from plugins and run in the host, where V8's
 * backtracking engine takes exponential time on patterns such as `^(a+)+$`; this engine simulates
 * the pattern's automaton instead (Thompson's construction, Pike's breadth-first simulation), so
 * no pattern can block the host. It covers the regular-expression syntax of ECMAScript without
 * flags (code units, Annex B escapes) except what cannot be evaluated that way: backreferences and
 * lookbehind are refused with a typed error naming the feature.
 */

/** Longest pattern accepted, in UTF-16 code units. */
export const maxPatternLength = 4_096;
/** Most automaton states one pattern may compile to (counted repetition multiplies them). */
export const maxPatternStates = 20_000;
/** Deepest nesting of groups and lookaheads, so neither parsing nor matching can exhaust the stack. */
export const maxPatternNesting = 64;

/** Steps left for evaluating patterns: one budget is shared by everything one validation evaluates. */
export interface PatternBudget {
  remaining: number;
}

/** A compiled pattern. */
export interface SafePattern {
  readonly source: string;
  /** Whether the pattern matches anywhere in `text`, like `RegExp.prototype.test`. */
  test(text: string, budget: PatternBudget): boolean;
}

/** A pattern edgesum will not evaluate: why, in words. */
export class UnsupportedPatternError extends ValidationError {
  constructor(
    readonly pattern: string,
    readonly reason: string,
  ) {
    super(ErrorCodes.InvalidOptions, `pattern ${JSON.stringify(pattern.length > 80 ? `${pattern.slice(0, 80)}…` : pattern)}: ${reason}`);
  }
}

/** The budget ran out while evaluating a pattern. */
export class PatternBudgetError extends ValidationError {
  constructor(readonly pattern: string) {
    super(ErrorCodes.InvalidOptions, `pattern ${JSON.stringify(pattern.length > 80 ? `${pattern.slice(0, 80)}…` : pattern)} took more than its budget of evaluation steps on the options`);
  }
}

/** Compiles a pattern, or throws {@link UnsupportedPatternError}. */
export function compilePattern(source: string): SafePattern {
  if (source.length > maxPatternLength) throw new UnsupportedPatternError(source, `longer than ${maxPatternLength} characters`);
  try {
    // Only to refuse what ECMAScript itself refuses; the engine's own parse below is stricter.
    new RegExp(source);
  } catch (error) {
    throw new UnsupportedPatternError(source, `not a valid regular expression: ${(error as Error).message}`);
  }
  const ast = new Parser(source).parse();
  const program = new Compiler(source).compile(ast);
  return { source, test: (text, budget) => new Machine(program, text, budget, source).search() };
}

// ---------------------------------------------------------------------------------------------
// Character sets: sorted, disjoint, inclusive ranges of UTF-16 code units, [lo0, hi0, lo1, hi1, …]
// ---------------------------------------------------------------------------------------------

type Ranges = number[];

const maxUnit = 0xffff;

function normalize(pairs: [number, number][]): Ranges {
  pairs.sort((a, b) => a[0] - b[0]);
  const out: Ranges = [];
  for (const [lo, hi] of pairs) {
    const last = out.length - 1;
    if (last > 0 && lo <= out[last]! + 1) out[last] = Math.max(out[last]!, hi);
    else out.push(lo, hi);
  }
  return out;
}

function complement(ranges: Ranges): Ranges {
  const out: Ranges = [];
  let next = 0;
  for (let i = 0; i < ranges.length; i += 2) {
    if (ranges[i]! > next) out.push(next, ranges[i]! - 1);
    next = ranges[i + 1]! + 1;
  }
  if (next <= maxUnit) out.push(next, maxUnit);
  return out;
}

function pairsOf(ranges: Ranges): [number, number][] {
  const pairs: [number, number][] = [];
  for (let i = 0; i < ranges.length; i += 2) pairs.push([ranges[i]!, ranges[i + 1]!]);
  return pairs;
}

function contains(ranges: Ranges, unit: number): boolean {
  let lo = 0;
  let hi = ranges.length / 2 - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (unit < ranges[2 * mid]!) hi = mid - 1;
    else if (unit > ranges[2 * mid + 1]!) lo = mid + 1;
    else return true;
  }
  return false;
}

const digits: Ranges = [0x30, 0x39];
const word: Ranges = normalize([
  [0x30, 0x39],
  [0x41, 0x5a],
  [0x5f, 0x5f],
  [0x61, 0x7a],
]);
const space: Ranges = normalize([
  [0x09, 0x0d],
  [0x20, 0x20],
  [0xa0, 0xa0],
  [0x1680, 0x1680],
  [0x2000, 0x200a],
  [0x2028, 0x2029],
  [0x202f, 0x202f],
  [0x205f, 0x205f],
  [0x3000, 0x3000],
  [0xfeff, 0xfeff],
]);
const lineTerminators: Ranges = normalize([
  [0x0a, 0x0a],
  [0x0d, 0x0d],
  [0x2028, 0x2029],
]);
const dot = complement(lineTerminators);

function isWordUnit(unit: number | undefined): boolean {
  return unit !== undefined && contains(word, unit);
}

// ---------------------------------------------------------------------------------------------
// Syntax
// ---------------------------------------------------------------------------------------------

type Node =
  | { readonly type: 'set'; readonly ranges: Ranges }
  | { readonly type: 'seq'; readonly items: readonly Node[] }
  | { readonly type: 'alt'; readonly options: readonly Node[] }
  | { readonly type: 'repeat'; readonly node: Node; readonly min: number; readonly max: number }
  | { readonly type: 'assert'; readonly kind: 'start' | 'end' | 'boundary' | 'not-boundary' }
  | { readonly type: 'look'; readonly node: Node; readonly negative: boolean };

const single = (unit: number): Node => ({ type: 'set', ranges: [unit, unit] });

class Parser {
  private pos = 0;
  private depth = 0;

  constructor(private readonly src: string) {}

  parse(): Node {
    const node = this.disjunction();
    if (this.pos < this.src.length) this.fail(`unexpected "${this.src[this.pos]}" at ${this.pos}`);
    return node;
  }

  private fail(reason: string): never {
    throw new UnsupportedPatternError(this.src, reason);
  }

  private unsupported(feature: string): never {
    this.fail(`uses ${feature}, which edgesum cannot evaluate in time bounded by the string's length`);
  }

  private peek(offset = 0): string | undefined {
    return this.src[this.pos + offset];
  }

  private disjunction(): Node {
    if (++this.depth > maxPatternNesting) this.fail(`nests groups deeper than ${maxPatternNesting}`);
    const options = [this.alternative()];
    while (this.peek() === '|') {
      this.pos++;
      options.push(this.alternative());
    }
    this.depth--;
    return options.length === 1 ? options[0]! : { type: 'alt', options };
  }

  private alternative(): Node {
    const items: Node[] = [];
    while (this.pos < this.src.length && this.peek() !== '|' && this.peek() !== ')') items.push(this.term());
    return items.length === 1 ? items[0]! : { type: 'seq', items };
  }

  private term(): Node {
    const c = this.peek()!;
    if (c === '^' || c === '$') {
      this.pos++;
      return this.noQuantifier({ type: 'assert', kind: c === '^' ? 'start' : 'end' });
    }
    if (c === '\\' && (this.peek(1) === 'b' || this.peek(1) === 'B')) {
      this.pos += 2;
      return this.noQuantifier({ type: 'assert', kind: this.src[this.pos - 1] === 'b' ? 'boundary' : 'not-boundary' });
    }
    if (c === '(' && this.peek(1) === '?' && (this.peek(2) === '=' || this.peek(2) === '!')) {
      const negative = this.peek(2) === '!';
      this.pos += 3;
      const node = this.disjunction();
      this.expect(')');
      return this.noQuantifier({ type: 'look', node, negative });
    }
    return this.quantified(this.atom());
  }

  private noQuantifier(node: Node): Node {
    if (this.quantifierAhead()) this.unsupported('a quantified assertion');
    return node;
  }

  private expect(c: string): void {
    if (this.peek() !== c) this.fail(`expected "${c}" at ${this.pos}`);
    this.pos++;
  }

  private atom(): Node {
    const c = this.src[this.pos++]!;
    switch (c) {
      case '.':
        return { type: 'set', ranges: dot };
      case '[':
        return this.characterClass();
      case '\\':
        return this.atomEscape();
      case '(':
        return this.group();
      case ')':
        return this.fail(`unmatched ")" at ${this.pos - 1}`);
      case '*':
      case '+':
      case '?':
        return this.fail(`nothing to repeat at ${this.pos - 1}`);
      case '{':
        this.pos--;
        if (this.quantifierAhead()) this.fail(`nothing to repeat at ${this.pos}`);
        this.pos++;
        return single(0x7b);
      default:
        return single(c.charCodeAt(0));
    }
  }

  private group(): Node {
    if (this.peek() === '?') {
      if (this.peek(1) === ':') {
        this.pos += 2;
      } else if (this.peek(1) === '<' && this.peek(2) !== '=' && this.peek(2) !== '!') {
        const close = this.src.indexOf('>', this.pos);
        if (close < 0) this.fail('unterminated group name');
        this.pos = close + 1;
      } else if (this.peek(1) === '<') {
        this.unsupported('lookbehind');
      } else {
        this.unsupported(`the group syntax "(?${this.peek(1) ?? ''}"`);
      }
    }
    const node = this.disjunction();
    this.expect(')');
    return node;
  }

  /** Whether a quantifier starts here: `*`, `+`, `?`, or a well-formed `{n}`, `{n,}`, `{n,m}`. */
  private quantifierAhead(): boolean {
    const c = this.peek();
    if (c === '*' || c === '+' || c === '?') return true;
    return c === '{' && /^\{\d+(,\d*)?\}/.test(this.src.slice(this.pos));
  }

  private quantified(node: Node): Node {
    if (!this.quantifierAhead()) return node;
    const c = this.src[this.pos++]!;
    let min: number;
    let max: number;
    if (c === '*') [min, max] = [0, Infinity];
    else if (c === '+') [min, max] = [1, Infinity];
    else if (c === '?') [min, max] = [0, 1];
    else {
      const close = this.src.indexOf('}', this.pos);
      const [low, high] = this.src.slice(this.pos, close).split(',');
      this.pos = close + 1;
      min = Number(low);
      max = high === undefined ? min : high === '' ? Infinity : Number(high);
      if (min > max) this.fail('numbers out of order in {} quantifier');
      if (min > maxPatternStates || (max !== Infinity && max > maxPatternStates)) this.fail(`repeats more than ${maxPatternStates} times`);
    }
    if (this.peek() === '?') this.pos++;
    if (this.quantifierAhead()) this.fail(`nothing to repeat at ${this.pos}`);
    return { type: 'repeat', node, min, max };
  }

  private atomEscape(): Node {
    const c = this.src[this.pos];
    if (c === undefined) this.fail('\\ at end of pattern');
    const set = this.classEscape(c);
    if (set !== undefined) {
      this.pos++;
      return { type: 'set', ranges: set };
    }
    if (c >= '1' && c <= '9') this.unsupported('a backreference');
    if (c === 'k') this.unsupported('a named backreference');
    return single(this.characterEscape());
  }

  /** `\d`, `\D`, `\w`, `\W`, `\s`, `\S`: the set, or `undefined` for any other escape. */
  private classEscape(c: string): Ranges | undefined {
    switch (c) {
      case 'd':
        return digits;
      case 'D':
        return complement(digits);
      case 'w':
        return word;
      case 'W':
        return complement(word);
      case 's':
        return space;
      case 'S':
        return complement(space);
      default:
        return undefined;
    }
  }

  /** The code unit of a character escape after `\`; advances past it. */
  private characterEscape(): number {
    const c = this.src[this.pos++]!;
    switch (c) {
      case 't':
        return 0x09;
      case 'n':
        return 0x0a;
      case 'v':
        return 0x0b;
      case 'f':
        return 0x0c;
      case 'r':
        return 0x0d;
      case '0':
        if (/[0-9]/.test(this.peek() ?? '')) this.unsupported('a legacy octal escape');
        return 0;
      case 'c': {
        const letter = this.peek() ?? '';
        if (!/[A-Za-z]/.test(letter)) this.unsupported('"\\c" without a control letter');
        this.pos++;
        return letter.charCodeAt(0) % 32;
      }
      case 'x':
        return this.hex(2, '\\x');
      case 'u':
        return this.hex(4, '\\u');
      case 'p':
      case 'P':
        return this.unsupported(`"\\${c}" (a Unicode property escape needs the u flag)`);
      default:
        if (c >= '1' && c <= '9') this.unsupported('a legacy octal escape');
        // Annex B: any other escaped character stands for itself.
        return c.charCodeAt(0);
    }
  }

  private hex(length: number, escape: string): number {
    const text = this.src.slice(this.pos, this.pos + length);
    if (text.length !== length || !/^[0-9A-Fa-f]+$/.test(text)) this.unsupported(`"${escape}" without ${length} hex digits`);
    this.pos += length;
    return parseInt(text, 16);
  }

  private characterClass(): Node {
    let negated = false;
    if (this.peek() === '^') {
      negated = true;
      this.pos++;
    }
    const pairs: [number, number][] = [];
    while (this.peek() !== ']') {
      if (this.pos >= this.src.length) this.fail('unterminated character class');
      const first = this.classAtom();
      if (this.peek() === '-' && this.peek(1) !== ']' && this.peek(1) !== undefined) {
        this.pos++;
        const second = this.classAtom();
        if (typeof first === 'number' && typeof second === 'number') {
          if (first > second) this.fail('range out of order in character class');
          pairs.push([first, second]);
        } else {
          // Annex B: a range with a class escape at either end is the two atoms and a "-".
          for (const atom of [first, second]) pairs.push(...(typeof atom === 'number' ? [[atom, atom] as [number, number]] : pairsOf(atom)));
          pairs.push([0x2d, 0x2d]);
        }
      } else {
        pairs.push(...(typeof first === 'number' ? [[first, first] as [number, number]] : pairsOf(first)));
      }
    }
    this.pos++;
    const ranges = normalize(pairs);
    return { type: 'set', ranges: negated ? complement(ranges) : ranges };
  }

  /** One class atom: a code unit, or the set of a class escape. */
  private classAtom(): number | Ranges {
    const c = this.src[this.pos++]!;
    if (c !== '\\') return c.charCodeAt(0);
    const next = this.peek();
    if (next === undefined) this.fail('\\ at end of pattern');
    const set = this.classEscape(next);
    if (set !== undefined) {
      this.pos++;
      return set;
    }
    if (next === 'b') {
      this.pos++;
      return 0x08;
    }
    if (next === '-') {
      this.pos++;
      return 0x2d;
    }
    if (next === 'k') this.unsupported('"\\k" in a character class');
    return this.characterEscape();
  }
}

// ---------------------------------------------------------------------------------------------
// Automaton
// ---------------------------------------------------------------------------------------------

const Op = { Char: 0, Split: 1, Assert: 2, Look: 3, Match: 4 } as const;
type Op = (typeof Op)[keyof typeof Op];

interface State {
  op: Op;
  next: number;
  /** `Split`: the second successor. `Look`: the start of the lookahead's own automaton. */
  other: number;
  ranges: Ranges;
  assert: 'start' | 'end' | 'boundary' | 'not-boundary';
  negative: boolean;
  /** `Look`: its index among the pattern's lookaheads, for memoizing results per position. */
  look: number;
}

interface Program {
  readonly states: readonly State[];
  readonly start: number;
  readonly lookaheads: number;
}

class Compiler {
  private readonly states: State[] = [];
  private lookaheads = 0;

  constructor(private readonly src: string) {}

  compile(node: Node): Program {
    const match = this.add({ op: Op.Match });
    const start = this.node(node, match);
    return { states: this.states, start, lookaheads: this.lookaheads };
  }

  private add(partial: Partial<State> & { op: Op }): number {
    if (this.states.length >= maxPatternStates) throw new UnsupportedPatternError(this.src, `needs more than ${maxPatternStates} automaton states`);
    this.states.push({ next: -1, other: -1, ranges: [], assert: 'start', negative: false, look: -1, ...partial });
    return this.states.length - 1;
  }

  /** Compiles `node` so that it continues at state `next`; returns its first state. */
  private node(node: Node, next: number): number {
    switch (node.type) {
      case 'set':
        return this.add({ op: Op.Char, ranges: node.ranges, next });
      case 'seq': {
        let at = next;
        for (let i = node.items.length - 1; i >= 0; i--) at = this.node(node.items[i]!, at);
        return at;
      }
      case 'alt': {
        let at = this.node(node.options[node.options.length - 1]!, next);
        for (let i = node.options.length - 2; i >= 0; i--) at = this.add({ op: Op.Split, next: this.node(node.options[i]!, next), other: at });
        return at;
      }
      case 'assert':
        return this.add({ op: Op.Assert, assert: node.kind, next });
      case 'look': {
        const end = this.add({ op: Op.Match });
        const body = this.node(node.node, end);
        return this.add({ op: Op.Look, other: body, negative: node.negative, next, look: this.lookaheads++ });
      }
      case 'repeat': {
        let at = next;
        if (node.max === Infinity) {
          const loop = this.add({ op: Op.Split, other: next });
          this.states[loop]!.next = this.node(node.node, loop);
          at = loop;
        } else {
          for (let i = node.min; i < node.max; i++) at = this.add({ op: Op.Split, next: this.node(node.node, at), other: next });
        }
        for (let i = 0; i < node.min; i++) at = this.node(node.node, at);
        return at;
      }
    }
  }
}

/**
 * Pike's simulation: the set of states alive after each code unit, each state at most once per
 * position, so a search costs O(length × states) steps. A lookahead runs its own automaton from
 * the position, once per (lookahead, position).
 */
class Machine {
  private readonly marks: Int32Array;
  private stamp = 0;
  private readonly looks: Map<number, boolean>[];

  constructor(
    private readonly program: Program,
    private readonly text: string,
    private readonly budget: PatternBudget,
    private readonly source: string,
  ) {
    this.marks = new Int32Array(program.states.length).fill(-1);
    this.looks = Array.from({ length: program.lookaheads }, () => new Map<number, boolean>());
  }

  /** Whether the pattern matches starting anywhere. */
  search(): boolean {
    return this.run(this.program.start, 0, true);
  }

  private run(start: number, from: number, anywhere: boolean): boolean {
    let current: number[] = [];
    for (let pos = from; ; pos++) {
      const stamp = ++this.stamp;
      const next: number[] = [];
      // States alive at `pos`: successors of the previous units, then (searching) a fresh start.
      for (const state of current) if (this.close(this.program.states[state]!.next, pos, stamp, next)) return true;
      if ((anywhere || pos === from) && this.close(start, pos, stamp, next)) return true;
      if (pos >= this.text.length || (next.length === 0 && !anywhere)) return false;
      const unit = this.text.charCodeAt(pos);
      current = next.filter((state) => contains(this.program.states[state]!.ranges, unit));
    }
  }

  /** Adds the closure of `state` at `pos` to `out` (character states only); true once `Match` is reached. */
  private close(state: number, pos: number, stamp: number, out: number[]): boolean {
    const stack = [state];
    while (stack.length > 0) {
      const at = stack.pop()!;
      if (this.marks[at] === stamp) continue;
      this.marks[at] = stamp;
      if (--this.budget.remaining < 0) throw new PatternBudgetError(this.source);
      const s = this.program.states[at]!;
      switch (s.op) {
        case Op.Match:
          return true;
        case Op.Char:
          out.push(at);
          break;
        case Op.Split:
          stack.push(s.other, s.next);
          break;
        case Op.Assert:
          if (this.holds(s.assert, pos)) stack.push(s.next);
          break;
        case Op.Look:
          if (this.lookahead(s, pos) !== s.negative) stack.push(s.next);
          break;
      }
    }
    return false;
  }

  private holds(kind: State['assert'], pos: number): boolean {
    switch (kind) {
      case 'start':
        return pos === 0;
      case 'end':
        return pos === this.text.length;
      default: {
        const boundary = isWordUnit(pos > 0 ? this.text.charCodeAt(pos - 1) : undefined) !== isWordUnit(pos < this.text.length ? this.text.charCodeAt(pos) : undefined);
        return kind === 'boundary' ? boundary : !boundary;
      }
    }
  }

  private lookahead(state: State, pos: number): boolean {
    const memo = this.looks[state.look]!;
    let result = memo.get(pos);
    if (result === undefined) {
      // The lookahead's states are its own, so its runs never disturb the marks of the caller's.
      result = this.run(state.other, pos, false);
      memo.set(pos, result);
    }
    return result;
  }
}

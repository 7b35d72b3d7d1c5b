/**
 * `checkReducerLaws`: the reducer laws of `edgesum/plugin`, checked on one set of reports.
 *
 * @module edgesum/testing
 */
import { projectReport, readsProjection, type Json, type LevelInfo, type Reducer, type ReducerContext, type StatusReport } from '../contract.js';
import { copyKeepingFrozen, deepFreeze, thaw } from './freeze.js';
import { clockOf, defaultSeed, environmentOf, type PluginEnvironmentHandle } from './environment.js';
import { canonical, describeDifferences, describeThrown, Halt, isTypeError, jsonFault, ViolationLog, type Violation } from './violations.js';

/**
 * The laws {@link checkReducerLaws} checks, as named in its violations:
 * - `arguments`: the setup itself is unusable (e.g. partitions that are not a partition of the reports);
 * - `hooks`: a hook is missing, throws, or returns `undefined`;
 * - `determinism`: the same calls give the same summary;
 * - `identity`: `init()` is the identity of `merge`, on both sides, and each `init()` is a fresh value;
 * - `commutativity`, `associativity`: of `merge`, over the folds of the partitions;
 * - `partition-independence`: folding everything equals merging the folds of the parts, in any tree shape;
 * - `order-insensitivity`: the same reports in another order give the same summary;
 * - `level-independence`: the same calls at another level give the same summary;
 * - `no-mutation`: no hook writes to a report, to the second accumulator of `merge`, to the
 *   accumulator given to `finish`, or to its context;
 * - `json-round-trip`: accumulators and summaries are JSON, and a JSON round trip of an accumulator
 *   changes nothing `merge` and `finish` can tell;
 * - `retraction`: with `remove` (and options its `retractsWhen` accepts), adding and removing a
 *   report gives the summary without it;
 * - `bounded-size`: with `maxAccBytes`, no accumulator's JSON is larger;
 * - `bounded-growth`: the accumulator of 20 copies of the reports (each under another destination
 *   id) is not much larger than that of 10 copies: it must not keep one entry per report;
 * - `clock`: a hook's result does not change with the clock: folding and merging at another time
 *   (`Date` and `ctx.now` both moved) or finishing with `Date` away from `ctx.now` gives the same
 *   summary. Checked for plugins loaded with `loadReducer`, whose `Date` the check can set;
 * - `randomness`: a hook's result does not change with the seed of `Math.random`. Checked for
 *   plugins loaded with `loadReducer`.
 * - `reads`: folding the reports projected to what the reducer declares in `reads` (under these
 *   options), as the host sends them, gives the same summary as folding them whole; and, unless
 *   `reads` lists them, other `seq` and `observedAt` values change neither the fold nor a
 *   retraction (the host skips a re-sent report that differs in nothing else).
 */
export type ReducerLaw =
  | 'arguments'
  | 'hooks'
  | 'determinism'
  | 'identity'
  | 'commutativity'
  | 'associativity'
  | 'partition-independence'
  | 'order-insensitivity'
  | 'level-independence'
  | 'no-mutation'
  | 'json-round-trip'
  | 'retraction'
  | 'bounded-size'
  | 'bounded-growth'
  | 'clock'
  | 'randomness'
  | 'reads';

/** What {@link checkReducerLaws} runs a reducer on. */
export interface ReducerLawSetup<Options = unknown> {
  /** The binding's options, as the host would pass them after validating them against the schema. */
  readonly options: Options;
  /** The reports to fold, at most one per (destination, object) as the host guarantees. Not modified. */
  readonly reports: readonly StatusReport[];
  /**
   * A partition of `reports` (every report in exactly one part), as sites would receive them.
   * Default: `reports` dealt round-robin into 3 parts. Fewer than 3 parts are padded with empty ones.
   */
  readonly partitions?: readonly (readonly StatusReport[])[];
  /** The level the hooks run at. Default `{ id: 'site-1', kind: 'site' }`; the check also runs at one other kind. */
  readonly level?: LevelInfo;
  /** The most bytes (UTF-8 of its JSON) any accumulator may take. Default: not checked. */
  readonly maxAccBytes?: number;
  /** The binding name in the context. Default `conformance`. */
  readonly binding?: string;
  /** The host clock in the context, RFC 3339. Default `2026-01-01T00:00:00Z`. */
  readonly now?: string;
  /**
   * Whether the host updates accumulators with `remove` for these options, so the retraction law
   * applies. Default: `remove` is given and no `retractsWhen` is declared. A reducer with
   * `retractsWhen` is checked for retraction only when this says so: pass the host's verdict
   * (`edgesum plugin check` and the conformance suite validate the options against it).
   */
  readonly retracts?: boolean;
  /** Check only these laws (a shrinker re-checks one). Default: every law. */
  readonly laws?: readonly ReducerLaw[];
}

type AnyReducer = Reducer<unknown, Json, Json>;

const defaultLevel: LevelInfo = { id: 'site-1', kind: 'site' };
const retractionSamples = 8;

/**
 * Checks a reducer against the laws of the plugin contract on the given reports, calling its hooks
 * directly (a plugin is a plain object). Every input a hook must only read is deep-frozen, so a
 * write to it throws a `TypeError`; a hook that throws one on frozen input but not on unfrozen
 * copies is reported under `no-mutation`. Snapshots of unfrozen inputs catch the same writes in
 * code that is not in strict mode. Results are compared as `JSON.stringify` of `finish`, byte for
 * byte, which is what clients read: two accumulators are equivalent when `finish` cannot tell them apart.
 *
 * Pure and deterministic: it neither modifies nor freezes what it is given, reads no clock or
 * randomness, and never throws, whatever the plugin does. It imports no test runner, so it runs
 * under vitest, `node:test`, Jest or a plain script alike.
 *
 * @example
 * ```ts
 * import { checkReducerLaws } from 'edgesum/testing';
 * expect(checkReducerLaws(myReducer, { options: { field: 'status.restarts' }, reports })).toEqual([]);
 * ```
 *
 * @param plugin - the reducer plugin object.
 * @param setup - its options, the reports, and optionally partitions, level and size bound.
 * @returns the violations found, in the order found, each once; empty when the reducer is lawful on these reports.
 */
export function checkReducerLaws<Options, Acc extends Json, Summary extends Json>(plugin: Reducer<Options, Acc, Summary>, setup: ReducerLawSetup<Options>): Violation<ReducerLaw>[] {
  const log = new ViolationLog<ReducerLaw>();
  const environment = environmentOf(plugin);
  const reducer = (environment?.plugin ?? plugin) as unknown as AnyReducer;
  if (!hasHooks(reducer, log)) return log.list;
  const prepared = prepare(reducer, setup as ReducerLawSetup<unknown>, log);
  if (prepared === undefined) return log.list;
  const probe = new ReducerProbe(reducer, prepared.ctx, log, environment);
  const laws = new ReducerLaws(reducer, probe, prepared, log);
  const only = Array.isArray(setup.laws) ? new Set<ReducerLaw>(setup.laws) : undefined;
  for (const [law, check] of laws.all()) {
    if (only !== undefined && !only.has(law)) continue;
    try {
      check();
    } catch (thrown) {
      // Halt means the violation is already logged; anything else is a fault of this check itself.
      if (!(thrown instanceof Halt)) log.add('hooks', `checking ${law} failed unexpectedly: ${describeThrown(thrown)}`);
    }
  }
  return log.list;
}

function hasHooks(plugin: AnyReducer, log: ViolationLog<ReducerLaw>): boolean {
  if (typeof plugin !== 'object' || plugin === null) {
    log.add('hooks', 'the plugin is not an object');
    return false;
  }
  for (const hook of ['init', 'add', 'merge', 'finish'] as const) {
    if (typeof plugin[hook] !== 'function') log.add('hooks', `the plugin has no ${hook} hook`);
  }
  if (plugin.remove !== undefined && typeof plugin.remove !== 'function') log.add('hooks', 'remove is given but is not a function');
  return log.list.length === 0;
}

interface Prepared {
  readonly ctx: ReducerContext<unknown>;
  /** Deep-frozen copies of the reports. */
  readonly reports: readonly StatusReport[];
  /** Deep-frozen copies of the parts, at least 3. */
  readonly parts: readonly (readonly StatusReport[])[];
  readonly partsAreValid: boolean;
  readonly maxAccBytes: number | undefined;
  /** Whether the retraction law applies (see {@link ReducerLawSetup.retracts}). */
  readonly retracts: boolean;
}

function frozenCopies(reports: readonly StatusReport[]): StatusReport[] {
  // Copies, so the caller's reports are neither modified nor frozen by the check.
  return reports.map((report) => deepFreeze(thaw(report)));
}

function prepare(plugin: AnyReducer, setup: ReducerLawSetup<unknown>, log: ViolationLog<ReducerLaw>): Prepared | undefined {
  if (typeof setup !== 'object' || setup === null || !Array.isArray(setup.reports)) {
    log.add('arguments', 'the setup must be { options, reports } with reports an array of status reports');
    return undefined;
  }
  let reports: StatusReport[];
  let parts: StatusReport[][];
  let options: unknown;
  try {
    reports = frozenCopies(setup.reports);
    options = deepFreeze(thaw(setup.options));
    if (setup.partitions === undefined) {
      parts = [0, 1, 2].map((k) => reports.filter((_, i) => i % 3 === k));
    } else if (Array.isArray(setup.partitions) && setup.partitions.every((part) => Array.isArray(part))) {
      parts = setup.partitions.map(frozenCopies);
    } else {
      log.add('arguments', 'partitions must be an array of arrays of reports');
      return undefined;
    }
  } catch (thrown) {
    log.add('arguments', `reports and options must be plain data: ${describeThrown(thrown)}`);
    return undefined;
  }
  const partsAreValid = setup.partitions === undefined || sameMultiset(parts.flat(), reports);
  if (!partsAreValid) log.add('arguments', 'the partitions must together hold exactly the given reports, each once; partition independence was not checked');
  while (parts.length < 3) parts.push([]);

  const maxAccBytes = setup.maxAccBytes;
  if (maxAccBytes !== undefined && !(typeof maxAccBytes === 'number' && maxAccBytes >= 0)) log.add('arguments', `maxAccBytes must be a non-negative number, not ${String(maxAccBytes)}`);
  const ctx: ReducerContext<unknown> = deepFreeze({
    options,
    binding: typeof setup.binding === 'string' ? setup.binding : 'conformance',
    level: thaw(setup.level ?? defaultLevel),
    now: typeof setup.now === 'string' ? setup.now : '2026-01-01T00:00:00Z',
  });
  const retracts = typeof plugin.remove === 'function' && (typeof setup.retracts === 'boolean' ? setup.retracts : plugin.retractsWhen === undefined);
  return { ctx, reports, parts, partsAreValid, maxAccBytes: typeof maxAccBytes === 'number' && maxAccBytes >= 0 ? maxAccBytes : undefined, retracts };
}

function sameMultiset(left: readonly unknown[], right: readonly unknown[]): boolean {
  if (left.length !== right.length) return false;
  const a = left.map((item) => canonical(item)).sort();
  const b = right.map((item) => canonical(item)).sort();
  return a.every((item, i) => item === b[i]);
}

type Hook = 'init' | 'add' | 'remove' | 'merge' | 'finish';

/** One hook run with another clock or seed than the others: how the checks see what a hook reads. */
interface Variation {
  readonly hook: Hook;
  readonly clock?: number;
  readonly seed?: number;
}

/** Calls the hooks of one reducer at one level, turning throws into violations and freezing what must only be read. */
class ReducerProbe {
  constructor(
    private readonly plugin: AnyReducer,
    readonly ctx: ReducerContext<unknown>,
    private readonly log: ViolationLog<ReducerLaw>,
    readonly environment: PluginEnvironmentHandle | undefined,
    private readonly variation?: Variation,
  ) {}

  /** The same reducer at another level. */
  at(level: LevelInfo): ReducerProbe {
    return new ReducerProbe(this.plugin, deepFreeze({ ...this.ctx, level }), this.log, this.environment, this.variation);
  }

  /** The same reducer, with one hook run under another clock or seed. */
  varying(variation: Variation): ReducerProbe {
    return new ReducerProbe(this.plugin, this.ctx, this.log, this.environment, variation);
  }

  /**
   * Sets the clock and seed a hook call sees, as a runner sets them for a batch: `Date` is
   * `ctx.now`, `Math.random` starts from the default seed. A varied hook gets its variation, and a
   * varied clock also moves `ctx.now` for every hook but `finish`, which may read the time it is asked at.
   */
  private prepareCall(hook: Hook, args: readonly unknown[]): readonly unknown[] {
    if (this.environment === undefined) return args;
    const varied = this.variation?.hook === hook ? this.variation : undefined;
    const clock = varied?.clock ?? clockOf(this.ctx.now);
    this.environment.setClock(clock);
    this.environment.reseed(varied?.seed ?? defaultSeed);
    if (varied?.clock === undefined || hook === 'finish') return args;
    return [...args.slice(0, -1), deepFreeze({ ...this.ctx, now: new Date(varied.clock).toISOString() })];
  }

  /**
   * Calls a hook as it is given its arguments. A `TypeError` that goes away when the same call is
   * repeated on unfrozen copies can only come from a write to a frozen value.
   */
  call(hook: Hook, args: readonly unknown[], reads: string): Json {
    const run = (given: readonly unknown[]): Json => (this.plugin[hook] as (...a: unknown[]) => Json).apply(this.plugin, [...this.prepareCall(hook, given)]);
    let result: Json;
    try {
      result = run(args);
    } catch (thrown) {
      if (isTypeError(thrown) && succeeds(() => run(args.map(thaw)))) {
        this.log.add('no-mutation', `${hook} wrote to ${reads}, which it must only read (it threw on frozen input but not on unfrozen copies): ${describeThrown(thrown)}`, hook);
      } else {
        this.log.add('hooks', `${hook} threw ${describeThrown(thrown)}`, hook);
      }
      throw new Halt();
    }
    if (result === undefined) {
      this.log.add('hooks', `${hook} returned undefined; it must return ${hook === 'finish' ? 'the summary' : 'the accumulator'} as JSON`, hook);
      throw new Halt();
    }
    return result;
  }

  init(): Json {
    return this.call('init', [this.ctx], 'its context');
  }

  /** Folds into `acc`, which the caller gives up (hooks may mutate their first argument). */
  add(acc: Json, report: StatusReport): Json {
    return this.call('add', [acc, report, this.ctx], 'its report, its context, or state the accumulator shares with a frozen value');
  }

  remove(acc: Json, report: StatusReport): Json {
    return this.call('remove', [copyKeepingFrozen(acc), report, this.ctx], 'its report, its context, or state the accumulator shares with a frozen value');
  }

  fold(reports: readonly StatusReport[]): Json {
    let acc = this.init();
    for (const report of reports) acc = this.add(acc, report);
    return acc;
  }

  /** Merges copies, with `b` deep-frozen: merge may change its first argument only. */
  merge(a: Json, b: Json): Json {
    return this.call('merge', [copyKeepingFrozen(a), deepFreeze(copyKeepingFrozen(b)), this.ctx], 'its second accumulator, its context, or state shared with a frozen value');
  }

  /** Merges left to right: `merge(merge(merge(A, B), C), …)`. */
  mergeAll(accs: readonly Json[]): Json {
    return accs.reduce((acc, next) => this.merge(acc, next), this.init());
  }

  finish(acc: Json): Json {
    return this.call('finish', [deepFreeze(copyKeepingFrozen(acc)), this.ctx], 'its accumulator or its context');
  }

  /** The summary's bytes: what a client reads, and what the laws compare. */
  show(acc: Json): string {
    const summary = this.finish(acc);
    let text: string | undefined;
    try {
      text = JSON.stringify(summary);
    } catch (thrown) {
      this.log.add('json-round-trip', `JSON.stringify cannot write the summary: ${describeThrown(thrown)}`);
      throw new Halt();
    }
    return text;
  }
}

function succeeds(run: () => unknown): boolean {
  try {
    run();
    return true;
  } catch {
    return false;
  }
}

function jsonCopy(value: Json, log: ViolationLog<ReducerLaw>): Json {
  try {
    return JSON.parse(JSON.stringify(value)) as Json;
  } catch (thrown) {
    log.add('json-round-trip', `the accumulator does not survive JSON.stringify and JSON.parse: ${describeThrown(thrown)}`);
    throw new Halt();
  }
}

function stringifies(value: Json): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}

/** UTF-8 length of a string, without TextEncoder or Buffer so it runs in any JavaScript engine. */
function utf8Bytes(text: string): number {
  let bytes = 0;
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
  }
  return bytes;
}

/** The report as a later copy of it would arrive with nothing else changed: these fields moved on. */
function movedCopy(report: StatusReport, fields: readonly ('seq' | 'observedAt')[]): StatusReport {
  const copy: Record<string, unknown> = { ...report };
  if (fields.includes('seq')) copy['seq'] = (typeof report.seq === 'number' ? report.seq : 0) + 1_000_003;
  if (fields.includes('observedAt')) {
    const at = Date.parse(report.observedAt);
    copy['observedAt'] = new Date((Number.isFinite(at) ? at : 0) + 3_600_000).toISOString();
  }
  return copy as unknown as StatusReport;
}

function describeReport(report: StatusReport, index: number): string {
  const ref = (report as { ref?: { kind?: unknown; namespace?: unknown; name?: unknown } }).ref;
  const where = ref === undefined ? '' : ` ${String(ref.kind)} ${ref.namespace === undefined ? '' : `${String(ref.namespace)}/`}${String(ref.name)}`;
  return `report ${index + 1} (${String(report.destination)}${where})`;
}

/** Every law, as one method each; the folds they share are computed on demand. */
class ReducerLaws {
  constructor(
    private readonly plugin: AnyReducer,
    private readonly probe: ReducerProbe,
    private readonly given: Prepared,
    private readonly log: ViolationLog<ReducerLaw>,
  ) {}

  all(): [ReducerLaw, () => void][] {
    return [
      ['determinism', () => this.determinism()],
      ['identity', () => this.identity()],
      ['commutativity', () => this.commutativity()],
      ['associativity', () => this.associativity()],
      ['partition-independence', () => this.partitionIndependence()],
      ['order-insensitivity', () => this.orderInsensitivity()],
      ['level-independence', () => this.levelIndependence()],
      ['no-mutation', () => this.noMutation()],
      ['json-round-trip', () => this.jsonRoundTrip()],
      ['retraction', () => this.retraction()],
      ['bounded-size', () => this.boundedSize()],
      ['bounded-growth', () => this.boundedGrowth()],
      ['clock', () => this.clock()],
      ['randomness', () => this.randomness()],
      ['reads', () => this.reads()],
    ];
  }

  private same(law: ReducerLaw, what: string, left: string, right: string): void {
    if (left !== right) this.log.add(law, `${what}; the summaries differ ${describeDifferences(JSON.parse(left), JSON.parse(right))}`, blamed[law]);
  }

  private partFolds(probe = this.probe): Json[] {
    return this.given.parts.map((part) => probe.fold(part));
  }

  private get partNames(): string {
    return `P1…P${this.given.parts.length} the folds of the ${this.given.parts.length} parts`;
  }

  private determinism(): void {
    const { probe, given } = this;
    this.same('determinism', 'folding the same reports twice gave different results', probe.show(probe.fold(given.reports)), probe.show(probe.fold(given.reports)));
    const [a, b] = this.partFolds();
    this.same('determinism', 'merging the same accumulators twice gave different results', probe.show(probe.merge(a!, b!)), probe.show(probe.merge(a!, b!)));
  }

  private identity(): void {
    const { probe } = this;
    const first = probe.init();
    // Hooks may mutate their accumulator, so a shared mutable init() would leak one fold into the next.
    if (typeof first === 'object' && first !== null && !Object.isFrozen(first) && probe.init() === first) {
      this.log.add('identity', 'init() returned the same object twice; it must return a fresh accumulator each time, as hooks may mutate it');
    }
    this.same('identity', 'finish(merge(init(), init())) ≠ finish(init())', probe.show(probe.merge(probe.init(), probe.init())), probe.show(probe.init()));
    const accs: [string, Json][] = [['the fold of all reports', probe.fold(this.given.reports)], ...this.partFolds().map((acc, i): [string, Json] => [`P${i + 1}, the fold of part ${i + 1}`, acc])];
    for (const [name, acc] of accs) {
      const expected = probe.show(acc);
      this.same('identity', `finish(merge(init(), A)) ≠ finish(A) for A = ${name}`, probe.show(probe.merge(probe.init(), acc)), expected);
      this.same('identity', `finish(merge(A, init())) ≠ finish(A) for A = ${name}`, probe.show(probe.merge(acc, probe.init())), expected);
    }
  }

  private commutativity(): void {
    const { probe } = this;
    const folds = this.partFolds();
    for (let i = 0; i < folds.length; i++) {
      for (let j = i + 1; j < folds.length; j++) {
        this.same('commutativity', `finish(merge(P${i + 1}, P${j + 1})) ≠ finish(merge(P${j + 1}, P${i + 1})), with ${this.partNames}`, probe.show(probe.merge(folds[i]!, folds[j]!)), probe.show(probe.merge(folds[j]!, folds[i]!)));
      }
    }
  }

  private associativity(): void {
    const { probe } = this;
    const folds = this.partFolds();
    for (let i = 0; i + 2 < folds.length; i++) {
      const [a, b, c] = [folds[i]!, folds[i + 1]!, folds[i + 2]!];
      const [p, q, r] = [`P${i + 1}`, `P${i + 2}`, `P${i + 3}`];
      this.same(
        'associativity',
        `finish(merge(merge(${p}, ${q}), ${r})) ≠ finish(merge(${p}, merge(${q}, ${r}))), with ${this.partNames}`,
        probe.show(probe.merge(probe.merge(a, b), c)),
        probe.show(probe.merge(a, probe.merge(b, c))),
      );
    }
  }

  private partitionIndependence(): void {
    if (!this.given.partsAreValid) return;
    const { probe } = this;
    const whole = probe.show(probe.fold(this.given.reports));
    const folds = this.partFolds();
    this.same('partition-independence', `merging ${this.partNames} left to right ≠ folding all reports`, probe.show(probe.mergeAll(folds)), whole);
    this.same('partition-independence', `merging ${this.partNames} in reverse order ≠ folding all reports`, probe.show(probe.mergeAll([...folds].reverse())), whole);
    const rightLeaning = folds.reduceRight((acc, next) => probe.merge(next, acc), probe.init());
    this.same('partition-independence', `merging ${this.partNames} as merge(P1, merge(P2, …)) ≠ folding all reports`, probe.show(rightLeaning), whole);
  }

  private orderInsensitivity(): void {
    const { probe } = this;
    const reports = this.given.reports;
    const whole = probe.show(probe.fold(reports));
    this.same('order-insensitivity', 'folding the reports in reverse order ≠ folding them in the given order', probe.show(probe.fold([...reports].reverse())), whole);
    const interleaved = [...reports.filter((_, i) => i % 2 === 1), ...reports.filter((_, i) => i % 2 === 0)];
    this.same('order-insensitivity', 'folding the reports at odd positions first ≠ folding them in the given order', probe.show(probe.fold(interleaved)), whole);
  }

  private reads(): void {
    const { probe } = this;
    const projection = readsProjection(this.plugin.reads, probe.ctx.options as Json);
    if (projection === undefined) return;
    const projected = deepFreeze(this.given.reports.map((report) => projectReport(report, projection)));
    const whole = probe.show(probe.fold(this.given.reports));
    this.same('reads', `folding the reports projected to reads [${projection.paths.join(', ')}] changes the summary: the reducer reads a field it does not declare`, probe.show(probe.fold(projected)), whole);
    const unlisted = (['seq', 'observedAt'] as const).filter((field) => !projection.tree.has(field));
    if (unlisted.length === 0) return;
    const moved = deepFreeze(this.given.reports.map((report) => movedCopy(report, unlisted)));
    const which = unlisted.map((field) => `\`${field}\``).join(' and ');
    this.same('reads', `folding the reports with other ${which} changes the summary: the reducer reads ${which} without listing them in reads, and the host does not fold a re-sent report again when nothing it reads changed`, probe.show(probe.fold(moved)), whole);
    if (!this.given.retracts || this.given.reports.length === 0) return;
    const rest = probe.fold(this.given.reports.slice(1));
    const report = this.given.reports[0]!;
    this.same('reads', `remove(add(A, r), r') ≠ A for r = ${describeReport(report, 0)} and r' the same report with other ${which}: remove reads ${which} without listing them in reads`, probe.show(probe.remove(probe.add(copyKeepingFrozen(rest), report), moved[0]!)), probe.show(rest));
  }

  private levelIndependence(): void {
    const { probe } = this;
    const level = probe.ctx.level;
    const other: LevelInfo = level.kind === 'center' ? { id: 'site-1', kind: 'site' } : { id: 'center', kind: 'center' };
    const elsewhere = probe.at(other);
    const where = `at level ${other.kind} "${other.id}" instead of ${level.kind} "${level.id}"`;
    this.same('level-independence', `folding all reports ${where} changes the summary`, elsewhere.show(elsewhere.fold(this.given.reports)), probe.show(probe.fold(this.given.reports)));
    this.same('level-independence', `merging the parts ${where} changes the summary`, elsewhere.show(elsewhere.mergeAll(this.partFolds(elsewhere))), probe.show(probe.mergeAll(this.partFolds())));
  }

  private noMutation(): void {
    const { probe, log } = this;
    const [a, b] = this.partFolds();
    // Frozen inputs: a write throws in strict-mode code (the probe turns that into a violation).
    probe.show(probe.merge(a!, b!));
    // Unfrozen inputs compared before and after: code that is not in strict mode writes to frozen values silently.
    const loose = this.given.reports.map(thaw);
    const before = canonical(loose);
    let acc = probe.init();
    for (const report of loose) acc = probe.call('add', [acc, report, probe.ctx], 'its report');
    if (canonical(loose) !== before) log.add('no-mutation', 'add changed a report it was given (seen by comparing unfrozen reports before and after folding)', 'add');

    const second = thaw(b!);
    const secondBefore = canonical(second);
    probe.call('merge', [thaw(a!), second, probe.ctx], 'its second accumulator');
    if (canonical(second) !== secondBefore) log.add('no-mutation', 'merge changed its second accumulator (seen by comparing an unfrozen copy before and after)', 'merge');

    const finished = thaw(acc);
    const finishedBefore = canonical(finished);
    probe.call('finish', [finished, probe.ctx], 'its accumulator');
    if (canonical(finished) !== finishedBefore) log.add('no-mutation', 'finish changed the accumulator it was given (seen by comparing an unfrozen copy before and after)', 'finish');

    if (this.given.retracts && loose.length > 0) {
      const retracted = thaw(this.given.reports[0]!);
      const retractedBefore = canonical(retracted);
      probe.call('remove', [thaw(acc), retracted, probe.ctx], 'its report');
      if (canonical(retracted) !== retractedBefore) log.add('no-mutation', 'remove changed the report it was given (seen by comparing an unfrozen copy before and after)', 'remove');
    }
  }

  private jsonRoundTrip(): void {
    const { probe, log } = this;
    const all = probe.fold(this.given.reports);
    for (const [name, value] of [
      ['init()', probe.init()],
      ['the fold of all reports', all],
      ['the summary of all reports', probe.finish(all)],
    ] as const) {
      const fault = jsonFault(value);
      if (fault !== undefined) log.add('json-round-trip', `${name} is not JSON: ${fault}`);
    }
    this.same('json-round-trip', 'finishing the fold of all reports after a JSON round trip changes the summary', probe.show(jsonCopy(all, log)), probe.show(all));
    const folds = this.partFolds();
    this.same('json-round-trip', `merging ${this.partNames} after a JSON round trip of each changes the summary`, probe.show(probe.mergeAll(folds.map((acc) => jsonCopy(acc, log)))), probe.show(probe.mergeAll(folds)));
  }

  private retraction(): void {
    if (!this.given.retracts) return;
    const { probe } = this;
    const reports = this.given.reports;
    const picks = reports.length <= retractionSamples ? reports.map((_, i) => i) : Array.from({ length: retractionSamples }, (_, k) => Math.floor((k * reports.length) / retractionSamples));
    const all = probe.fold(reports);
    for (const i of picks) {
      const report = reports[i]!;
      const rest = probe.fold(reports.filter((_, j) => j !== i));
      const expected = probe.show(rest);
      const name = describeReport(report, i);
      this.same('retraction', `remove(add(A, r), r) ≠ A for r = ${name} and A the fold of the other reports`, probe.show(probe.remove(probe.add(copyKeepingFrozen(rest), report), report)), expected);
      this.same('retraction', `removing ${name} from the fold of all reports ≠ folding the other reports`, probe.show(probe.remove(all, report)), expected);
    }
  }

  private boundedSize(): void {
    const max = this.given.maxAccBytes;
    if (max === undefined) return;
    const { probe } = this;
    const folds = this.partFolds();
    const accs: [string, Json][] = [['the fold of all reports', probe.fold(this.given.reports)], ['the merge of all parts', probe.mergeAll(folds)], ...folds.map((acc, i): [string, Json] => [`the fold of part ${i + 1}`, acc])];
    for (const [name, acc] of accs) {
      const text = stringifies(acc);
      // An accumulator JSON cannot write is the json-round-trip law's violation, not a size.
      const bytes = text === undefined ? 0 : utf8Bytes(text);
      if (bytes > max) this.log.add('bounded-size', `${name} takes ${bytes} bytes of JSON, over maxAccBytes ${max}`, 'add');
    }
  }

  private boundedGrowth(): void {
    const reports = this.given.reports;
    if (reports.length === 0) return;
    const { probe } = this;
    // At least a few hundred reports, so a top-k or a first-k list has filled up before sizes are compared.
    const copies = Math.max(growthCopies, Math.ceil(minGrowthReports / reports.length));
    const sizeOf = (times: number) => utf8Bytes(stringifies(probe.fold(replicate(reports, times))) ?? '');
    const [fewer, more] = [sizeOf(copies), sizeOf(2 * copies)];
    if (more > fewer * maxGrowthRatio + growthSlackBytes) {
      this.log.add(
        'bounded-growth',
        `the accumulator grows with the number of reports: folding ${copies * reports.length} reports (the given ones ${copies} times, under other destination ids) takes ${fewer} bytes of JSON, ${2 * copies * reports.length} take ${more}; keep counts or a top-k, not an entry per report`,
        'add',
      );
    }
  }

  /** What the clock and randomness laws compare: every hook once, as a level would run them. */
  private everyHook(probe: ReducerProbe): string {
    const merged = probe.show(probe.mergeAll(this.partFolds(probe)));
    if (!this.given.retracts || this.given.reports.length === 0) return merged;
    return `${merged}\n${probe.show(probe.remove(probe.fold(this.given.reports), this.given.reports[0]!))}`;
  }

  private hooks(): Hook[] {
    return (['init', 'add', 'remove', 'merge', 'finish'] as const).filter((hook) => typeof this.plugin[hook] === 'function');
  }

  private clock(): void {
    const { probe } = this;
    if (probe.environment === undefined) return;
    const base = this.everyHook(probe);
    const moved = clockOf(probe.ctx.now) + clockShiftMs;
    const at = new Date(moved).toISOString();
    for (const hook of this.hooks()) {
      const other = this.everyHook(probe.varying({ hook, clock: moved }));
      if (other === base) continue;
      const what =
        hook === 'finish'
          ? `finish reads the clock: with Date at ${at} while ctx.now is ${probe.ctx.now}, the summary changed`
          : `${hook} reads the clock: run at ${at} instead of ${probe.ctx.now} (Date and ctx.now both), it changed the summary, so an accumulator depends on when it was folded`;
      this.log.add('clock', `${what} ${this.changes(base, other)}; read the time in finish, from ctx.now`, hook);
    }
  }

  private randomness(): void {
    const { probe } = this;
    if (probe.environment === undefined) return;
    const base = this.everyHook(probe);
    for (const hook of this.hooks()) {
      const other = this.everyHook(probe.varying({ hook, seed: otherSeed }));
      if (other !== base) this.log.add('randomness', `${hook} draws on Math.random: with another seed the summary changed ${this.changes(base, other)}; a reducer must give the same summary for the same reports`, hook);
    }
  }

  private changes(base: string, other: string): string {
    const [left, right] = [base.split('\n'), other.split('\n')];
    const i = left.findIndex((line, k) => line !== right[k]);
    return describeDifferences(JSON.parse(left[i]!), JSON.parse(right[i]!));
  }
}

/** The hook a broken law points at first: `merge` for the merge laws, `add` for order. */
const blamed: Partial<Record<ReducerLaw, Hook>> = {
  identity: 'merge',
  commutativity: 'merge',
  associativity: 'merge',
  'partition-independence': 'merge',
  'order-insensitivity': 'add',
  retraction: 'remove',
  'json-round-trip': 'merge',
};

const growthCopies = 10;
const minGrowthReports = 300;
/** Twice the reports give at most this many times the bytes: a list of every report doubles. */
const maxGrowthRatio = 1.5;
/** Counts gain digits as they grow; that is not growth. */
const growthSlackBytes = 64;
/** How far the clock moves in the clock law: a day and a bit, so no rounding to minutes or hours hides it. */
const clockShiftMs = 86_400_000 + 3_723_004;
const otherSeed = 0x2545f491;

/** `times` copies of each report, each copy under its own destination id, frozen. */
function replicate(reports: readonly StatusReport[], times: number): StatusReport[] {
  const out: StatusReport[] = [];
  for (let k = 0; k < times; k++) {
    for (const report of reports) out.push(k === 0 ? report : deepFreeze({ ...thaw(report), destination: `${String(report.destination)}~${k}` }));
  }
  return out;
}

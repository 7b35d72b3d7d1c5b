import { isDeepStrictEqual } from 'node:util';
import type { Json, LevelInfo, StatusReport } from '../contract.js';
import { asEdgesumError, ErrorCodes, type EdgesumError, type ErrorCode } from '../errors.js';
import { reportKey, setData } from '../model/index.js';
import type { Metrics } from '../metrics/index.js';
import type { CallContext, ReducerHandle } from '../ports/plugin-runner.js';
import { Backoff, defaultRetry, type RetryPolicy } from './backoff.js';
import { allGroup, retractsWith, type BindingConfig } from './config.js';
import { checkHookResults, findNonJson } from './json-check.js';
import { MergeTree, recomputeTrees } from './merge-tree.js';
import { readsComparer } from './projecting-handle.js';

/** How complete a summary is. A summary never pretends to cover destinations it has not heard from. */
export interface Coverage {
  /** Destinations in the binding's scope below this level. */
  expected: number;
  /** Of those, destinations that sent at least one report the binding folds. */
  reporting: number;
  /** Of the reporting ones, those whose newest report is older than the binding's `staleAfter`. */
  stale: number;
  /** Child levels, anywhere below, that are disconnected; their last known contribution is used. */
  unreachable: number;
}

/**
 * Why a binding's summary is not current: the code and message of the plugin failure and, while
 * the binding backs off, how many attempts failed in a row and when the next one runs.
 */
export interface Degradation {
  code: ErrorCode;
  message: string;
  /** Consecutive failed attempts. */
  failures?: number;
  /** When the plugin is called again, RFC 3339; attempts before then are skipped. */
  retryAt?: string;
}

/** What a level forwards to its parent for one binding: accumulators, not finished summaries. */
export interface BindingPartial {
  /** One accumulator per group key (`"*"` when the binding is not grouped). */
  groups: Record<string, Json>;
  coverage: Coverage;
  degraded: Degradation | null;
}

/** A finished summary as clients read it. */
export interface SummaryView {
  value: Json;
  coverage: Coverage;
  degraded: boolean;
  /** Present when degraded: the failure that froze the binding on its last good result. */
  error?: Degradation;
}

/** Why a partial cannot go on the wire as it is, or `undefined` when it can. */
export type PartialCheck = (partial: BindingPartial) => string | undefined;

/** How a binding reaches the outside world. */
export interface BindingDeps {
  readonly handle: ReducerHandle;
  readonly level: LevelInfo;
  readonly options: Json;
  readonly now: () => number;
  readonly metrics: Metrics;
  readonly matches: (report: StatusReport) => boolean;
  readonly groupOf: (report: StatusReport) => string;
  /** Destinations in scope below this level, for `coverage.expected`. */
  readonly expected: number;
  /** Most reports in one partition; one changed report re-folds at most this many. */
  readonly partitionSize: number;
  /** How long a failing binding waits before calling its plugin again; {@link defaultRetry} when absent. */
  readonly retry?: RetryPolicy;
}

/**
 * Children per merge-tree node. Each depth is one plugin call per flush, so a change at a site of 16
 * partitions, or at a center of 100 regions, costs one or two calls instead of four or seven.
 */
const mergeFanOut = 16;

/**
 * Most reports in one fold call: a site that folds everything at once (its first sync, a restart)
 * makes several calls well inside a call's time and memory limits instead of one that is not.
 */
const reportsPerCall = 2_000;

/** Consecutive runs of `items` holding at most {@link reportsPerCall} reports each (one item at least). */
function byReports<T>(items: readonly T[], reports: (item: T) => number): T[][] {
  const parts: T[][] = [];
  let size = 0;
  for (const item of items) {
    const n = reports(item);
    if (parts.length === 0 || (size + n > reportsPerCall && size > 0)) {
      parts.push([]);
      size = 0;
    }
    parts[parts.length - 1]!.push(item);
    size += n;
  }
  return parts;
}

interface Bucket {
  readonly group: Group;
  readonly slot: number;
  readonly reports: Map<string, StatusReport>;
  /** The whole bucket must be folded again (new bucket, or a reducer without `remove`). */
  refold: boolean;
  readonly retract: StatusReport[];
  readonly append: StatusReport[];
}

interface Group {
  readonly key: string;
  readonly tree: MergeTree;
  open: Bucket | undefined;
}

interface ChildContribution {
  slots: Map<string, number>;
  coverage: Coverage;
  degraded: Degradation | null;
}

/**
 * One summary binding at one level: ingests the reports it selects into partitions, merges the
 * partitions and the children's partials in merge trees, and answers with finished summaries.
 * Incremental: a changed report re-folds one partition (or retracts and re-adds with `remove`) and
 * re-merges O(log P) tree nodes. When a plugin call fails, the last good accumulators stay in
 * place, pending work is kept for the next flush, and the summary is marked degraded.
 */
export class Binding {
  private readonly groups = new Map<string, Group>();
  private readonly placement = new Map<string, Bucket>();
  private readonly dirty = new Set<Bucket>();
  private readonly children = new Map<string, ChildContribution>();
  /** Newest `observedAt` (ms) per own destination that reported. */
  private readonly observed = new Map<string, number>();
  /** Why the last fold or merge failed; cleared by the next that succeeds. */
  private failure: Degradation | null = null;
  /** Whether a changed report is retracted with `remove` instead of re-folding its partition. */
  private readonly retractable: boolean;
  /** Whether a newer report looks the same to the reducer as the one it replaces; absent when it reads the whole report. */
  private readonly sameReads: ((a: StatusReport, b: StatusReport) => boolean) | undefined;
  private readonly folding: Backoff;
  /** The last finished summary that succeeded, and the version of the inputs it finished. */
  private finished: { version: number; value: Json } | undefined;
  /** Why the last `finish` failed; cleared by the next that succeeds. */
  private finishFailure: Degradation | null = null;
  private readonly finishing: Backoff;
  /** The groups of the last partial fit for the wire: what is sent while the current one is not. */
  private lastWireGroups: Record<string, Json> = {};
  private wireFailure: Degradation | null = null;
  private version = 0;

  constructor(
    readonly config: BindingConfig,
    private readonly deps: BindingDeps,
  ) {
    this.folding = new Backoff(deps.retry ?? defaultRetry);
    this.finishing = new Backoff(deps.retry ?? defaultRetry);
    this.retractable = retractsWith(deps.handle.info, deps.options);
    this.sameReads = readsComparer(deps.handle.info.reads, deps.options);
  }

  /** The binding's name. */
  get name(): string {
    return this.config.name;
  }

  /** Whether this binding folds the report. */
  matches(report: StatusReport): boolean {
    return this.deps.matches(report);
  }

  /**
   * Takes the newest report of one (destination, object); `previous` is the one it replaces, if
   * any. `key` is the report's `reportKey`, when the caller already has it. A report that looks
   * the same to the reducer as the one it replaces (only `seq` and `observedAt` moved, and the
   * reducer does not read them) is kept for later folds but folds nothing now: an edge re-sending
   * an unchanged status costs no plugin call.
   */
  apply(report: StatusReport, previous: StatusReport | undefined, key: string = reportKey(report)): void {
    const group = this.group(this.deps.groupOf(report));
    const placed = this.placement.get(key);
    if (placed !== undefined && placed.group === group) {
      const held = placed.reports.get(key)!;
      placed.reports.set(key, report);
      if (this.sameReads === undefined || !this.sameReads(held, report)) this.note(placed, previous, report);
    } else {
      if (placed !== undefined) {
        placed.reports.delete(key);
        this.note(placed, previous, undefined);
      }
      const bucket = this.openBucket(group);
      bucket.reports.set(key, report);
      this.placement.set(key, bucket);
      this.note(bucket, undefined, report);
    }
    const observedAt = Date.parse(report.observedAt);
    const seen = this.observed.get(report.destination);
    if (seen === undefined || observedAt > seen) this.observed.set(report.destination, observedAt);
  }

  /** Replaces one child level's contribution with its newest partial. */
  receive(child: string, partial: BindingPartial): void {
    const contribution = this.children.get(child) ?? { slots: new Map<string, number>(), coverage: partial.coverage, degraded: null };
    let changed = false;
    for (const [key, slot] of contribution.slots) {
      if (!Object.hasOwn(partial.groups, key)) {
        this.group(key).tree.release(slot);
        contribution.slots.delete(key);
        changed = true;
      }
    }
    for (const [key, acc] of Object.entries(partial.groups)) {
      const tree = this.group(key).tree;
      let slot = contribution.slots.get(key);
      if (slot === undefined) {
        slot = tree.allocate();
        contribution.slots.set(key, slot);
      }
      // A child re-sends every group when any part of its partial changed (its coverage, say):
      // an identical accumulator leaves the tree, and every merge above it, as it is.
      if (!isDeepStrictEqual(tree.get(slot), acc)) {
        tree.set(slot, acc);
        changed = true;
      }
    }
    contribution.coverage = partial.coverage;
    contribution.degraded = partial.degraded;
    this.children.set(child, contribution);
    if (changed) this.version++;
  }

  /** Whether reports or partials arrived since the last successful flush. */
  get pending(): boolean {
    return this.dirty.size > 0 || [...this.groups.values()].some((group) => group.tree.isDirty);
  }

  /**
   * Folds what changed and re-merges. Never throws for plugin failures: they degrade the binding,
   * keep the last good result, and leave the work pending for the next flush. After a failure the
   * plugin is not called again before the backoff's `retryAt` (on the injected clock), so a plugin
   * that runs into its time limit costs that limit once per backoff period, not on every flush.
   */
  async flush(): Promise<void> {
    if (!this.pending) return;
    const now = this.deps.now();
    if (!this.folding.ready(now)) {
      this.deps.metrics.bindingBackoffSkips.inc({ level: this.deps.level.id, binding: this.name, stage: 'fold' });
      return;
    }
    const call = this.call();
    try {
      await this.foldDirty(call);
      await recomputeTrees(
        [...this.groups.values()].map((group) => group.tree),
        (groups) => this.count('merge', groups.length, () => this.deps.handle.merge(groups, call)),
      );
      this.failure = null;
      this.folding.succeed();
    } catch (error) {
      this.folding.fail(now);
      this.failure = this.degrade(error, this.folding);
    }
    this.deps.metrics.bindingFailures.set({ level: this.deps.level.id, binding: this.name, stage: 'fold' }, this.folding.failures);
    this.version++;
  }

  /**
   * The partial to forward upward: the root accumulator of every group, with coverage. A partial
   * that is not plain JSON within the wire's depth, or that `check` (the transport's own rule)
   * refuses, is not sent: the binding degrades with `EDGESUM_PLUGIN_OUTPUT` and the groups of the
   * last partial that passed go instead, so the parent keeps this level's last good contribution.
   */
  partial(unreachableChildren: ReadonlySet<string>, check?: PartialCheck): BindingPartial {
    const groups: Record<string, Json> = {};
    for (const [key, group] of [...this.groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const root = group.tree.root();
      if (root !== undefined) setData(groups, key, root);
    }
    const coverage = this.coverage(unreachableChildren);
    const problem = this.wireProblem(groups, coverage, check);
    if (problem === undefined) {
      this.lastWireGroups = groups;
      this.wireFailure = null;
      return { groups, coverage, degraded: this.degradation() };
    }
    if (this.wireFailure === null) this.deps.metrics.pluginErrors.inc({ level: this.deps.level.id, binding: this.name, code: ErrorCodes.PluginOutput });
    this.wireFailure = {
      code: ErrorCodes.PluginOutput,
      message: `${this.deps.handle.info.name} at level ${this.deps.level.id}: the partial of binding "${this.name}" cannot be sent: ${problem}; the last partial that could is sent instead`,
    };
    return { groups: this.lastWireGroups, coverage, degraded: this.degradation() };
  }

  /**
   * The finished summary at this level. Never throws for plugin failures: when `finish` fails, the
   * last summary that finished is shown (`null` before any did), marked degraded with the failure.
   */
  async summary(unreachableChildren: ReadonlySet<string>): Promise<SummaryView> {
    const coverage = this.coverage(unreachableChildren);
    const { value, failure } = await this.finish();
    const degraded = failure ?? this.degradation();
    return degraded === null ? { value, coverage, degraded: false } : { value, coverage, degraded: true, error: degraded };
  }

  /** Coverage at this level: own destinations plus every child's last reported coverage. */
  coverage(unreachableChildren: ReadonlySet<string>): Coverage {
    const staleBefore = this.deps.now() - this.config.staleAfter;
    let stale = 0;
    for (const observedAt of this.observed.values()) if (observedAt < staleBefore) stale++;
    const coverage: Coverage = { expected: this.deps.expected, reporting: this.observed.size, stale, unreachable: unreachableChildren.size };
    for (const child of this.children.values()) {
      coverage.reporting += child.coverage.reporting;
      coverage.stale += child.coverage.stale;
      coverage.unreachable += child.coverage.unreachable;
    }
    return coverage;
  }

  /**
   * The first time after `now` at which this binding's own coverage changes without any new input:
   * when its freshest-but-one reporting destination turns stale. `Infinity` when none will.
   */
  coverageChangesAt(now: number): number {
    const staleBefore = now - this.config.staleAfter;
    let next = Number.POSITIVE_INFINITY;
    // Stale once observedAt < now - staleAfter, i.e. from observedAt + staleAfter + 1 on.
    for (const observedAt of this.observed.values()) if (observedAt >= staleBefore && observedAt + this.config.staleAfter + 1 < next) next = observedAt + this.config.staleAfter + 1;
    return next;
  }

  private degradation(): Degradation | null {
    if (this.failure !== null) return this.failure;
    if (this.wireFailure !== null) return this.wireFailure;
    for (const child of this.children.values()) if (child.degraded !== null) return child.degraded;
    return null;
  }

  /**
   * One child level's own summary, finished from the partial it last sent: what a rollout policy
   * at this level reads about that child. `null` before the child sent anything. Rejects with the
   * typed plugin error when `finish` fails, so the policy is not asked to decide without it.
   */
  async childSummary(child: string): Promise<Json> {
    const contribution = this.children.get(child);
    if (contribution === undefined) return null;
    const roots = new Map<string, Json>();
    for (const [key, slot] of contribution.slots) {
      const acc = this.group(key).tree.get(slot);
      if (acc !== undefined) roots.set(key, acc);
    }
    try {
      return await this.finishRoots(roots);
    } catch (error) {
      throw this.typed(error);
    }
  }

  /**
   * The summary of the current roots, computed once per version. A failure keeps the last good
   * summary and backs off like a failed flush: a `finish` that runs into its time limit is not
   * retried on every read.
   */
  private async finish(): Promise<{ value: Json; failure: Degradation | null }> {
    const lastGood = this.finished?.value ?? null;
    if (this.finished?.version === this.version) return { value: lastGood, failure: null };
    const now = this.deps.now();
    if (this.finishFailure !== null && !this.finishing.ready(now)) {
      this.deps.metrics.bindingBackoffSkips.inc({ level: this.deps.level.id, binding: this.name, stage: 'finish' });
      return { value: lastGood, failure: this.finishFailure };
    }
    const roots = new Map<string, Json>();
    for (const [key, group] of this.groups) {
      const root = group.tree.root();
      if (root !== undefined) roots.set(key, root);
    }
    const version = this.version;
    try {
      const value = await this.finishRoots(roots);
      this.finished = { version, value };
      this.finishFailure = null;
      this.finishing.succeed();
      return { value, failure: null };
    } catch (error) {
      this.finishing.fail(now);
      this.finishFailure = this.degrade(error, this.finishing);
      return { value: lastGood, failure: this.finishFailure };
    } finally {
      this.deps.metrics.bindingFailures.set({ level: this.deps.level.id, binding: this.name, stage: 'finish' }, this.finishing.failures);
    }
  }

  /** Finishes group roots: the summary of an ungrouped binding, or group key → summary, keys sorted. */
  private async finishRoots(roots: ReadonlyMap<string, Json>): Promise<Json> {
    const call = this.call();
    if (this.config.groupBy === undefined) {
      const acc = roots.get(allGroup) ?? (await this.count('merge', 1, () => this.deps.handle.merge([[]], call)))[0]!;
      return (await this.count('finish', 1, () => this.deps.handle.finish([acc], call)))[0]!;
    }
    const keys = [...roots.keys()].sort();
    const summaries = keys.length === 0 ? [] : await this.count('finish', keys.length, () => this.deps.handle.finish(keys.map((key) => roots.get(key)!), call));
    return Object.fromEntries(keys.map((key, i) => [key, summaries[i]!]));
  }

  /** Why the partial is unfit for the wire: not plain JSON within the depth limit, or refused by `check`. */
  private wireProblem(groups: Record<string, Json>, coverage: Coverage, check: PartialCheck | undefined): string | undefined {
    for (const [key, acc] of Object.entries(groups)) {
      const problem = findNonJson(acc);
      if (problem !== undefined) return `the accumulator of group "${key}"${problem.path === '' ? '' : ` at ${problem.path}`}: ${problem.message}`;
    }
    return check?.({ groups, coverage, degraded: this.failure });
  }

  private typed(error: unknown): EdgesumError {
    return asEdgesumError(error, ErrorCodes.PluginThrew, { plugin: this.deps.handle.info.name, level: this.deps.level.id, binding: this.name });
  }

  /** Records a failed attempt in the metrics and says why the binding degraded and when it retries. */
  private degrade(error: unknown, backoff: Backoff): Degradation {
    const typed = this.typed(error);
    this.deps.metrics.pluginErrors.inc({ level: this.deps.level.id, binding: this.name, code: typed.code });
    const retryAt = backoff.retryAt;
    return { code: typed.code, message: typed.message, failures: backoff.failures, ...(retryAt === undefined ? {} : { retryAt: new Date(retryAt).toISOString() }) };
  }

  private async foldDirty(call: CallContext): Promise<void> {
    const buckets = [...this.dirty];
    const refold = buckets.filter((bucket) => bucket.refold && bucket.reports.size > 0);
    const update = buckets.filter((bucket) => !bucket.refold);
    // One call after the other: a runner may recreate a runtime between calls, and the order of
    // calls then stays the same from run to run. Nothing is applied before every call succeeded.
    const folded: Json[] = [];
    for (const part of byReports(refold, (bucket) => bucket.reports.size)) {
      folded.push(...(await this.count('add', part.length, () => this.deps.handle.reduce(part.map((bucket) => [...bucket.reports.values()]), call))));
    }
    const updated: Json[] = [];
    for (const part of byReports(update, (bucket) => bucket.retract.length + bucket.append.length)) {
      updated.push(
        ...(await this.count('add', part.length, () =>
          this.deps.handle.update(
            part.map((bucket) => ({ acc: bucket.group.tree.get(bucket.slot)!, remove: bucket.retract, add: bucket.append })),
            call,
          ),
        )),
      );
    }
    refold.forEach((bucket, i) => bucket.group.tree.set(bucket.slot, folded[i]));
    update.forEach((bucket, i) => bucket.group.tree.set(bucket.slot, updated[i]));
    for (const bucket of buckets) {
      if (bucket.reports.size === 0) bucket.group.tree.set(bucket.slot, undefined);
      // An emptied slot holds no accumulator to update: the next report put in it (the bucket stays
      // its group's open one) must be folded from `init`.
      bucket.refold = bucket.reports.size === 0;
      bucket.retract.length = 0;
      bucket.append.length = 0;
    }
    this.dirty.clear();
  }

  private note(bucket: Bucket, removed: StatusReport | undefined, added: StatusReport | undefined): void {
    this.dirty.add(bucket);
    this.version++;
    if (bucket.refold) return;
    if (!this.retractable) {
      bucket.refold = true;
      return;
    }
    if (removed !== undefined) {
      const pending = bucket.append.indexOf(removed);
      if (pending >= 0) bucket.append.splice(pending, 1);
      else bucket.retract.push(removed);
    }
    if (added !== undefined) bucket.append.push(added);
    if (bucket.retract.length + bucket.append.length > bucket.reports.size) {
      bucket.refold = true;
    }
  }

  private group(key: string): Group {
    let group = this.groups.get(key);
    if (group === undefined) {
      group = { key, tree: new MergeTree(mergeFanOut), open: undefined };
      this.groups.set(key, group);
    }
    return group;
  }

  private openBucket(group: Group): Bucket {
    if (group.open === undefined || group.open.reports.size >= this.deps.partitionSize) {
      group.open = { group, slot: group.tree.allocate(), reports: new Map(), refold: true, retract: [], append: [] };
    }
    return group.open;
  }

  private call(): CallContext {
    return { options: this.deps.options, binding: this.name, level: this.deps.level, now: new Date(this.deps.now()).toISOString() };
  }

  /**
   * One batch call into the plugin, counted, whose results must be `expected` plain JSON values:
   * checked here rather than trusted to the runner, so every runner is held to the same rule.
   */
  private async count(hook: string, expected: number, run: () => Promise<Json[]>): Promise<Json[]> {
    this.deps.metrics.pluginCalls.inc({ level: this.deps.level.id, binding: this.name, hook });
    const stop = this.deps.metrics.pluginCallSeconds.startTimer({ level: this.deps.level.id, binding: this.name, plugin: this.deps.handle.info.name, hook });
    let results: unknown;
    try {
      results = await run();
    } finally {
      stop();
    }
    return checkHookResults(results, expected, { plugin: this.deps.handle.info.name, hook, level: this.deps.level.id, binding: this.name }) as Json[];
  }
}

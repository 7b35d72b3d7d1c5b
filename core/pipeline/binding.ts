import type { Json, LevelInfo, StatusReport } from '../contract.js';
import { asEdgesumError, ErrorCodes, type ErrorCode } from '../errors.js';
import { reportKey } from '../model/index.js';
import type { Metrics } from '../metrics/index.js';
import type { CallContext, ReducerHandle } from '../ports/plugin-runner.js';
import { allGroup, type BindingConfig } from './config.js';
import { MergeTree, recomputeTrees } from './merge-tree.js';

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

/** Why a binding's summary is not current: the code and message of the plugin failure. */
export interface Degradation {
  code: ErrorCode;
  message: string;
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
  private failure: Degradation | null = null;
  private finished: { version: number; value: Json } | undefined;
  private version = 0;

  constructor(
    readonly config: BindingConfig,
    private readonly deps: BindingDeps,
  ) {}

  /** The binding's name. */
  get name(): string {
    return this.config.name;
  }

  /** Whether this binding folds the report. */
  matches(report: StatusReport): boolean {
    return this.deps.matches(report);
  }

  /** Takes the newest report of one (destination, object); `previous` is the one it replaces, if any. */
  apply(report: StatusReport, previous: StatusReport | undefined): void {
    const key = reportKey(report);
    const group = this.group(this.deps.groupOf(report));
    const placed = this.placement.get(key);
    if (placed !== undefined && placed.group === group) {
      placed.reports.set(key, report);
      this.note(placed, previous, report);
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
    for (const [key, slot] of contribution.slots) {
      if (!(key in partial.groups)) {
        this.group(key).tree.release(slot);
        contribution.slots.delete(key);
      }
    }
    for (const [key, acc] of Object.entries(partial.groups)) {
      const tree = this.group(key).tree;
      let slot = contribution.slots.get(key);
      if (slot === undefined) {
        slot = tree.allocate();
        contribution.slots.set(key, slot);
      }
      tree.set(slot, acc);
    }
    contribution.coverage = partial.coverage;
    contribution.degraded = partial.degraded;
    this.children.set(child, contribution);
    this.version++;
  }

  /** Whether reports or partials arrived since the last successful flush. */
  get pending(): boolean {
    return this.dirty.size > 0 || [...this.groups.values()].some((group) => group.tree.isDirty);
  }

  /**
   * Folds what changed and re-merges. Never throws for plugin failures: they degrade the binding,
   * keep the last good result, and leave the work pending for the next flush.
   */
  async flush(): Promise<void> {
    if (!this.pending) return;
    const call = this.call();
    try {
      await this.foldDirty(call);
      await recomputeTrees(
        [...this.groups.values()].map((group) => group.tree),
        (groups) => this.count('merge', () => this.deps.handle.merge(groups, call)),
      );
      this.failure = null;
    } catch (error) {
      const typed = asEdgesumError(error, ErrorCodes.PluginThrew, { plugin: this.deps.handle.info.name, level: this.deps.level.id, binding: this.name });
      this.failure = { code: typed.code, message: typed.message };
      this.deps.metrics.pluginErrors.inc({ level: this.deps.level.id, binding: this.name, code: typed.code });
    }
    this.version++;
  }

  /** The partial to forward upward: the root accumulator of every group, with coverage. */
  partial(unreachableChildren: ReadonlySet<string>): BindingPartial {
    const groups: Record<string, Json> = {};
    for (const [key, group] of [...this.groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const root = group.tree.root();
      if (root !== undefined) groups[key] = root;
    }
    return { groups, coverage: this.coverage(unreachableChildren), degraded: this.degradation() };
  }

  /** The finished summary at this level. */
  async summary(unreachableChildren: ReadonlySet<string>): Promise<SummaryView> {
    const coverage = this.coverage(unreachableChildren);
    const degraded = this.degradation();
    const value = await this.finish();
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

  private degradation(): Degradation | null {
    if (this.failure !== null) return this.failure;
    for (const child of this.children.values()) if (child.degraded !== null) return child.degraded;
    return null;
  }

  /**
   * One child level's own summary, finished from the partial it last sent: what a rollout policy
   * at this level reads about that child. `null` before the child sent anything.
   */
  async childSummary(child: string): Promise<Json> {
    const contribution = this.children.get(child);
    if (contribution === undefined) return null;
    const roots = new Map<string, Json>();
    for (const [key, slot] of contribution.slots) {
      const acc = this.group(key).tree.get(slot);
      if (acc !== undefined) roots.set(key, acc);
    }
    return this.finishRoots(roots);
  }

  private async finish(): Promise<Json> {
    if (this.finished?.version === this.version) return this.finished.value;
    const roots = new Map<string, Json>();
    for (const [key, group] of this.groups) {
      const root = group.tree.root();
      if (root !== undefined) roots.set(key, root);
    }
    const value = await this.finishRoots(roots);
    this.finished = { version: this.version, value };
    return value;
  }

  /** Finishes group roots: the summary of an ungrouped binding, or group key → summary, keys sorted. */
  private async finishRoots(roots: ReadonlyMap<string, Json>): Promise<Json> {
    const call = this.call();
    if (this.config.groupBy === undefined) {
      const acc = roots.get(allGroup) ?? (await this.deps.handle.merge([[]], call))[0]!;
      return (await this.count('finish', () => this.deps.handle.finish([acc], call)))[0]!;
    }
    const keys = [...roots.keys()].sort();
    const summaries = keys.length === 0 ? [] : await this.count('finish', () => this.deps.handle.finish(keys.map((key) => roots.get(key)!), call));
    return Object.fromEntries(keys.map((key, i) => [key, summaries[i]!]));
  }

  private async foldDirty(call: CallContext): Promise<void> {
    const buckets = [...this.dirty];
    const refold = buckets.filter((bucket) => bucket.refold && bucket.reports.size > 0);
    const update = buckets.filter((bucket) => !bucket.refold);
    // One call after the other: a runner may recreate a runtime between calls, and the order of
    // calls then stays the same from run to run.
    const folded = refold.length === 0 ? [] : await this.count('add', () => this.deps.handle.reduce(refold.map((bucket) => [...bucket.reports.values()]), call));
    const updated =
      update.length === 0
        ? []
        : await this.count('add', () =>
            this.deps.handle.update(
              update.map((bucket) => ({ acc: bucket.group.tree.get(bucket.slot)!, remove: bucket.retract, add: bucket.append })),
              call,
            ),
          );
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
    if (!this.deps.handle.info.retractable) {
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
      group = { key, tree: new MergeTree(), open: undefined };
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

  private async count<T>(hook: string, run: () => Promise<T>): Promise<T> {
    this.deps.metrics.pluginCalls.inc({ level: this.deps.level.id, binding: this.name, hook });
    return run();
  }
}

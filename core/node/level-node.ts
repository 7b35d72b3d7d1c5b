import type { z } from 'zod';
import type { Json, StatusReport } from '../contract.js';
import type { Clock } from '../clock/index.js';
import { toIso } from '../clock/index.js';
import { EdgesumError, ErrorCodes, errorFields, NotFoundError, ValidationError, type ErrorCode } from '../errors.js';
import type { Logger } from '../log/index.js';
import type { Metrics } from '../metrics/index.js';
import { parseOrThrow, parseReports, reportKey, type BatchResult, type Level, type Rejection, type ValidatedReport } from '../model/index.js';
import { Backoff, Binding, compileGroupBy, retractsWith, compileSelector, destinationInScope, type BindingConfig, type BindingPartial, type PluginLoader, type RetryPolicy, type SummaryView } from '../pipeline/index.js';
import type { NodeStore } from '../storage/index.js';
import { BindingPartialSchema, type DestinationStatus, type PartialMessage, type Transport } from '../transport/index.js';
import { RolloutSpecSchema, type LevelRollouts, type RolloutSpecInput } from '../rollout/index.js';
import type { Topology } from '../model/topology.js';

/** Tunables of a level node. */
export interface LevelNodeOptions {
  /** Most reports in one partition: one changed report re-folds at most this many. */
  readonly partitionSize: number;
  /**
   * Most reports in one partition of a reducer without `remove` (default 16, never above
   * `partitionSize`): such a reducer re-folds the whole partition of a changed report, where one
   * with `remove` retracts and re-adds that report alone.
   */
  readonly unretractablePartitionSize?: number;
  /** Identifies this incarnation of the node; a restarted node must use a larger one. */
  readonly epoch: number;
  /** How long a failing binding waits before calling its plugin again; `defaultRetry` when absent. */
  readonly retry?: RetryPolicy;
  /**
   * How long the node waits before sending its partial again after the parent did not accept it.
   * In one process a send fails only while a link is cut, so the default retries at every flush.
   */
  readonly forwardRetry?: RetryPolicy;
  /** Sends the partial at least this often even when nothing changed, so the parent knows the level is alive. */
  readonly heartbeatMs?: number;
  /** A child level not heard from for this long counts as unreachable in coverage. */
  readonly unreachableAfterMs?: number;
}

/**
 * Partition size of a reducer without `remove`: a quarter of the default, so one changed report
 * re-folds 16 reports instead of 64, for about a quarter more merging when everything changes.
 */
const defaultUnretractablePartitionSize = 16;

/** The defaults of {@link LevelNodeOptions} but the epoch. */
export const defaultNodeOptions = { partitionSize: 64 } as const;

/** Retry at every flush: what an in-process hierarchy, whose sends fail only on a cut link, wants. */
const everyFlush: RetryPolicy = { initialMs: 0, maxMs: 0 };

/** What a node needs, all injected by the composition root. */
export interface LevelNodeDeps {
  readonly level: Level;
  readonly topology: Topology;
  readonly bindings: readonly BindingConfig[];
  readonly loader: PluginLoader;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly storage: NodeStore;
  readonly transport: Transport;
  readonly rollouts: LevelRollouts;
  readonly options: LevelNodeOptions;
}

/**
 * `parseOrThrow` for values a caller hands over as objects rather than parsed text: reading one can
 * run code (a getter, a proxy), and what that throws is the same typed error as any invalid value.
 */
export function parseConfig<S extends z.ZodType>(schema: S, read: () => unknown, where: string, code: ErrorCode = ErrorCodes.InvalidConfig): z.output<S> {
  try {
    return parseOrThrow(schema, read(), where, code);
  } catch (error) {
    if (error instanceof EdgesumError) throw error;
    throw new ValidationError(code, `invalid ${where}: reading it threw: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/** What an operator may tell a running rollout. */
export type OperatorCommand = 'pause' | 'resume' | 'abort' | 'rollback';

/** The outcome of ingesting a batch of reports. Valid reports are applied even when others fail. */
export interface IngestResult {
  accepted: number;
  /** Reports whose seq was already applied. */
  duplicates: number;
  /** Reports older than the latest applied seq of their (destination, object). */
  outOfOrder: number;
  rejected: Rejection[];
}

interface ChildSeen {
  epoch: number;
  seq: number;
}

/**
 * One level of the hierarchy: a site, a region or the center. The same class at every level; its
 * configuration (children, destinations, bindings, transport) is what differs. It folds reports of
 * its own destinations, merges its children's partials, forwards its own partial to its parent and
 * answers summaries and per-destination status.
 */
export class LevelNode {
  private readonly bindings = new Map<string, Binding>();
  private readonly ownDestinations: ReadonlySet<string>;
  private readonly childrenSeen = new Map<string, ChildSeen>();
  /** When each child level was last heard from (ms on the injected clock). */
  private readonly heard = new Map<string, number>();
  private readonly forwarding: Backoff;
  private epoch: number;
  private seq = 0;
  private lastSent: { body: string; at: number } | undefined;
  private started = false;
  /**
   * What the last complete flush saw, so that a flush with nothing new to do returns at once:
   * no report or partial arrived since, the same children are unreachable, the rollouts report the
   * same, and the clock has not reached the first moment a coverage count or a heartbeat changes.
   */
  private quiet: { until: number; unreachable: string; rollouts: string } | undefined;

  constructor(private readonly deps: LevelNodeDeps) {
    this.ownDestinations = new Set(deps.topology.destinationsOf(deps.level.id).map((destination) => destination.id));
    this.forwarding = new Backoff(deps.options.forwardRetry ?? everyFlush);
    this.epoch = deps.options.epoch;
  }

  /** The level id. */
  get id(): string {
    return this.deps.level.id;
  }

  /** The level kind: center, region or site. */
  get kind(): Level['kind'] {
    return this.deps.level.kind;
  }

  /** The names of the summary bindings, in configuration order. */
  get bindingNames(): string[] {
    return [...this.bindings.keys()];
  }

  /**
   * Loads every binding's reducer and validates its options before any hook runs, then attaches to
   * the transport. Throws a `ValidationError` or `PluginLoadError` naming the binding.
   */
  async start(): Promise<void> {
    if (this.started) return;
    const { topology, level, loader } = this.deps;
    const inScope = topology.destinationsBelow(level.id);
    for (const config of this.deps.bindings) {
      const { handle, options } = await loader.reducer(config);
      this.bindings.set(
        config.name,
        new Binding(config, {
          handle,
          level: { id: level.id, kind: level.kind },
          options,
          now: () => this.deps.clock.now(),
          metrics: this.deps.metrics,
          matches: compileSelector(config.name, config.selector, topology.workloads, topology.destinations),
          groupOf: compileGroupBy(config.groupBy, topology.destinations),
          expected: inScope.filter((destination) => destinationInScope(config.selector, destination)).length,
          partitionSize: retractsWith(handle.info, options)
            ? this.deps.options.partitionSize
            : Math.min(this.deps.options.partitionSize, this.deps.options.unretractablePartitionSize ?? defaultUnretractablePartitionSize),
          ...(this.deps.options.retry === undefined ? {} : { retry: this.deps.options.retry }),
        }),
      );
    }
    await this.restore();
    this.deps.transport.bind(level.id, {
      onPartial: async (message) => this.receive(message),
      onStatusQuery: (destination) => this.destinationStatus(destination),
      onDirective: async (message) => this.deps.rollouts.receive(message),
    });
    this.started = true;
  }

  /**
   * Resumes from the node's store, so that a restarted node needs nothing resent: its reports are
   * folded again, its children's last partials merged again, its rollouts rebuilt. The epoch grows
   * with every start, so the parent takes this incarnation's partials over the last one's.
   */
  private async restore(): Promise<void> {
    const store = this.deps.storage;
    const previous = store.readState('node:epoch');
    if (typeof previous === 'number' && previous >= this.epoch) this.epoch = previous + 1;
    store.writeState({ 'node:epoch': this.epoch });
    const now = this.deps.clock.now();
    for (const child of this.deps.topology.children(this.id)) this.heard.set(child.id, now);
    await this.deps.rollouts.restore();
    for (const report of store.reports()) {
      for (const binding of this.bindings.values()) if (binding.matches(report)) binding.apply(report, undefined);
    }
    for (const key of store.stateKeys(childPrefix)) this.apply(store.readState(key) as unknown as PartialMessage);
  }

  /**
   * Validates and applies a batch of status reports from this level's own destinations. The latest
   * seq per (destination, object) wins; duplicates and stragglers are counted, never applied twice.
   * Every item gets one outcome; an item that is not a valid report is rejected, never thrown.
   */
  ingest(items: readonly unknown[]): IngestResult {
    return this.ingestValidated(parseReports(items));
  }

  /**
   * Applies a batch that `parseReports` (or the hierarchy routing to this level) already
   * validated, and counts its rejections. Positions and rejection indexes refer to the caller's
   * batch.
   */
  ingestValidated(batch: BatchResult<ValidatedReport>): IngestResult {
    const stop = this.deps.metrics.ingestSeconds.startTimer({ level: this.id });
    try {
      return this.applyBatch(batch);
    } finally {
      stop();
    }
  }

  private applyBatch(batch: BatchResult<ValidatedReport>): IngestResult {
    const { accepted, positions } = batch;
    const result: IngestResult = { accepted: 0, duplicates: 0, outOfOrder: 0, rejected: [...batch.rejected] };
    const level = this.id;
    const storage = this.deps.storage;
    // The reports to apply with the report each replaces and its key, as parallel arrays: no
    // object per report, and the key derived once for the store, the dedupe and every binding.
    const reports: StatusReport[] = [];
    const replaced: (StatusReport | undefined)[] = [];
    const keys: string[] = [];
    const newest = new Map<string, number>();
    for (let i = 0; i < accepted.length; i++) {
      const report = accepted[i]!;
      if (!this.ownDestinations.has(report.destination)) {
        result.rejected.push({
          index: positions[i]!,
          code: ErrorCodes.UnknownDestination,
          issues: [{ path: 'destination', message: `destination "${report.destination}" does not belong to level ${level}` }],
        });
        continue;
      }
      const key = reportKey(report);
      const earlier = newest.get(key);
      const previous = earlier === undefined ? storage.get(key) : reports[earlier];
      if (previous !== undefined && report.seq <= previous.seq) {
        if (report.seq === previous.seq) result.duplicates++;
        else result.outOfOrder++;
        continue;
      }
      newest.set(key, reports.length);
      reports.push(report);
      replaced.push(previous);
      keys.push(key);
    }
    // One write for the whole batch, before anything is applied: when the caller is told a report
    // was accepted, it is durable, and a failed write leaves nothing half applied. A key applied
    // twice in the batch is written twice, in order, so the store ends with the newer one.
    storage.putReports(reports, keys);
    if (reports.length > 0) this.quiet = undefined;
    const bindings = [...this.bindings.values()];
    for (let i = 0; i < reports.length; i++) {
      const report = reports[i]!;
      this.deps.rollouts.observeReport(report);
      for (const binding of bindings) if (binding.matches(report)) binding.apply(report, replaced[i], keys[i]);
    }
    result.accepted = reports.length;
    result.rejected.sort((a, b) => a.index - b.index);
    const metrics = this.deps.metrics;
    metrics.reportsAccepted.inc({ level }, result.accepted);
    if (result.duplicates > 0) metrics.reportsDuplicate.inc({ level }, result.duplicates);
    if (result.outOfOrder > 0) metrics.reportsOutOfOrder.inc({ level }, result.outOfOrder);
    for (const rejection of result.rejected) metrics.reportsRejected.inc({ level, code: rejection.code });
    return result;
  }

  /**
   * Folds and merges what changed, then forwards this level's partial to its parent if it differs
   * from the last one delivered. While the parent is unreachable the node keeps reducing and sends
   * its newest state once the link is back.
   */
  async flush(): Promise<void> {
    await this.settle(true);
  }

  /**
   * Folds and merges what changed, without forwarding: the first half of {@link flush}, which a
   * caller may run for several nodes at once before {@link publish}ing each. Never throws for
   * plugin failures.
   */
  async fold(): Promise<void> {
    // Each binding's calls stay in order; the bindings' plugins are separate runtimes, so a runner
    // overlaps one binding's call with the next one's instead of idling between them.
    await Promise.all([...this.bindings.values()].map((binding) => binding.flush()));
  }

  /**
   * The second half of {@link flush}, after {@link fold}: forwards this level's partial if it
   * differs from the last one delivered and sets the coverage gauges.
   */
  async publish(): Promise<void> {
    await this.settle(false);
  }

  /**
   * Whether a flush now would find nothing to do (see `quiet`): a caller settling many nodes skips
   * this one without a call. Cheap for a site with no rollout running, which is most nodes.
   */
  get isQuiet(): boolean {
    const quiet = this.quiet;
    return quiet !== undefined && this.deps.clock.now() < quiet.until && quiet.unreachable === this.unreachableKey() && quiet.rollouts === this.rolloutsKey();
  }

  private unreachableKey(): string {
    return this.deps.topology.children(this.id).length === 0 ? '' : [...this.unreachableChildren()].join('\n');
  }

  private rolloutsKey(): string {
    return this.deps.rollouts.idle ? '' : JSON.stringify(this.deps.rollouts.reports());
  }

  private async settle(fold: boolean): Promise<void> {
    if (this.isQuiet) return;
    const now = this.deps.clock.now();
    const unreachable = this.unreachableKey();
    const rollouts = this.rolloutsKey();
    this.quiet = undefined;
    const stop = this.deps.metrics.flushSeconds.startTimer({ level: this.id });
    try {
      if (fold) await this.fold();
      await this.forward();
      this.observeCoverage();
      this.quiet = this.settled(now, unreachable, rollouts);
    } finally {
      stop();
    }
  }

  /** When this flush left nothing pending, until when the node stays as it is without new input. */
  private settled(now: number, unreachable: string, rollouts: string): LevelNode['quiet'] {
    if ([...this.bindings.values()].some((binding) => binding.pending)) return undefined;
    const parent = this.deps.level.parent;
    if (parent !== undefined && (this.lastSent === undefined || this.forwarding.failures > 0)) return undefined;
    let until = Number.POSITIVE_INFINITY;
    for (const binding of this.bindings.values()) until = Math.min(until, binding.coverageChangesAt(now));
    const heartbeat = this.deps.options.heartbeatMs;
    if (parent !== undefined && heartbeat !== undefined) until = Math.min(until, this.lastSent!.at + heartbeat);
    return { until, unreachable, rollouts };
  }

  /**
   * One turn of the node's own work: fold what changed and send the partial up, let the rollouts
   * decide and deliver their directives, then send up what the decisions changed. A served node
   * runs it on its scheduler; a failing turn is logged and the next one runs on time.
   */
  async step(): Promise<void> {
    try {
      await this.flush();
      await this.evaluateRollouts();
      await this.flush();
    } catch (error) {
      this.deps.logger.error('a step of the node failed; the next one runs on schedule', { level: this.id, error: (error as Error).message });
    }
  }

  /** Every binding's finished summary at this level. */
  async summaries(): Promise<Record<string, SummaryView>> {
    const unreachable = this.unreachableChildren();
    const summaries: Record<string, SummaryView> = {};
    for (const [name, binding] of this.bindings) summaries[name] = await binding.summary(unreachable);
    return summaries;
  }

  /** One binding's finished summary at this level. */
  async summary(name: string): Promise<SummaryView> {
    const binding = this.bindings.get(name);
    if (binding === undefined) {
      throw new NotFoundError(ErrorCodes.UnknownBinding, `level ${this.id} has no summary binding "${name}"; it has ${this.bindingNames.join(', ')}`, { level: this.id });
    }
    return binding.summary(this.unreachableChildren());
  }

  /** The latest reports of one destination, read at the level that owns it and routed down to it. */
  async destinationStatus(destination: string): Promise<DestinationStatus> {
    if (this.ownDestinations.has(destination)) {
      return { destination, level: this.id, reports: this.deps.storage.byDestination(destination) };
    }
    const child = this.deps.topology.childToward(this.id, destination);
    if (child === undefined) {
      throw new NotFoundError(ErrorCodes.UnknownDestination, `destination "${destination}" is not at or below level ${this.id}`, { level: this.id });
    }
    return this.deps.transport.queryStatus(child.id, destination);
  }

  /** The rollouts running at this level. */
  get rollouts(): LevelRollouts {
    return this.deps.rollouts;
  }

  /**
   * Starts a rollout here, normally at the center. The spec is validated, its summary binding
   * checked and the policy of every level kind loaded with its options validated before anything
   * starts, so a bad spec fails here rather than at a level far below.
   */
  async startRollout(input: RolloutSpecInput): Promise<void> {
    const spec = parseConfig(RolloutSpecSchema, () => input, 'rollout spec', ErrorCodes.InvalidRollout);
    if (this.deps.rollouts.has(spec.id)) {
      throw new ValidationError(ErrorCodes.InvalidRollout, `rollout "${spec.id}" already exists`, { issues: [{ path: 'id', message: 'already exists' }] });
    }
    if (spec.summary !== undefined && !this.bindings.has(spec.summary)) {
      throw new ValidationError(ErrorCodes.InvalidRollout, `rollout "${spec.id}": summary binding "${spec.summary}" does not exist; bindings are ${this.bindingNames.join(', ')}`, {
        issues: [{ path: 'summary', message: 'unknown summary binding' }],
      });
    }
    for (const kind of ['center', 'region', 'site'] as const) {
      const { policy, options } = spec.policies[kind];
      await this.deps.loader.policy(policy, options, `rollout "${spec.id}" policies.${kind}`);
    }
    await this.deps.rollouts.begin(spec, toIso(this.deps.clock.now()), 'run', null);
  }

  /** An operator's command for a rollout started here; it travels down with the next directives. */
  commandRollout(id: string, command: OperatorCommand): void {
    this.deps.rollouts.command(id, command === 'resume' ? 'run' : command);
  }

  /** Lets every due rollout controller at this level decide, and delivers its directives. */
  async evaluateRollouts(): Promise<void> {
    await this.deps.rollouts.evaluate((binding, child) => this.bindings.get(binding)?.childSummary(child) ?? Promise.resolve(null));
    const metrics = this.deps.metrics;
    for (const [rollout, dropped] of this.deps.rollouts.drainDropped()) metrics.auditEntriesDropped.inc({ level: this.id, rollout }, dropped);
    const activity = this.deps.rollouts.drainActivity();
    for (const [action, count] of activity.decisions) metrics.rolloutDecisions.inc({ level: this.id, action }, count);
    if (activity.delivered > 0) metrics.directivesSent.inc({ level: this.id }, activity.delivered);
    metrics.directivesPending.set({ level: this.id }, activity.pending);
  }

  /** Detaches from the transport. */
  stop(): void {
    this.deps.transport.unbind(this.id);
  }

  /**
   * A child's partial: stored before it is acknowledged, so a restart merges it again, then merged.
   * A partial no newer than the last one from that child only proves the child is alive.
   */
  private receive(message: PartialMessage): void {
    this.heard.set(message.from, this.deps.clock.now());
    const seen = this.childrenSeen.get(message.from);
    if (seen !== undefined && (message.epoch < seen.epoch || (message.epoch === seen.epoch && message.seq <= seen.seq))) {
      this.deps.metrics.partialsIgnored.inc({ level: this.id });
      return;
    }
    this.deps.storage.writeState({ [`${childPrefix}${message.from}`]: message as unknown as Json });
    this.apply(message);
  }

  private apply(message: PartialMessage): void {
    this.quiet = undefined;
    this.childrenSeen.set(message.from, { epoch: message.epoch, seq: message.seq });
    this.deps.rollouts.observeChild(message.from, message.rollouts);
    for (const [name, partial] of Object.entries(message.bindings)) {
      const binding = this.bindings.get(name);
      if (binding === undefined) {
        this.deps.logger.warn('ignoring a partial for a binding this level does not have', { level: this.id, child: message.from, binding: name });
        continue;
      }
      binding.receive(message.from, partial);
    }
  }

  /**
   * Sends this level's partial to the parent. Each binding's partial is checked against the wire's
   * schema first, so one binding whose accumulator the parent would refuse degrades alone (sending
   * its last good partial) instead of the whole message failing on every flush. A message the
   * transport still refuses is logged and sent again at the next flush, never thrown at the caller.
   */
  private async forward(): Promise<void> {
    const parent = this.deps.level.parent;
    const now = this.deps.clock.now();
    if (parent === undefined || !this.forwarding.ready(now)) return;
    const unreachable = this.unreachableChildren();
    const bindings = Object.fromEntries([...this.bindings].map(([name, binding]) => [name, binding.partial(unreachable, wireProblem)]));
    const rollouts = this.deps.rollouts.reports();
    const body = JSON.stringify([bindings, rollouts]);
    const heartbeat = this.deps.options.heartbeatMs;
    const beatDue = heartbeat !== undefined && this.lastSent !== undefined && now - this.lastSent.at >= heartbeat;
    if (body === this.lastSent?.body && !beatDue) return;
    // A heartbeat repeats the last message as it was: the parent ignores it but for the sign of life.
    const seq = body === this.lastSent?.body ? this.seq : ++this.seq;
    const message: PartialMessage = { from: this.id, epoch: this.epoch, seq, sentAt: toIso(now), bindings, rollouts };
    try {
      await this.deps.transport.sendPartial(parent, message);
      this.lastSent = { body, at: now };
      this.forwarding.succeed();
      this.deps.metrics.partialsSent.inc({ level: this.id });
    } catch (error) {
      this.forwarding.fail(now);
      this.deps.logger.warn('the parent level did not accept the partial; it is sent again later', { level: this.id, parent, retryAt: toIso(this.forwarding.retryAt ?? now), ...errorFields(error) });
    }
  }

  /** Sets the coverage gauges of every binding at this level. */
  private observeCoverage(): void {
    const unreachable = this.unreachableChildren();
    for (const [name, binding] of this.bindings) {
      const coverage = binding.coverage(unreachable);
      for (const state of ['expected', 'reporting', 'stale'] as const) this.deps.metrics.destinations.set({ level: this.id, binding: name, state }, coverage[state]);
    }
    this.deps.metrics.partialPending.set({ level: this.id }, this.deps.level.parent !== undefined && this.forwarding.failures > 0 ? 1 : 0);
  }

  /** Children whose link the transport knows is down, or that went quiet for longer than `unreachableAfterMs`. */
  private unreachableChildren(): Set<string> {
    const quietSince = this.deps.options.unreachableAfterMs === undefined ? undefined : this.deps.clock.now() - this.deps.options.unreachableAfterMs;
    return new Set(
      this.deps.topology
        .children(this.id)
        .filter((child) => this.deps.transport.linkDown?.(child.id) === true || (quietSince !== undefined && (this.heard.get(child.id) ?? 0) < quietSince))
        .map((child) => child.id),
    );
  }
}

/** Prefix of the state documents holding each child level's latest partial. */
const childPrefix = 'child:';

/** Why one binding's partial would be refused on the wire, in the transport's own words. */
function wireProblem(partial: BindingPartial): string | undefined {
  const result = BindingPartialSchema.safeParse(partial);
  if (result.success) return undefined;
  const issue = result.error.issues[0];
  return issue === undefined ? 'refused by the wire schema' : `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`;
}

import type { Clock } from '../clock/index.js';
import { toIso } from '../clock/index.js';
import { ErrorCodes, NotFoundError } from '../errors.js';
import type { Logger } from '../log/index.js';
import type { Metrics } from '../metrics/index.js';
import { parseReports, reportKey, type BatchResult, type Level, type Rejection, type ValidatedReport } from '../model/index.js';
import { Binding, compileGroupBy, compileSelector, destinationInScope, type BindingConfig, type PluginLoader, type SummaryView } from '../pipeline/index.js';
import type { ReportStore } from '../storage/index.js';
import type { DestinationStatus, PartialMessage, Transport } from '../transport/index.js';
import type { LevelRollouts } from '../rollout/host.js';
import type { Topology } from '../model/topology.js';

/** Tunables of a level node. */
export interface LevelNodeOptions {
  /** Most reports in one partition: one changed report re-folds at most this many. */
  readonly partitionSize: number;
  /** Identifies this incarnation of the node; a restarted node must use a larger one. */
  readonly epoch: number;
}

/** The defaults of {@link LevelNodeOptions} but the epoch. */
export const defaultNodeOptions = { partitionSize: 64 } as const;

/** What a node needs, all injected by the composition root. */
export interface LevelNodeDeps {
  readonly level: Level;
  readonly topology: Topology;
  readonly bindings: readonly BindingConfig[];
  readonly loader: PluginLoader;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly storage: ReportStore;
  readonly transport: Transport;
  readonly rollouts: LevelRollouts;
  readonly options: LevelNodeOptions;
}

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
  private seq = 0;
  private lastSent: string | undefined;
  private started = false;

  constructor(private readonly deps: LevelNodeDeps) {
    this.ownDestinations = new Set(deps.topology.destinationsOf(deps.level.id).map((destination) => destination.id));
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
          partitionSize: this.deps.options.partitionSize,
        }),
      );
    }
    this.deps.transport.bind(level.id, {
      onPartial: (message) => this.receive(message),
      onStatusQuery: (destination) => this.destinationStatus(destination),
      onDirective: (message) => this.deps.rollouts.receive(message),
    });
    this.started = true;
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
    const { accepted, positions } = batch;
    const result: IngestResult = { accepted: 0, duplicates: 0, outOfOrder: 0, rejected: [...batch.rejected] };
    const level = this.id;
    for (const [i, report] of accepted.entries()) {
      if (!this.ownDestinations.has(report.destination)) {
        result.rejected.push({
          index: positions[i]!,
          code: ErrorCodes.UnknownDestination,
          issues: [{ path: 'destination', message: `destination "${report.destination}" does not belong to level ${level}` }],
        });
        continue;
      }
      const key = reportKey(report);
      const previous = this.deps.storage.get(key);
      if (previous !== undefined && report.seq <= previous.seq) {
        if (report.seq === previous.seq) result.duplicates++;
        else result.outOfOrder++;
        continue;
      }
      this.deps.storage.put(report);
      this.deps.rollouts.observeReport(report);
      for (const binding of this.bindings.values()) if (binding.matches(report)) binding.apply(report, previous);
      result.accepted++;
    }
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
    const stop = this.deps.metrics.flushSeconds.startTimer({ level: this.id });
    try {
      for (const binding of this.bindings.values()) await binding.flush();
      this.forward();
    } finally {
      stop();
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

  /** Lets every due rollout controller at this level decide, and delivers its directives. */
  async evaluateRollouts(): Promise<void> {
    await this.deps.rollouts.evaluate((binding, child) => this.bindings.get(binding)?.childSummary(child) ?? Promise.resolve(null));
  }

  /** Detaches from the transport. */
  stop(): void {
    this.deps.transport.unbind(this.id);
  }

  private receive(message: PartialMessage): void {
    const seen = this.childrenSeen.get(message.from);
    if (seen !== undefined && (message.epoch < seen.epoch || (message.epoch === seen.epoch && message.seq <= seen.seq))) {
      this.deps.metrics.partialsIgnored.inc({ level: this.id });
      return;
    }
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

  private forward(): void {
    const parent = this.deps.level.parent;
    if (parent === undefined) return;
    const unreachable = this.unreachableChildren();
    const bindings = Object.fromEntries([...this.bindings].map(([name, binding]) => [name, binding.partial(unreachable)]));
    const rollouts = this.deps.rollouts.reports();
    const body = JSON.stringify([bindings, rollouts]);
    if (body === this.lastSent || !this.deps.transport.linkUp(this.id)) return;
    const message: PartialMessage = { from: this.id, epoch: this.deps.options.epoch, seq: ++this.seq, sentAt: toIso(this.deps.clock.now()), bindings, rollouts };
    if (this.deps.transport.sendPartial(parent, message)) {
      this.lastSent = body;
      this.deps.metrics.partialsSent.inc({ level: this.id });
    }
  }

  private unreachableChildren(): Set<string> {
    return new Set(
      this.deps.topology
        .children(this.id)
        .filter((child) => !this.deps.transport.linkUp(child.id))
        .map((child) => child.id),
    );
  }
}

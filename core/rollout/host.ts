import type { Grant, Json, StatusReport } from '../contract.js';
import { toIso, type Clock } from '../clock/index.js';
import { ErrorCodes, errorFields, NotFoundError, ValidationError } from '../errors.js';
import type { Logger } from '../log/index.js';
import { sameObject, type Level } from '../model/index.js';
import type { Topology } from '../model/topology.js';
import { RolloutController, type AuditEntry, type ChildSummary, type RolloutChild } from './controller.js';
import type { EdgeAgent, EdgeDirective } from './edge-agent.js';
import type { PluginLoader } from '../pipeline/index.js';
import type { NodeStore } from '../storage/index.js';
import { addCounts, DirectiveMessageSchema, emptyCounts, maxReportedDecisions, type DecisionView, type DirectiveMessage, type Rendered, type RolloutCommand, type RenderingReport, type RolloutReport, type StateCounts } from './messages.js';
import { LevelRenderer } from './rendering.js';
import { defaultAuditRetention, RolloutSpecSchema, type RolloutSpec } from './spec.js';

/** One rollout's kept audit entries at a level, with their sizes, and how many were dropped. */
interface RolloutTrail {
  readonly entries: { entry: AuditEntry; bytes: number; order: number }[];
  bytes: number;
  dropped: number;
}

/**
 * How a level's rollouts reach its child levels: the part of the transport they use. Declared
 * here so the transport depends on the rollout messages it carries, never the other way round.
 */
export interface DirectiveLink {
  /** Sends a directive down to child level `to`; resolves once the child stored it, rejects when it cannot be reached. */
  sendDirective(to: string, message: DirectiveMessage): Promise<void>;
}

/** What the rollouts of one level need. */
export interface LevelRolloutsDeps {
  readonly level: Level;
  readonly topology: Topology;
  readonly loader: PluginLoader;
  readonly clock: Clock;
  readonly transport: DirectiveLink;
  readonly logger: Logger;
  readonly edgeAgent: EdgeAgent;
  /** Where the level's rollout state, pending directives and audit trail survive a restart. */
  readonly store: NodeStore;
}

/** The state document holding every controller and the outbox of a level. */
const stateKey = 'rollouts';
/**
 * Prefix of each own destination's latest edge directive, one document each: a site of thousands
 * of edges writes the few that changed, not all of them with their renderings at every evaluation.
 */
const edgePrefix = 'edge:';
/** Prefix of the latest directive received per rollout, kept until a controller has acted on it. */
const inboxPrefix = 'directive:';
/** The state document holding the level's renderings, written only when they change. */
const renderingsKey = 'renderings';

/**
 * The rollouts running at one level: builds a controller when a rollout reaches the level (from
 * the operator at the center, from a directive below), feeds it child progress and edge reports,
 * delivers its directives (again, once a cut link is back) and keeps the level's audit trail.
 */
export class LevelRollouts {
  private readonly controllers = new Map<string, RolloutController>();
  private readonly inbox: DirectiveMessage[] = [];
  /** Latest directive per (rollout, child level), and whether it got through. */
  private readonly outbox = new Map<string, { to: string; message: DirectiveMessage; delivered: boolean }>();
  private readonly edgeDirectives = new Map<string, EdgeDirective>();
  /** Destinations whose edge directive changed since the last `persist`. */
  private readonly changedEdges = new Set<string>();
  /** The kept audit entries of each rollout, oldest first, within the rollout's `audit` retention. */
  private readonly trails = new Map<string, RolloutTrail>();
  /** Numbers audit entries across rollouts, so the level's trail reads oldest first. */
  private recorded = 0;
  /** Decisions by action, and directives delivered, since the last `drainActivity`. */
  private readonly activity = { decisions: new Map<string, number>(), delivered: 0 };
  /** Decisions recorded at this level, by rollout. */
  private readonly recordedOf = new Map<string, number>();
  /** Entries dropped since the last `drainDropped`, by rollout. */
  private readonly droppedSinceDrain = new Map<string, number>();
  private seq = 0;
  /** The latest rollout report of each child level, by rollout. */
  private readonly fromChildren = new Map<string, Map<string, RolloutReport>>();
  private readonly renderer: LevelRenderer;
  /** Rollouts this level rendered for a staging directive but was not started in (see `DirectiveMessage.stage`). */
  private readonly staged = new Map<string, DirectiveMessage>();

  constructor(private readonly deps: LevelRolloutsDeps) {
    this.renderer = new LevelRenderer(deps);
  }

  /** Starts a rollout at this level: at the center by the operator, elsewhere by a directive. */
  async begin(spec: RolloutSpec, startedAt: string, command: RolloutCommand, grant: Grant | null, rendered?: Rendered | 'restored'): Promise<RolloutController> {
    let controller = this.controllers.get(spec.id);
    if (controller === undefined) {
      if (rendered !== 'restored' && (await this.renderer.render(spec, rendered))) this.stageChildren(spec, startedAt);
      this.staged.delete(spec.id);
      const workload = this.deps.topology.workloads.get(spec.workload);
      if (workload === undefined) {
        throw new ValidationError(ErrorCodes.InvalidRollout, `rollout "${spec.id}": workload "${spec.workload}" is not declared in the topology`, { issues: [{ path: 'workload', message: 'unknown workload' }] });
      }
      const kind = this.deps.level.kind;
      const { policy, options } = spec.policies[kind];
      const loaded = await this.deps.loader.policy(policy, options, `rollout "${spec.id}" policies.${kind}`);
      controller = new RolloutController({
        spec,
        startedAt,
        level: { id: this.deps.level.id, kind },
        children: this.children(spec),
        policy: loaded.handle,
        options: loaded.options,
        clock: this.deps.clock,
        grandchildren: (child) => this.deps.topology.children(child).length + this.deps.topology.destinationsOf(child).length,
        effects: {
          start: (child, childGrant) => this.start(spec, startedAt, child, childGrant),
          command: (child, childCommand, childGrant) => this.send(spec, startedAt, child.id, childCommand, childGrant),
          revert: (child, version) => this.toEdge(spec, child.id, version),
          audit: (entry) => this.record(entry),
        },
      });
      this.controllers.set(spec.id, controller);
    }
    controller.direct(command, grant);
    return controller;
  }

  /**
   * A directive from the parent, stored before it is acknowledged; acted on at the next
   * `evaluate`, since loading a policy is asynchronous.
   */
  receive(message: DirectiveMessage): void {
    this.deps.store.writeState({ [`${inboxPrefix}${message.rollout.id}`]: message as unknown as Json });
    this.inbox.push(message);
  }

  /** The operator's command at this level (the center, normally). */
  command(id: string, command: RolloutCommand): void {
    this.controller(id).direct(command, null);
    this.persist();
  }

  /**
   * Rebuilds the level's rollouts from its store after a restart: every controller as it was, the
   * directives not yet delivered, the edges' directives, the audit trail, and the directives
   * received but not yet acted on.
   */
  async restore(): Promise<void> {
    this.renderer.restore(this.deps.store.readState(renderingsKey));
    const saved = this.deps.store.readState(stateKey) as SavedRollouts | undefined;
    if (saved !== undefined) {
      this.seq = saved.seq;
      for (const message of saved.staged ?? []) this.staged.set(message.rollout.id, DirectiveMessageSchema.parse(message));
      for (const [id, entry] of Object.entries(saved.controllers)) {
        const spec = RolloutSpecSchema.parse(entry.spec);
        const controller = await this.begin(spec, entry.startedAt, entry.command, entry.grant, 'restored');
        controller.restore(entry.state);
        for (const audit of this.deps.store.readAudit(id)) this.record(audit as unknown as AuditEntry, false);
      }
      for (const item of saved.outbox) this.outbox.set(`${item.message.rollout.id}|${item.to}`, { ...item, message: DirectiveMessageSchema.parse(item.message) });
      for (const directive of saved.edges ?? []) this.edgeDirectives.set(directive.destination, directive);
    }
    for (const key of this.deps.store.stateKeys(edgePrefix)) {
      const directive = this.deps.store.readState(key) as unknown as EdgeDirective;
      this.edgeDirectives.set(directive.destination, directive);
    }
    for (const key of this.deps.store.stateKeys(inboxPrefix)) this.inbox.push(DirectiveMessageSchema.parse(this.deps.store.readState(key)));
  }

  /** Feeds an own destination's report to every rollout of its workload. */
  observeReport(report: StatusReport): void {
    for (const controller of this.controllers.values()) {
      const workload = this.deps.topology.workloads.get(controller.spec.workload);
      if (workload !== undefined && sameObject(workload.ref, report.ref)) controller.observeReport(report);
    }
  }

  /** Feeds a child level's rollout progress, and keeps it for this level's view of the rollout. */
  observeChild(child: string, rollouts: Readonly<Record<string, RolloutReport>>): void {
    for (const [id, report] of Object.entries(rollouts)) {
      if (report.staged !== true) this.controllers.get(id)?.observeLevel(child, report);
      let reports = this.fromChildren.get(id);
      if (reports === undefined) {
        reports = new Map();
        this.fromChildren.set(id, reports);
      }
      reports.set(child, report);
    }
  }

  /** Applies pending directives, redelivers undelivered ones, and lets every due controller decide. */
  async evaluate(summaryOf?: ChildSummary): Promise<void> {
    const acted: string[] = [];
    for (const message of this.inbox.splice(0)) {
      try {
        if (message.stage === true && !this.controllers.has(message.rollout.id)) await this.stage(message);
        else await this.begin(message.rollout, message.startedAt, message.command, message.grant, message.rendered);
      } catch (error) {
        this.deps.logger.error('cannot run a rollout directive', { level: this.deps.level.id, rollout: message.rollout.id, error: (error as Error).message });
      }
      acted.push(`${inboxPrefix}${message.rollout.id}`);
    }
    await this.deliver();
    for (const controller of this.controllers.values()) {
      // One rollout's failure must not keep the others at this level from deciding.
      try {
        await controller.evaluate(summaryOf);
      } catch (error) {
        this.deps.logger.error('a rollout controller failed to evaluate', { level: this.deps.level.id, rollout: controller.id, error: (error as Error).message });
      }
    }
    this.persist(Object.fromEntries(acted.map((key) => [key, undefined])));
    await this.deliver();
  }

  /** Sends every directive its child has not acknowledged yet; one unreachable child holds up no other. */
  private async deliver(): Promise<void> {
    const pending = [...this.outbox.values()].filter((entry) => !entry.delivered);
    if (pending.length === 0) return;
    await Promise.all(
      pending.map(async (entry) => {
        try {
          await this.deps.transport.sendDirective(entry.to, entry.message);
          entry.delivered = true;
          this.activity.delivered++;
        } catch (error) {
          this.deps.logger.warn('a directive did not reach its child level; it is sent again at the next evaluation', { level: this.deps.level.id, child: entry.to, ...errorFields(error) });
        }
      }),
    );
    this.persist();
  }

  /** Writes the level's rollout state in one go, with any other state changes that belong with it. */
  private persist(also: Readonly<Record<string, Json | undefined>> = {}): void {
    if (this.controllers.size === 0 && this.staged.size === 0 && this.changedEdges.size === 0 && Object.keys(also).length === 0) return;
    const saved: SavedRollouts = {
      seq: this.seq,
      controllers: Object.fromEntries(
        [...this.controllers].map(([id, controller]) => [id, { spec: controller.spec, startedAt: controller.startedAt, command: controller.currentCommand, grant: controller.currentGrant, state: controller.snapshot() }]),
      ),
      outbox: [...this.outbox.values()],
      staged: [...this.staged.values()],
    };
    const edges = Object.fromEntries([...this.changedEdges].map((destination) => [`${edgePrefix}${destination}`, this.edgeDirectives.get(destination) as unknown as Json]));
    const renderings = this.renderer.takeChanged() ? { [renderingsKey]: this.renderer.snapshot() as unknown as Json } : {};
    this.deps.store.writeState({ ...also, ...edges, ...renderings, [stateKey]: saved as unknown as Json });
    this.changedEdges.clear();
  }

  /** This level's progress per rollout, for its partial. */
  /** Whether no rollout runs or is staged here: then {@link reports} is empty. */
  get idle(): boolean {
    return this.controllers.size === 0 && this.staged.size === 0;
  }

  reports(): Record<string, RolloutReport> {
    const staged = [...this.staged.keys()].filter((id) => !this.controllers.has(id));
    return Object.fromEntries([...[...this.controllers.keys()].map((id) => [id, this.report(id)]), ...staged.map((id) => [id, this.stagedReport(id)])]);
  }

  /**
   * A staged rollout's report: pending, with the in-scope destinations below as the parent would
   * count them, no levels or decisions of its own, and its rendering and that of the levels below.
   */
  private stagedReport(id: string): RolloutReport {
    const { rollout, startedAt } = this.staged.get(id)!;
    const counts = emptyCounts();
    counts.pending = this.children(rollout).reduce((sum, child) => sum + child.inScope, 0);
    const below = [...(this.fromChildren.get(id)?.values() ?? [])].map((child) => child.rendering);
    return { state: 'pending', since: startedAt, counts, levels: {}, decisions: [], recorded: 0, audit: { kept: 0, dropped: 0 }, staged: true, ...optional('rendering', this.renderer.report(id, below)) };
  }

  /** Renders a rollout this level was not started in, and stages its child levels in turn. */
  private async stage(message: DirectiveMessage): Promise<void> {
    this.staged.set(message.rollout.id, message);
    if (await this.renderer.render(message.rollout, message.rendered)) this.stageChildren(message.rollout, message.startedAt);
  }

  /** Queues a staging directive carrying this level's rendering for every child level. */
  private stageChildren(spec: RolloutSpec, startedAt: string): void {
    const rendered = this.renderer.of(spec.id)?.own;
    if (rendered === undefined) return;
    for (const child of this.deps.topology.children(this.deps.level.id)) {
      const message: DirectiveMessage = { from: this.deps.level.id, seq: ++this.seq, rollout: spec, startedAt, command: 'run', grant: { maxStarted: null, until: null }, rendered, stage: true };
      this.outbox.set(`${spec.id}|${child.id}`, { to: child.id, message, delivered: false });
    }
  }

  /**
   * What this level knows of one rollout: its own state, and what its children last reported of
   * themselves and the levels below them. Built only from messages this level received.
   */
  report(id: string): RolloutReport {
    const controller = this.controller(id);
    const children = [...(this.fromChildren.get(id)?.values() ?? [])];
    const own = this.auditCounts(id);
    const levels: RolloutReport['levels'] = { [this.deps.level.id]: { kind: this.deps.level.kind, state: controller.own().state, children: controller.childCounts() } };
    for (const child of children) Object.assign(levels, child.levels);
    const decisions = [...children.flatMap((child) => child.decisions), ...this.significant(id)];
    decisions.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : this.depth(a.level) - this.depth(b.level)));
    return {
      ...controller.own(),
      levels,
      decisions: decisions.slice(-maxReportedDecisions),
      recorded: children.reduce((sum, child) => sum + child.recorded, this.recordedOf.get(id) ?? 0),
      audit: children.reduce((sum, child) => ({ kept: sum.kept + child.audit.kept, dropped: sum.dropped + child.audit.dropped }), own),
      ...optional('rendering', this.renderer.report(id, children.map((child) => child.rendering))),
    };
  }

  /** A rollout's status as this level (normally the center) knows it from what it received. */
  status(id: string): RolloutStatus {
    const controller = this.controller(id);
    const report = this.report(id);
    const levels: RolloutStatus['levels'] = { center: emptyCounts(), region: emptyCounts(), site: emptyCounts() };
    const byLevel: RolloutStatus['byLevel'] = {};
    for (const [level, entry] of Object.entries(report.levels)) {
      addCounts(levels[entry.kind], entry.children);
      byLevel[level] = { state: entry.state, children: entry.children };
    }
    return {
      id,
      version: controller.spec.version,
      state: report.state,
      command: controller.currentCommand,
      destinations: report.counts,
      levels,
      byLevel,
      audit: report.audit,
      decisions: report.decisions,
      ...optional('rendering', report.rendering),
    };
  }

  /** The cheap part of {@link status}, for polling: state, command, destinations by state, decisions taken below. */
  progress(id: string): RolloutProgress {
    const controller = this.controller(id);
    const report = this.report(id);
    return { state: report.state, command: controller.currentCommand, destinations: report.counts, decisions: report.recorded };
  }

  /** This level's kept decisions of a rollout that did something: started children, changed course, or failed. */
  private significant(id: string): DecisionView[] {
    const kept = this.trails.get(id)?.entries ?? [];
    return kept
      .map(({ entry }) => entry)
      .filter((entry) => entry.error !== null || entry.started.length > 0 || (entry.decision !== null && entry.decision.action !== 'hold' && entry.decision.action !== 'advance'))
      .slice(-maxReportedDecisions)
      .map((entry) => ({
        at: entry.at,
        level: entry.level,
        action: entry.decision?.action ?? 'hold',
        started: entry.started,
        targets: entry.decision?.targets.length ?? 0,
        budgetExceeded: entry.decision?.budgetExceeded ?? false,
        reason: (entry.error === null ? (entry.decision?.reason ?? '') : entry.error.message).slice(0, 4096),
        ...(entry.error === null ? {} : { error: entry.error.code }),
      }));
  }

  private depth(level: string): number {
    let n = 0;
    for (let at = this.deps.topology.levels.get(level); at?.parent !== undefined; at = this.deps.topology.levels.get(at.parent)) n++;
    return n;
  }

  /** One rollout's controller at this level. */
  controller(id: string): RolloutController {
    const controller = this.controllers.get(id);
    if (controller === undefined) throw new NotFoundError(ErrorCodes.UnknownRollout, `no rollout "${id}" at level ${this.deps.level.id}`, { level: this.deps.level.id });
    return controller;
  }

  /** The ids of the rollouts that reached this level, in the order they did. */
  ids(): string[] {
    return [...this.controllers.keys()];
  }

  /** Whether the rollout has reached this level. */
  has(id: string): boolean {
    return this.controllers.has(id);
  }

  /** Every decision this level still keeps (see the rollout's `audit` retention), oldest first. */
  auditTrail(): readonly AuditEntry[] {
    const kept = [...this.trails.values()].flatMap((trail) => trail.entries);
    return kept.sort((a, b) => a.order - b.order).map((kept) => kept.entry);
  }

  /** Of one rollout's decisions at this level: how many are kept, how many were dropped, as the retention demands. */
  auditCounts(rollout: string): { kept: number; dropped: number } {
    const trail = this.trails.get(rollout);
    return { kept: trail?.entries.length ?? 0, dropped: trail?.dropped ?? 0 };
  }

  /** Decisions recorded at this level for every rollout, kept or dropped since. */
  get decisionsRecorded(): number {
    return this.recorded;
  }

  /** Decisions by action and directives delivered since the last call, and directives still pending: what the node counts in its metrics. */
  drainActivity(): { decisions: Map<string, number>; delivered: number; pending: number } {
    const drained = { decisions: new Map(this.activity.decisions), delivered: this.activity.delivered, pending: [...this.outbox.values()].filter((entry) => !entry.delivered).length };
    this.activity.decisions.clear();
    this.activity.delivered = 0;
    return drained;
  }

  /** Audit entries dropped since the last call, by rollout: what the node counts in its metrics. */
  drainDropped(): Map<string, number> {
    const drained = new Map(this.droppedSinceDrain);
    this.droppedSinceDrain.clear();
    return drained;
  }

  private record(entry: AuditEntry, store = true): void {
    const retention = this.controllers.get(entry.rollout)?.spec.audit ?? defaultAuditRetention;
    let trail = this.trails.get(entry.rollout);
    if (trail === undefined) {
      trail = { entries: [], bytes: 0, dropped: 0 };
      this.trails.set(entry.rollout, trail);
    }
    const bytes = JSON.stringify(entry).length;
    trail.entries.push({ entry, bytes, order: this.recorded++ });
    this.recordedOf.set(entry.rollout, (this.recordedOf.get(entry.rollout) ?? 0) + 1);
    if (store) {
      const action = entry.error === null ? (entry.decision?.action ?? 'hold') : 'error';
      this.activity.decisions.set(action, (this.activity.decisions.get(action) ?? 0) + 1);
    }
    if (store) this.deps.store.appendAudit(entry.rollout, [entry as unknown as Json], retention.maxEntries);
    trail.bytes += bytes;
    let dropped = 0;
    while (trail.entries.length > 1 && (trail.entries.length > retention.maxEntries || trail.bytes > retention.maxBytes)) {
      trail.bytes -= trail.entries.shift()!.bytes;
      dropped++;
    }
    if (dropped > 0) {
      trail.dropped += dropped;
      this.droppedSinceDrain.set(entry.rollout, (this.droppedSinceDrain.get(entry.rollout) ?? 0) + dropped);
    }
    this.deps.logger.info('rollout decision', {
      rollout: entry.rollout,
      level: entry.level,
      action: entry.decision?.action ?? 'hold',
      started: entry.started.length,
      error: entry.error?.code,
    });
  }

  /** The last directive sent to each edge of this level. */
  directiveFor(destination: string): EdgeDirective | undefined {
    return this.edgeDirectives.get(destination);
  }

  private children(spec: RolloutSpec): RolloutChild[] {
    const { topology, level } = this.deps;
    const inScope = (labels: Readonly<Record<string, string>>) => Object.entries(spec.selector.matchLabels).every(([key, value]) => labels[key] === value);
    return [
      ...topology.children(level.id).map((child) => ({
        id: child.id,
        labels: child.labels,
        kind: 'level' as const,
        levelKind: child.kind,
        inScope: topology.destinationsBelow(child.id).filter((destination) => inScope(destination.labels)).length,
      })),
      ...topology.destinationsOf(level.id).map((destination) => ({ id: destination.id, labels: destination.labels, kind: 'destination' as const, inScope: inScope(destination.labels) ? 1 : 0 })),
    ];
  }

  private start(spec: RolloutSpec, startedAt: string, child: RolloutChild, grant: Grant): void {
    if (child.kind === 'destination') this.toEdge(spec, child.id, spec.version);
    else this.send(spec, startedAt, child.id, 'run', grant);
  }

  /** Queues the newest directive for a child level; `evaluate` delivers it. */
  private send(spec: RolloutSpec, startedAt: string, to: string, command: RolloutCommand, grant: Grant): void {
    const rendered = this.renderer.of(spec.id)?.own;
    const message: DirectiveMessage = { from: this.deps.level.id, seq: ++this.seq, rollout: spec, startedAt, command, grant, ...optional('rendered', rendered) };
    this.outbox.set(`${spec.id}|${to}`, { to, message, delivered: false });
  }

  private toEdge(spec: RolloutSpec, destination: string, version: string): void {
    const ref = this.deps.topology.workloads.get(spec.workload)!.ref;
    // The renderings are of the new version: a revert carries none, and the edge goes back to what it applied before.
    const rendered = spec.customize === undefined || version !== spec.version ? undefined : this.renderer.forDestination(spec.workload, destination);
    const directive: EdgeDirective = { rollout: spec.id, destination, ref, version, at: toIso(this.deps.clock.now()), ...(rendered === undefined ? {} : { object: rendered.object, renderedHash: rendered.hash }) };
    this.edgeDirectives.set(destination, directive);
    this.changedEdges.add(destination);
    this.deps.edgeAgent.apply(directive);
  }
}

/** What a level stores of its rollouts (see {@link LevelRollouts.restore}). */
interface SavedRollouts {
  seq: number;
  controllers: Record<string, { spec: RolloutSpec; startedAt: string; command: RolloutCommand; grant: Grant | null; state: Json }>;
  outbox: { to: string; message: DirectiveMessage; delivered: boolean }[];
  /** Present only in state stored before each edge directive had its own document (`edge:<destination>`). */
  edges?: EdgeDirective[];
  /** Absent in state stored before rollouts rendered. */
  staged?: DirectiveMessage[];
}

/** `{ [key]: value }`, or nothing when `value` is undefined: optional fields stay absent rather than undefined. */
function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** A rollout's progress at the level that asks (the center, normally): see {@link LevelRollouts.status}. */
export interface RolloutStatus {
  id: string;
  version: string;
  /** This level's state: progressing, succeeded (every child done) or failed (halted). */
  state: string;
  command: RolloutCommand;
  destinations: StateCounts;
  /** Children by state, summed over the levels of each kind: regions at the center, sites at the regions, edges at the sites. */
  levels: Record<'center' | 'region' | 'site', StateCounts>;
  byLevel: Record<string, { state: string; children: StateCounts }>;
  /** Audit entries of the rollout kept at every level, and those dropped to keep within its `audit` retention. */
  audit: { kept: number; dropped: number };
  /** The newest decisions that did something, at every level, oldest first (at most `maxReportedDecisions`). */
  decisions: DecisionView[];
  /** How the rollout's object rendered at every level, when the rollout has `customize`. */
  rendering?: RenderingReport;
}

/** What {@link LevelRollouts.progress} reports. */
export interface RolloutProgress {
  state: string;
  command: RolloutCommand;
  destinations: StateCounts;
  /** Decisions recorded at and below this level, for this rollout, including those the audit trail has dropped since. */
  decisions: number;
}

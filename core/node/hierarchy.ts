import type { Registry } from 'prom-client';
import { z } from 'zod';
import { ErrorCodes, NotFoundError, ValidationError } from '../errors.js';
import { batchItems, parseOrThrow, parseReport, type Rejection, type ReportOutcome, type ValidatedReport } from '../model/index.js';
import { BindingSchema, type BindingConfig, type BindingInput, type PluginLoader, type SummaryView } from '../pipeline/index.js';
import type { DestinationStatus, Transport } from '../transport/index.js';
import type { PluginRunner } from '../ports/plugin-runner.js';
import { toIso, type Clock } from '../clock/index.js';
import { addCounts, emptyCounts, RolloutSpecSchema, type AuditEntry, type RolloutCommand, type RolloutSpecInput, type StateCounts } from '../rollout/index.js';
import type { Decision } from '../contract.js';
import { LevelNode, type IngestResult } from './level-node.js';
import { Topology, TopologySchema, type TopologyInput } from '../model/topology.js';

/** A whole hierarchy's configuration: its topology and the summary bindings every level runs. */
export interface HierarchyConfig {
  readonly topology: TopologyInput;
  readonly bindings: readonly BindingInput[];
}

const BindingsSchema = z.array(BindingSchema).superRefine((bindings, ctx) => {
  const names = new Set<string>();
  bindings.forEach((binding, i) => {
    if (names.has(binding.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate binding name "${binding.name}"` });
    names.add(binding.name);
  });
});

/** A validated {@link HierarchyConfig}: what the composition root builds the levels from. */
export interface ParsedHierarchyConfig {
  readonly topology: Topology;
  readonly bindings: readonly BindingConfig[];
}

/** Validates a hierarchy's configuration, naming the failing key path. */
export function parseHierarchyConfig(config: HierarchyConfig): ParsedHierarchyConfig {
  return {
    topology: new Topology(parseOrThrow(TopologySchema, config.topology, 'topology')),
    bindings: parseOrThrow(BindingsSchema, config.bindings, 'bindings'),
  };
}

/** What a {@link Hierarchy} is made of; the composition root builds and starts every part. */
export interface HierarchyParts {
  readonly topology: Topology;
  /** Every level's node, started. */
  readonly nodes: ReadonlyMap<string, LevelNode>;
  readonly runner: PluginRunner;
  readonly loader: PluginLoader;
  readonly clock: Clock;
  readonly registry: Registry;
  readonly transport: Transport;
}

/**
 * A whole hierarchy (center, regions, sites) in one process, one node per level. The embedded
 * default for the demo, simulations and tests; `createHierarchy` builds one.
 */
export class Hierarchy {
  readonly topology: Topology;
  readonly nodes: ReadonlyMap<string, LevelNode>;
  /** The runner every level uses. */
  readonly runner: PluginRunner;
  /** The metrics registry every level records into. */
  readonly registry: Registry;
  /** The transport between the levels. */
  readonly transport: Transport;
  private readonly loader: PluginLoader;
  private readonly clock: Clock;

  constructor(parts: HierarchyParts) {
    this.topology = parts.topology;
    this.nodes = parts.nodes;
    this.runner = parts.runner;
    this.registry = parts.registry;
    this.transport = parts.transport;
    this.loader = parts.loader;
    this.clock = parts.clock;
  }

  /** The center node. */
  get center(): LevelNode {
    return this.nodes.get(this.topology.center.id)!;
  }

  /** One level's node. */
  node(id: string): LevelNode {
    const node = this.nodes.get(id);
    if (node === undefined) throw new NotFoundError(ErrorCodes.UnknownLevel, `no level "${id}" in this hierarchy`, { level: id });
    return node;
  }

  /**
   * Routes a batch of reports to the levels that own their destinations, as the edges themselves
   * would send them. Indexes in the result refer to the given batch. Every item gets exactly one
   * outcome and nothing is thrown for any item: each is validated and copied into plain JSON data
   * before any is applied, so no item's fate depends on another's. Throws a `ValidationError` only
   * when `items` itself is not an array.
   */
  ingest(items: readonly unknown[]): IngestResult {
    const total: IngestResult = { accepted: 0, duplicates: 0, outOfOrder: 0, rejected: [] };
    const byLevel = new Map<string, { accepted: ValidatedReport[]; positions: number[]; rejected: Rejection[] }>();
    const batchOf = (level: string) => {
      let batch = byLevel.get(level);
      if (batch === undefined) {
        batch = { accepted: [], positions: [], rejected: [] };
        byLevel.set(level, batch);
      }
      return batch;
    };
    batchItems(items).forEach(({ item, issue }, index) => {
      const outcome: ReportOutcome = issue === undefined ? parseReport(item) : { ok: false, code: ErrorCodes.InvalidReport, issues: [issue], destination: undefined };
      const destination = outcome.ok ? outcome.report.destination : outcome.destination;
      const owner = destination === undefined ? undefined : this.topology.destinations.get(destination)?.parent;
      if (owner === undefined) {
        total.rejected.push(
          outcome.ok
            ? { index, code: ErrorCodes.UnknownDestination, issues: [{ path: 'destination', message: `unknown destination "${destination}"` }] }
            : { index, code: outcome.code, issues: outcome.issues },
        );
      } else if (outcome.ok) {
        batchOf(owner).accepted.push(outcome.report);
        batchOf(owner).positions.push(index);
      } else {
        // Counted by the level the item was meant for, as if it had arrived there.
        batchOf(owner).rejected.push({ index, code: outcome.code, issues: outcome.issues });
      }
    });
    for (const [level, batch] of byLevel) {
      const result = this.node(level).ingestValidated(batch);
      total.accepted += result.accepted;
      total.duplicates += result.duplicates;
      total.outOfOrder += result.outOfOrder;
      for (const rejection of result.rejected) total.rejected.push(rejection);
    }
    total.rejected.sort((a, b) => a.index - b.index);
    return total;
  }

  /** Flushes every level bottom-up, so the center reflects everything ingested so far. */
  async settle(): Promise<void> {
    for (const level of this.topology.bottomUp()) await this.node(level.id).flush();
  }

  /** The center's finished summaries. */
  summaries(): Promise<Record<string, SummaryView>> {
    return this.center.summaries();
  }

  /** One destination's latest reports, asked at the center and routed down. */
  destinationStatus(destination: string): Promise<DestinationStatus> {
    return this.center.destinationStatus(destination);
  }

  /**
   * Starts a rollout at the center. The spec is validated, its workload checked and the policy of
   * every level kind loaded with its options validated before anything starts.
   */
  async startRollout(input: RolloutSpecInput): Promise<void> {
    const spec = parseOrThrow(RolloutSpecSchema, input, 'rollout spec', ErrorCodes.InvalidRollout);
    if (this.center.rollouts.has(spec.id)) {
      throw new ValidationError(ErrorCodes.InvalidRollout, `rollout "${spec.id}" already exists`, { issues: [{ path: 'id', message: 'already exists' }] });
    }
    if (spec.summary !== undefined && !this.center.bindingNames.includes(spec.summary)) {
      throw new ValidationError(ErrorCodes.InvalidRollout, `rollout "${spec.id}": summary binding "${spec.summary}" does not exist; bindings are ${this.center.bindingNames.join(', ')}`, {
        issues: [{ path: 'summary', message: 'unknown summary binding' }],
      });
    }
    for (const kind of ['center', 'region', 'site'] as const) {
      const { policy, options } = spec.policies[kind];
      await this.loader.policy(policy, options, `rollout "${spec.id}" policies.${kind}`);
    }
    await this.center.rollouts.begin(spec, toIso(this.clock.now()), 'run', null);
  }

  /** Sends an operator command for a rollout down from the center: pause, resume, abort or rollback. */
  commandRollout(id: string, command: 'pause' | 'resume' | 'abort' | 'rollback'): void {
    const mapped: RolloutCommand = command === 'resume' ? 'run' : command;
    this.center.rollouts.command(id, mapped);
  }

  /**
   * One step of the loop: every level folds and forwards its partials and rollout progress
   * bottom-up, then every level's rollout controllers decide top-down and send their directives.
   */
  async tick(): Promise<void> {
    await this.settle();
    for (const level of [...this.topology.bottomUp()].reverse()) await this.node(level.id).evaluateRollouts();
    await this.settle();
  }

  /** A rollout's progress: children by state at each level kind, destinations by state, and the decisions taken. */
  rolloutStatus(id: string): RolloutStatus {
    const controller = this.center.rollouts.controller(id);
    const levels: Record<'center' | 'region' | 'site', StateCounts> = { center: emptyCounts(), region: emptyCounts(), site: emptyCounts() };
    const decisions = this.auditTrail(id);
    const byLevel: Record<string, { state: string; children: StateCounts }> = {};
    for (const node of this.nodes.values()) {
      if (!node.rollouts.has(id)) continue;
      const at = node.rollouts.controller(id);
      addCounts(levels[node.kind], at.childCounts());
      byLevel[node.id] = { state: at.report().state, children: at.childCounts() };
    }
    decisions.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : depth(this.topology, a.level) - depth(this.topology, b.level)));
    const report = controller.report();
    return {
      id,
      version: controller.spec.version,
      state: report.state,
      command: controller.currentCommand,
      destinations: report.counts,
      levels,
      byLevel,
      decisions: decisions.map((entry) => ({
        at: entry.at,
        level: entry.level,
        action: entry.decision?.action ?? 'hold',
        started: entry.started,
        targets: entry.decision?.targets.length ?? 0,
        budgetExceeded: entry.decision?.budgetExceeded ?? false,
        reason: entry.error === null ? (entry.decision?.reason ?? '') : entry.error.message,
        ...(entry.error === null ? {} : { error: entry.error.code }),
      })),
    };
  }

  /** The center's view of a rollout, cheap enough to ask every step: state, command, destinations by state, decisions so far. */
  rolloutProgress(id: string): RolloutProgress {
    const controller = this.center.rollouts.controller(id);
    const report = controller.report();
    let decisions = 0;
    for (const node of this.nodes.values()) decisions += node.rollouts.auditTrail().length;
    return { state: report.state, command: controller.currentCommand, destinations: report.counts, decisions };
  }

  /** Every decision recorded for a rollout, with the full policy input: what a replay feeds back. */
  auditTrail(id: string): AuditEntry[] {
    return [...this.nodes.values()].flatMap((node) => node.rollouts.auditTrail().filter((entry) => entry.rollout === id));
  }

  /** Stops every level and releases the plugin runner. */
  async dispose(): Promise<void> {
    for (const node of this.nodes.values()) node.stop();
    await this.runner.dispose();
  }
}

/** What `rolloutProgress` reports. */
export interface RolloutProgress {
  state: string;
  command: RolloutCommand;
  destinations: StateCounts;
  /** Decisions recorded at every level, for every rollout. */
  decisions: number;
}

/** A rollout's progress, as `rolloutStatus` reports it. */
export interface RolloutStatus {
  id: string;
  version: string;
  /** The center's state: progressing, succeeded (every region done) or failed (halted). */
  state: string;
  command: RolloutCommand;
  destinations: StateCounts;
  /** Children by state, summed over the levels of each kind: regions at the center, sites at the regions, edges at the sites. */
  levels: Record<'center' | 'region' | 'site', StateCounts>;
  byLevel: Record<string, { state: string; children: StateCounts }>;
  decisions: { at: string; level: string; action: Decision['action']; started: string[]; targets: number; budgetExceeded: boolean; reason: string; error?: string }[];
}

function depth(topology: Topology, level: string): number {
  let n = 0;
  for (let at = topology.levels.get(level); at?.parent !== undefined; at = topology.levels.get(at.parent)) n++;
  return n;
}

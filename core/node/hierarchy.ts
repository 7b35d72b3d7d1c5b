import type { Registry } from 'prom-client';
import { z } from 'zod';
import { ErrorCodes, NotFoundError } from '../errors.js';
import { eachReport, type BatchResult, type ValidatedReport } from '../model/index.js';
import { BindingSchema, type BindingConfig, type BindingInput, type PluginLoader, type SummaryView } from '../pipeline/index.js';
import type { DestinationStatus, Transport } from '../transport/index.js';
import type { PluginRunner } from '../ports/plugin-runner.js';
import type { Clock } from '../clock/index.js';
import type { AuditEntry, RolloutProgress, RolloutSpecInput, RolloutStatus } from '../rollout/index.js';
export type { RolloutProgress, RolloutStatus } from '../rollout/index.js';
import { LevelNode, parseConfig, type IngestResult, type OperatorCommand } from './level-node.js';
import { Topology, TopologySchema, type TopologyInput } from '../model/topology.js';

/**
 * Levels folding at the same time in a settle: enough to keep a pool of threads busy, few enough
 * that the batches in flight (one per level and binding, up to 2,000 reports each) stay small
 * next to the reports held; every site at once held ~1 GB more at 1,000 sites.
 */
const foldingAtOnce = 8;

/** A whole hierarchy's configuration: its topology and the summary bindings every level runs. */
export interface HierarchyConfig {
  readonly topology: TopologyInput;
  readonly bindings: readonly BindingInput[];
}

/** The summary bindings of a hierarchy: every name once. */
export const BindingsSchema = z.array(BindingSchema).superRefine((bindings, ctx) => {
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
    topology: new Topology(parseConfig(TopologySchema, () => config.topology, 'topology')),
    bindings: parseConfig(BindingsSchema, () => config.bindings, 'bindings'),
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
  private byDepth: LevelNode[][] | undefined;

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
    const byLevel = new Map<string, BatchResult<ValidatedReport>>();
    const destinations = this.topology.destinations;
    // A batch holds runs of reports of one destination (its objects), and of one site: the last
    // destination's site and that site's batch are reused rather than looked up again.
    let lastDestination: string | undefined;
    let lastOwner: string | undefined;
    let batch: BatchResult<ValidatedReport> | undefined;
    const levelBatch = (level: string) => {
      let found = byLevel.get(level);
      if (found === undefined) {
        found = { accepted: [], positions: [], rejected: [] };
        byLevel.set(level, found);
      }
      return found;
    };
    const batchOf = (destination: string | undefined) => {
      if (destination !== lastDestination) {
        lastDestination = destination;
        const owner = destination === undefined ? undefined : destinations.get(destination)?.parent;
        if (owner !== lastOwner) {
          lastOwner = owner;
          batch = owner === undefined ? undefined : levelBatch(owner);
        }
      }
      return batch;
    };
    eachReport(
      items,
      (report, index) => {
        const owned = batchOf(report.destination);
        if (owned === undefined) {
          total.rejected.push({ index, code: ErrorCodes.UnknownDestination, issues: [{ path: 'destination', message: `unknown destination "${report.destination}"` }] });
        } else {
          owned.accepted.push(report);
          owned.positions.push(index);
        }
      },
      (index, code, issues, destination) => {
        // Counted by the level the item was meant for, as if it had arrived there.
        (batchOf(destination)?.rejected ?? total.rejected).push({ index, code, issues });
      },
    );
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

  /**
   * Flushes every level bottom-up, so the center reflects everything ingested so far. The levels
   * of one depth fold at the same time, so a runner with several threads gets parallel work; they
   * then forward one after the other in topology order, so parents receive in the same order on
   * every run.
   */
  async settle(): Promise<void> {
    for (const depth of this.depths()) {
      // A quiet node would return at once; skipping it without a call keeps a settle after one
      // change proportional to the nodes on its path, not to the 1,101 of a 100k fleet.
      const busy = depth.filter((node) => !node.isQuiet);
      for (let i = 0; i < busy.length; i += foldingAtOnce) await Promise.all(busy.slice(i, i + foldingAtOnce).map((node) => node.fold()));
      for (const node of busy) await node.publish();
    }
  }

  /** The nodes by depth, deepest first, each depth in `bottomUp` order; the topology never changes. */
  private depths(): LevelNode[][] {
    this.byDepth ??= this.computeDepths();
    return this.byDepth;
  }

  private computeDepths(): LevelNode[][] {
    const out: LevelNode[][] = [];
    let depth: number | undefined;
    for (const level of this.topology.bottomUp()) {
      let here = 0;
      for (let up = level.parent; up !== undefined; up = this.topology.levels.get(up)?.parent) here++;
      if (here !== depth) out.push([]);
      depth = here;
      out[out.length - 1]!.push(this.node(level.id));
    }
    return out;
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
    await this.center.startRollout(input);
  }

  /** Sends an operator command for a rollout down from the center: pause, resume, abort or rollback. */
  commandRollout(id: string, command: OperatorCommand): void {
    this.center.commandRollout(id, command);
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

  /** A rollout's progress as the center knows it from what reached it: states per level, destinations by state, decisions. */
  rolloutStatus(id: string): RolloutStatus {
    return this.center.rollouts.status(id);
  }

  /** The center's view of a rollout, cheap enough to ask every step: state, command, destinations by state, decisions so far. */
  rolloutProgress(id: string): RolloutProgress {
    return this.center.rollouts.progress(id);
  }

  /** Every decision kept for a rollout, with the full policy input: what a replay feeds back. */
  auditTrail(id: string): AuditEntry[] {
    return [...this.nodes.values()].flatMap((node) => node.rollouts.auditTrail().filter((entry) => entry.rollout === id));
  }

  /** Stops every level and releases the plugin runner. */
  async dispose(): Promise<void> {
    for (const node of this.nodes.values()) node.stop();
    await this.runner.dispose();
  }
}

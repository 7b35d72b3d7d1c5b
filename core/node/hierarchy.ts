import type { DependencyContainer, InjectionToken } from 'tsyringe';
import { z } from 'zod';
import { createLevelContainer, createRootContainer, Tokens, type RootOptions } from '../container.js';
import { ErrorCodes, NotFoundError } from '../errors.js';
import { parseOrThrow, parseReports, type Rejection } from '../model/index.js';
import { BindingSchema, type BindingInput, type SummaryView } from '../pipeline/index.js';
import type { DestinationStatus } from '../transport/index.js';
import type { PluginRunner } from '../../sandbox/port.js';
import { LevelNode, type IngestResult } from './level-node.js';
import { Topology, TopologySchema, type TopologyInput } from './topology.js';

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

/**
 * A whole hierarchy (center, regions, sites) in one process, wired by one composition root with a
 * child container per level. The embedded default for the demo, simulations and tests.
 */
export class Hierarchy {
  private constructor(
    readonly topology: Topology,
    readonly nodes: ReadonlyMap<string, LevelNode>,
    private readonly container: DependencyContainer,
  ) {}

  /** Validates the configuration, builds every level and loads every binding's plugin. */
  static async create(config: HierarchyConfig, options: RootOptions = {}): Promise<Hierarchy> {
    const topology = new Topology(parseOrThrow(TopologySchema, config.topology, 'topology'));
    const bindings = parseOrThrow(BindingsSchema, config.bindings, 'bindings');
    const root = createRootContainer(topology, bindings, options);
    const nodes = new Map<string, LevelNode>();
    for (const level of topology.bottomUp()) {
      const node = createLevelContainer(root, level).resolve(Tokens.LevelNode);
      await node.start();
      nodes.set(level.id, node);
    }
    return new Hierarchy(topology, nodes, root);
  }

  /** The center node. */
  get center(): LevelNode {
    return this.nodes.get(this.topology.center.id)!;
  }

  /** The runner every level uses. */
  get runner(): PluginRunner {
    return this.container.resolve(Tokens.PluginRunner);
  }

  /** Resolves anything registered in the composition root (metrics registry, transport, clock). */
  resolve<T>(token: InjectionToken<T>): T {
    return this.container.resolve(token);
  }

  /** One level's node. */
  node(id: string): LevelNode {
    const node = this.nodes.get(id);
    if (node === undefined) throw new NotFoundError(ErrorCodes.UnknownLevel, `no level "${id}" in this hierarchy`, { level: id });
    return node;
  }

  /**
   * Routes a batch of reports to the levels that own their destinations, as the edges themselves
   * would send them. Indexes in the result refer to the given batch.
   */
  ingest(items: readonly unknown[]): IngestResult {
    const total: IngestResult = { accepted: 0, duplicates: 0, outOfOrder: 0, rejected: [] };
    const byLevel = new Map<string, { items: unknown[]; positions: number[] }>();
    items.forEach((item, index) => {
      const destination = typeof item === 'object' && item !== null ? (item as { destination?: unknown }).destination : undefined;
      const owner = typeof destination === 'string' ? this.topology.destinations.get(destination)?.parent : undefined;
      if (owner === undefined) {
        total.rejected.push(unowned(index, item));
        return;
      }
      const batch = byLevel.get(owner) ?? { items: [], positions: [] };
      batch.items.push(item);
      batch.positions.push(index);
      byLevel.set(owner, batch);
    });
    for (const [level, batch] of byLevel) {
      const result = this.node(level).ingest(batch.items);
      total.accepted += result.accepted;
      total.duplicates += result.duplicates;
      total.outOfOrder += result.outOfOrder;
      for (const rejection of result.rejected) total.rejected.push({ ...rejection, index: batch.positions[rejection.index]! });
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

  /** Stops every level and releases the plugin runner. */
  async dispose(): Promise<void> {
    for (const node of this.nodes.values()) node.stop();
    await this.runner.dispose();
  }
}

/** Why a report that no level owns is rejected: its validation issues, or else its unknown destination. */
function unowned(index: number, item: unknown): Rejection {
  const invalid = parseReports([item]).rejected[0];
  if (invalid !== undefined) return { ...invalid, index };
  const destination = (item as { destination: string }).destination;
  return { index, code: ErrorCodes.UnknownDestination, issues: [{ path: 'destination', message: `unknown destination "${destination}"` }] };
}

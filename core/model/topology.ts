import { z } from 'zod';
import { DestinationSchema, LevelSchema, WorkloadSchema, type Destination, type Level, type Workload } from './index.js';

/** A hierarchy's shape: its levels (one center), the destinations below them and the workloads. */
export const TopologySchema = z
  .strictObject({
    levels: z.array(LevelSchema).min(1),
    destinations: z.array(DestinationSchema),
    workloads: z.array(WorkloadSchema).default([]),
  })
  .superRefine((topology, ctx) => {
    const levels = new Map<string, Level>();
    topology.levels.forEach((level, i) => {
      if (levels.has(level.id)) ctx.addIssue({ code: 'custom', path: ['levels', i, 'id'], message: `duplicate level id "${level.id}"` });
      levels.set(level.id, level);
    });
    const centers = topology.levels.filter((level) => level.parent === undefined);
    if (centers.length !== 1) ctx.addIssue({ code: 'custom', path: ['levels'], message: `expected exactly one level without a parent (the center), found ${centers.length}` });
    topology.levels.forEach((level, i) => {
      if (level.parent !== undefined && !levels.has(level.parent)) {
        ctx.addIssue({ code: 'custom', path: ['levels', i, 'parent'], message: `unknown parent level "${level.parent}"` });
      }
      const seen = new Set<string>();
      for (let at: Level | undefined = level; at?.parent !== undefined; at = levels.get(at.parent)) {
        if (seen.has(at.id)) {
          ctx.addIssue({ code: 'custom', path: ['levels', i, 'parent'], message: `level "${level.id}" is part of a parent cycle` });
          break;
        }
        seen.add(at.id);
      }
    });
    const destinations = new Set<string>();
    topology.destinations.forEach((destination, i) => {
      if (destinations.has(destination.id)) ctx.addIssue({ code: 'custom', path: ['destinations', i, 'id'], message: `duplicate destination id "${destination.id}"` });
      destinations.add(destination.id);
      if (!levels.has(destination.parent)) ctx.addIssue({ code: 'custom', path: ['destinations', i, 'parent'], message: `unknown level "${destination.parent}"` });
    });
    const workloads = new Set<string>();
    topology.workloads.forEach((workload, i) => {
      if (workloads.has(workload.id)) ctx.addIssue({ code: 'custom', path: ['workloads', i, 'id'], message: `duplicate workload id "${workload.id}"` });
      workloads.add(workload.id);
    });
  });

export type TopologyInput = z.input<typeof TopologySchema>;

/** Read-only lookups over a validated topology. */
export class Topology {
  readonly levels: ReadonlyMap<string, Level>;
  readonly destinations: ReadonlyMap<string, Destination>;
  readonly workloads: ReadonlyMap<string, Workload>;
  readonly center: Level;
  private readonly childLevels = new Map<string, Level[]>();
  private readonly ownDestinations = new Map<string, Destination[]>();
  private readonly subtree = new Map<string, Destination[]>();

  constructor(parsed: z.output<typeof TopologySchema>) {
    this.levels = new Map(parsed.levels.map((level) => [level.id, level]));
    this.destinations = new Map(parsed.destinations.map((destination) => [destination.id, destination]));
    this.workloads = new Map(parsed.workloads.map((workload) => [workload.id, workload]));
    this.center = parsed.levels.find((level) => level.parent === undefined)!;
    for (const level of parsed.levels) {
      this.childLevels.set(level.id, []);
      this.ownDestinations.set(level.id, []);
    }
    for (const level of parsed.levels) if (level.parent !== undefined) this.childLevels.get(level.parent)!.push(level);
    for (const destination of parsed.destinations) this.ownDestinations.get(destination.parent)!.push(destination);
  }

  /** The levels directly below `level`. */
  children(level: string): readonly Level[] {
    return this.childLevels.get(level) ?? [];
  }

  /** The destinations attached directly to `level`. */
  destinationsOf(level: string): readonly Destination[] {
    return this.ownDestinations.get(level) ?? [];
  }

  /** Every destination at or below `level`. */
  destinationsBelow(level: string): readonly Destination[] {
    let all = this.subtree.get(level);
    if (all === undefined) {
      all = [...this.destinationsOf(level), ...this.children(level).flatMap((child) => this.destinationsBelow(child.id))];
      this.subtree.set(level, all);
    }
    return all;
  }

  /** The child of `level` whose subtree holds `destination`, or `undefined`. */
  childToward(level: string, destination: string): Level | undefined {
    let at = this.destinations.get(destination)?.parent;
    while (at !== undefined) {
      const current = this.levels.get(at);
      if (current?.parent === level) return current;
      at = current?.parent;
    }
    return undefined;
  }

  /** Levels ordered deepest first, so a bottom-up pass sees every child before its parent. */
  bottomUp(): Level[] {
    const depth = (level: Level): number => (level.parent === undefined ? 0 : 1 + depth(this.levels.get(level.parent)!));
    return [...this.levels.values()].sort((a, b) => depth(b) - depth(a));
  }
}

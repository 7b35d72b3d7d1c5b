import 'reflect-metadata';
import { container as tsyringeRoot, instanceCachingFactory, type DependencyContainer, type InjectionToken } from 'tsyringe';
import { Registry } from 'prom-client';
import { FilePluginCatalog, type PluginCatalog } from '../core/catalog/index.js';
import { systemClock, type Clock } from '../core/clock/index.js';
import { silentLogger, type Logger } from '../core/log/index.js';
import { Metrics } from '../core/metrics/index.js';
import type { Level, Topology } from '../core/model/index.js';
import { Hierarchy, LevelNode, defaultNodeOptions, parseHierarchyConfig, type HierarchyConfig, type LevelNodeOptions } from '../core/node/index.js';
import { PluginLoader, type BindingConfig } from '../core/pipeline/index.js';
import { MemoryNodeStore, type NodeStore } from '../core/storage/index.js';
import { InProcessBus, type Transport } from '../core/transport/index.js';
import type { EdgeAgent } from '../core/rollout/edge-agent.js';
import { LevelRollouts } from '../core/rollout/host.js';
import type { PluginLimits, PluginRunner } from '../core/ports/index.js';
import { InlineRunner, PooledRunner, QuickJsRunner } from '../sandbox/index.js';

/**
 * Explicit injection tokens. Registrations name them directly; nothing relies on emitted
 * decorator metadata.
 */
export const Tokens = {
  Clock: Symbol('Clock') as InjectionToken<Clock>,
  Logger: Symbol('Logger') as InjectionToken<Logger>,
  Registry: Symbol('Registry') as InjectionToken<Registry>,
  Metrics: Symbol('Metrics') as InjectionToken<Metrics>,
  Transport: Symbol('Transport') as InjectionToken<Transport>,
  PluginRunner: Symbol('PluginRunner') as InjectionToken<PluginRunner>,
  PluginCatalog: Symbol('PluginCatalog') as InjectionToken<PluginCatalog>,
  Topology: Symbol('Topology') as InjectionToken<Topology>,
  Bindings: Symbol('Bindings') as InjectionToken<readonly BindingConfig[]>,
  NodeOptions: Symbol('NodeOptions') as InjectionToken<Omit<LevelNodeOptions, 'epoch'> & { epoch?: number }>,
  Level: Symbol('Level') as InjectionToken<Level>,
  Storage: Symbol('Storage') as InjectionToken<NodeStore>,
  LevelNode: Symbol('LevelNode') as InjectionToken<LevelNode>,
  PluginLoader: Symbol('PluginLoader') as InjectionToken<PluginLoader>,
  EdgeAgent: Symbol('EdgeAgent') as InjectionToken<EdgeAgent>,
  LevelRollouts: Symbol('LevelRollouts') as InjectionToken<LevelRollouts>,
  StoreFactory: Symbol('StoreFactory') as InjectionToken<(level: Level) => NodeStore>,
} as const;

/** What a hierarchy can be given instead of the defaults. */
export interface RootOptions {
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly registry?: Registry;
  readonly transport?: Transport;
  readonly catalog?: PluginCatalog;
  /** The plugin runner; made by `createRunner` when absent. */
  readonly runner?: PluginRunner;
  readonly createRunner?: (clock: Clock) => PluginRunner;
  readonly nodeOptions?: Partial<LevelNodeOptions>;
  /** Reaches the agents on the edges (the demo's simulated edges); directives are only recorded without one. */
  readonly edgeAgent?: EdgeAgent;
  /** Opens the store of one level; a fresh in-memory store per level when absent. */
  readonly store?: (level: Level) => NodeStore;
}

/**
 * The composition root of one hierarchy. Each call makes a fresh container (a child of tsyringe's
 * empty root, which is never registered into), so hierarchies in one process share nothing.
 */
export function createRootContainer(topology: Topology, bindings: readonly BindingConfig[], options: RootOptions): DependencyContainer {
  const root = tsyringeRoot.createChildContainer();
  const clock = options.clock ?? systemClock;
  root.register(Tokens.Clock, { useValue: clock });
  root.register(Tokens.Logger, { useValue: options.logger ?? silentLogger });
  root.register(Tokens.Registry, { useValue: options.registry ?? new Registry() });
  root.register(Tokens.Metrics, {
    useFactory: instanceCachingFactory((c) => {
      const runner = c.resolve(Tokens.PluginRunner);
      return new Metrics(c.resolve(Tokens.Registry), () => runner.memoryBytes?.() ?? 0);
    }),
  });
  root.register(Tokens.Transport, { useValue: options.transport ?? new InProcessBus() });
  root.register(Tokens.PluginCatalog, { useValue: options.catalog ?? new FilePluginCatalog() });
  root.register(Tokens.PluginRunner, { useValue: options.runner ?? (options.createRunner ?? defaultRunner)(clock) });
  root.register(Tokens.PluginLoader, {
    useFactory: instanceCachingFactory((c) => new PluginLoader(c.resolve(Tokens.PluginRunner), c.resolve(Tokens.PluginCatalog))),
  });
  root.register(Tokens.EdgeAgent, { useValue: options.edgeAgent ?? unattendedEdges });
  root.register(Tokens.StoreFactory, { useValue: options.store ?? (() => new MemoryNodeStore()) });
  root.register(Tokens.Topology, { useValue: topology });
  root.register(Tokens.Bindings, { useValue: bindings });
  root.register(Tokens.NodeOptions, { useValue: { ...defaultNodeOptions, ...options.nodeOptions } });
  return root;
}

/** A child container for one level: its own storage and its own `LevelNode`. */
export function createLevelContainer(root: DependencyContainer, level: Level): DependencyContainer {
  const child = root.createChildContainer();
  child.register(Tokens.Level, { useValue: level });
  child.register(Tokens.Storage, { useValue: root.resolve(Tokens.StoreFactory)(level) });
  child.register(Tokens.LevelRollouts, {
    useFactory: instanceCachingFactory(
      (c) =>
        new LevelRollouts({
          level: c.resolve(Tokens.Level),
          topology: c.resolve(Tokens.Topology),
          loader: c.resolve(Tokens.PluginLoader),
          clock: c.resolve(Tokens.Clock),
          transport: c.resolve(Tokens.Transport),
          logger: c.resolve(Tokens.Logger),
          edgeAgent: c.resolve(Tokens.EdgeAgent),
          store: c.resolve(Tokens.Storage),
        }),
    ),
  });
  child.register(Tokens.LevelNode, {
    useFactory: instanceCachingFactory((c) => {
      const nodeOptions = c.resolve(Tokens.NodeOptions);
      const clock = c.resolve(Tokens.Clock);
      return new LevelNode({
        level: c.resolve(Tokens.Level),
        topology: c.resolve(Tokens.Topology),
        bindings: c.resolve(Tokens.Bindings),
        loader: c.resolve(Tokens.PluginLoader),
        clock,
        logger: c.resolve(Tokens.Logger),
        metrics: c.resolve(Tokens.Metrics),
        storage: c.resolve(Tokens.Storage),
        transport: c.resolve(Tokens.Transport),
        rollouts: c.resolve(Tokens.LevelRollouts),
        options: { ...nodeOptions, epoch: nodeOptions.epoch ?? clock.now() },
      });
    }),
  });
  return child;
}

/** Edges with no agent attached: directives are only recorded, for the edges to fetch. */
const unattendedEdges: EdgeAgent = { apply() {} };

/** The plugin runners a command line or a serve config can name. */
export type RunnerName = 'quickjs' | 'quickjs-pool' | 'inline';

/**
 * A runner by name, with limits for every plugin it loads (the inline runner has none to enforce);
 * `logger` hears why a QuickJS runner sends plugin calls as JSON text, should its build fail the
 * binary JSON self-check.
 */
export function runnerNamed(name: RunnerName, limits?: Partial<PluginLimits>, logger?: Logger): PluginRunner {
  const options = { ...(limits === undefined ? {} : { limits }), ...(logger === undefined ? {} : { logger }) };
  if (name === 'inline') return new InlineRunner();
  if (name === 'quickjs-pool') return new PooledRunner(options);
  return new QuickJsRunner(options);
}

/**
 * The runner every hierarchy gets unless told otherwise: QuickJS, for every plugin, built-ins
 * included. Its deadlines run on the wall clock; what plugins see as "now" comes from the injected
 * clock through each call.
 */
export function defaultRunner(_clock: Clock): PluginRunner {
  return runnerNamed('quickjs');
}

/**
 * Builds a whole hierarchy in one process: validates the configuration, makes one composition
 * root with a child container per level, and starts every level bottom-up (loading every binding's
 * plugin). Two hierarchies share nothing.
 */
export async function createHierarchy(config: HierarchyConfig, options: RootOptions = {}): Promise<Hierarchy> {
  const { topology, bindings } = parseHierarchyConfig(config);
  const root = createRootContainer(topology, bindings, options);
  const nodes = new Map<string, LevelNode>();
  try {
    for (const level of topology.bottomUp()) {
      const node = createLevelContainer(root, level).resolve(Tokens.LevelNode);
      await node.start();
      nodes.set(level.id, node);
    }
  } catch (error) {
    for (const node of nodes.values()) node.stop();
    if (options.runner === undefined) await root.resolve(Tokens.PluginRunner).dispose();
    throw error;
  }
  return new Hierarchy({
    topology,
    nodes,
    runner: root.resolve(Tokens.PluginRunner),
    loader: root.resolve(Tokens.PluginLoader),
    clock: root.resolve(Tokens.Clock),
    registry: root.resolve(Tokens.Registry),
    transport: root.resolve(Tokens.Transport),
  });
}

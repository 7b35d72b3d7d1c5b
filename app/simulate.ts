import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { ManualClock } from '../core/clock/index.js';
import { ErrorCodes, ValidationError } from '../core/errors.js';
import { parseDuration, type Level, type Topology } from '../core/model/index.js';
import { Hierarchy, parseHierarchyConfig, type LevelNode } from '../core/node/index.js';
import type { PluginRunner } from '../core/ports/index.js';
import { fleetBindings, fleetReports, fleetRollout, fleetTopology, type FleetShape } from '../core/sim/fleet.js';
import { InProcessBus, type DestinationStatus, type DirectiveMessage, type LevelEndpoint, type PartialMessage, type Transport } from '../core/transport/index.js';
import { createHierarchy, createLevelContainer, createRootContainer, Tokens } from './container.js';

/** A fault injected into a simulated hierarchy. Only link partitions are simulated so far. */
export interface Fault {
  readonly kind: 'partition';
  /** The level cut off from its parent. */
  readonly level: string;
  /** When the link goes down, from the start of the run. */
  readonly atMs: number;
  /** How long it stays down. */
  readonly forMs: number;
}

/** What `simulate` runs. */
export interface SimulateOptions {
  readonly transport: 'inproc' | 'nats';
  readonly shape: FleetShape;
  readonly seed: number;
  /** Rounds of reports, one a second: every destination reports once per round with a higher seq. */
  readonly rounds: number;
  readonly faults: readonly Fault[];
  readonly runner: PluginRunner;
  /** Called with a short line whenever the run moves on. */
  readonly progress?: (line: string) => void;
  /** Longest wait for the center to converge after the last fault. */
  readonly convergeWithinMs?: number;
}

/** Messages and bytes one tier of the hierarchy sent. */
export interface Traffic {
  messages: number;
  bytes: number;
}

/** The figures of a simulated run. */
export interface SimulationResult {
  transport: SimulateOptions['transport'];
  levels: { center: number; region: number; site: number };
  destinations: number;
  rounds: number;
  reports: { count: number; bytes: number };
  faults: Fault[];
  /**
   * How long after the last fault ended the center's summaries equalled those of the same run
   * without faults: on the simulated clock in process, on the wall clock over NATS.
   */
  convergence: { converged: boolean; ms: number | null; clock: 'simulated' | 'wall' };
  /** Per tier: partials sent up, directives sent down. */
  byLevel: Record<Level['kind'], { up: Traffic; down: Traffic }>;
  center: { inboundBytes: number; shareOfRawReportBytes: number };
  wallMs: number;
}

const stepMs = 1_000;
const pollMs = 200;

/**
 * Parses `--faults`: comma-separated `partition:LEVEL@START+DURATION` (`partition:region-2@2s+5s`
 * cuts region-2 from its parent two seconds into the run, for five seconds). Levels must exist and
 * have a parent.
 *
 * @throws ValidationError (`EDGESUM_USAGE`) naming the fault that is wrong.
 */
export function parseFaults(spec: string, topology: Topology): Fault[] {
  if (spec.trim() === '') return [];
  return spec.split(',').map((text) => {
    const match = /^(\w[\w-]*):([A-Za-z0-9._-]+)@([0-9.a-z]+)\+([0-9.a-z]+)$/.exec(text.trim());
    const fail = (why: string) => new ValidationError(ErrorCodes.Usage, `--faults: "${text.trim().slice(0, 100)}": ${why}`);
    if (match === null) throw fail('expected KIND:LEVEL@START+DURATION, as in partition:region-1@2s+5s');
    const [, kind, level, at, span] = match as unknown as [string, string, string, string, string];
    if (kind !== 'partition') throw fail(`fault kind "${kind}" is not simulated yet; the kinds are: partition`);
    const target = topology.levels.get(level);
    if (target === undefined) throw fail(`no level "${level}" in the simulated topology`);
    if (target.parent === undefined) throw fail(`"${level}" is the center: it has no link to cut`);
    const atMs = parseDuration(at);
    const forMs = parseDuration(span);
    if (atMs === undefined || forMs === undefined || forMs === 0) throw fail('START and DURATION must be durations like 2s or 1m, the duration above zero');
    return { kind: 'partition', level, atMs, forMs };
  });
}

/**
 * Counts what each tier sends through a transport: partials up, directives down, and the bytes of
 * their JSON as they go on the wire. A message counts once it was accepted.
 */
class CountingTransport implements Transport {
  constructor(
    private readonly inner: Transport,
    private readonly kindOf: (level: string) => Level['kind'],
    private readonly center: string,
    readonly traffic: SimulationResult['byLevel'],
    readonly inbound: { bytes: number },
  ) {}

  bind(level: string, endpoint: LevelEndpoint): void {
    this.inner.bind(level, endpoint);
  }

  unbind(level: string): void {
    this.inner.unbind(level);
  }

  async sendPartial(to: string, message: PartialMessage): Promise<void> {
    await this.inner.sendPartial(to, message);
    const bytes = Buffer.byteLength(JSON.stringify(message));
    count(this.traffic[this.kindOf(message.from)].up, bytes);
    if (to === this.center) this.inbound.bytes += bytes;
  }

  async sendDirective(to: string, message: DirectiveMessage): Promise<void> {
    await this.inner.sendDirective(to, message);
    count(this.traffic[this.kindOf(message.from)].down, Buffer.byteLength(JSON.stringify(message)));
  }

  queryStatus(to: string, destination: string): Promise<DestinationStatus> {
    return this.inner.queryStatus(to, destination);
  }

  linkDown(level: string): boolean {
    return this.inner.linkDown?.(level) ?? false;
  }
}

function count(traffic: Traffic, bytes: number): void {
  traffic.messages++;
  traffic.bytes += bytes;
}

/** A simulated hierarchy under faults, with the means to cut and restore links. */
interface FaultyRun {
  readonly hierarchy: Hierarchy;
  cut(level: string): Promise<void>;
  restore(level: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Runs a simulated fleet twice in lockstep on one clock, once under the faults and once without,
 * and measures how long after the last fault the center's summaries are those of the run without
 * faults again, with the traffic each tier sent. In process the levels share a bus; over NATS they
 * run in this process on a real hub and one real leaf server per region (a region and its sites),
 * each leaf in its own JetStream domain behind a link that a partition cuts.
 */
export async function simulate(options: SimulateOptions): Promise<SimulationResult> {
  const started = performance.now();
  const say = options.progress ?? (() => undefined);
  const { topology, bindings } = parseHierarchyConfig({ topology: fleetTopology(options.shape), bindings: fleetBindings() });
  for (const fault of options.faults) {
    if (!topology.levels.has(fault.level)) throw new ValidationError(ErrorCodes.Usage, `--faults: no level "${fault.level}" in the simulated topology`);
    if (options.transport === 'nats' && topology.levels.get(fault.level)!.kind !== 'region') {
      throw new ValidationError(ErrorCodes.Usage, `--faults: over NATS a partition cuts a region's leaf server from the hub; "${fault.level}" is not a region`);
    }
  }
  const clock = new ManualClock();
  const traffic: SimulationResult['byLevel'] = { center: fresh(), region: fresh(), site: fresh() };
  const inbound = { bytes: 0 };
  const counted = (inner: Transport) => new CountingTransport(inner, (level) => topology.levels.get(level)!.kind, topology.center.id, traffic, inbound);
  const baseline = await createHierarchy({ topology: fleetTopology(options.shape), bindings: fleetBindings() }, { clock, runner: options.runner });
  let run: FaultyRun | undefined;
  try {
    say(`starting ${options.transport} hierarchy`);
    run = options.transport === 'nats' ? await natsRun(topology, bindings, clock, options.runner, counted) : await inProcessRun(topology, bindings, clock, options.runner, counted);
    await run.hierarchy.startRollout(fleetRollout());
    const lastFaultEnd = Math.max(0, ...options.faults.map((fault) => fault.atMs + fault.forMs));
    const down = new Set<string>();
    let reportCount = 0;
    let reportBytes = 0;
    let convergedAt: number | undefined;
    let restoredAt: number | undefined;
    const wall = options.transport === 'nats';
    const deadline = performance.now() + (options.convergeWithinMs ?? 120_000);
    for (let step = 0; ; step++) {
      const t = step * stepMs;
      for (const fault of options.faults) {
        const shouldBeDown = t >= fault.atMs && t < fault.atMs + fault.forMs;
        if (shouldBeDown && !down.has(fault.level)) {
          down.add(fault.level);
          await run.cut(fault.level);
        } else if (!shouldBeDown && down.has(fault.level) && !options.faults.some((other) => other.level === fault.level && t >= other.atMs && t < other.atMs + other.forMs)) {
          down.delete(fault.level);
          await run.restore(fault.level);
        }
      }
      if (step < options.rounds) {
        const reports = fleetReports(fleetTopology(options.shape), { seed: options.seed + step, now: clock.now(), seq: step + 1 });
        reportCount += reports.length;
        for (const report of reports) reportBytes += Buffer.byteLength(JSON.stringify(report));
        run.hierarchy.ingest(reports);
        baseline.ingest(reports);
      }
      await run.hierarchy.tick();
      await baseline.settle();
      const faultsOver = t >= lastFaultEnd && down.size === 0;
      if (faultsOver && restoredAt === undefined) restoredAt = wall ? performance.now() : clock.now();
      say(step < options.rounds ? `round ${step + 1}/${options.rounds}${down.size > 0 ? `, cut off: ${[...down].join(' ')}` : ''}` : 'waiting for the center to converge');
      if (faultsOver && step + 1 >= options.rounds && isDeepStrictEqual(plain(await run.hierarchy.summaries()), plain(await baseline.summaries()))) {
        convergedAt = wall ? performance.now() : clock.now();
        break;
      }
      if (performance.now() > deadline && faultsOver) break;
      // Once the rounds are over, a NATS run is polled more often, for a finer convergence time.
      const wait = step + 1 >= options.rounds && faultsOver ? pollMs : stepMs;
      if (wall) await new Promise((resolve) => setTimeout(resolve, wait));
      clock.advance(wait);
    }
    const converged = convergedAt !== undefined;
    return {
      transport: options.transport,
      levels: { center: 1, region: options.shape.regions, site: options.shape.regions * options.shape.sitesPerRegion },
      destinations: options.shape.destinations,
      rounds: options.rounds,
      reports: { count: reportCount, bytes: reportBytes },
      faults: [...options.faults],
      convergence: { converged, ms: converged ? Math.round(convergedAt! - restoredAt!) : null, clock: wall ? 'wall' : 'simulated' },
      byLevel: traffic,
      center: { inboundBytes: inbound.bytes, shareOfRawReportBytes: reportBytes === 0 ? 0 : inbound.bytes / reportBytes },
      wallMs: Math.round(performance.now() - started),
    };
  } finally {
    await run?.close();
    for (const node of baseline.nodes.values()) node.stop();
  }
}

function fresh(): { up: Traffic; down: Traffic } {
  return { up: { messages: 0, bytes: 0 }, down: { messages: 0, bytes: 0 } };
}

function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value));
}

type Parsed = ReturnType<typeof parseHierarchyConfig>;

async function inProcessRun(topology: Topology, bindings: Parsed['bindings'], clock: ManualClock, runner: PluginRunner, counted: (inner: Transport) => Transport): Promise<FaultyRun> {
  const bus = new InProcessBus();
  const hierarchy = await buildHierarchy(topology, bindings, clock, runner, () => counted(bus));
  return {
    hierarchy,
    cut: async (level) => bus.disconnect(level),
    restore: async (level) => bus.reconnect(level),
    close: async () => {
      for (const node of hierarchy.nodes.values()) node.stop();
    },
  };
}

/** Builds a hierarchy whose levels may each have their own transport, as they do over NATS. */
async function buildHierarchy(topology: Topology, bindings: Parsed['bindings'], clock: ManualClock, runner: PluginRunner, transportOf: (level: Level) => Transport): Promise<Hierarchy> {
  const nodes = new Map<string, LevelNode>();
  let first: ReturnType<typeof createRootContainer> | undefined;
  try {
    for (const level of topology.bottomUp()) {
      const root = createRootContainer(topology, bindings, { clock, runner, transport: transportOf(level) });
      if (level.parent === undefined) first = root;
      const node = createLevelContainer(root, level).resolve(Tokens.LevelNode);
      await node.start();
      nodes.set(level.id, node);
    }
  } catch (error) {
    for (const node of nodes.values()) node.stop();
    throw error;
  }
  return new Hierarchy({
    topology,
    nodes,
    runner,
    loader: first!.resolve(Tokens.PluginLoader),
    clock,
    registry: first!.resolve(Tokens.Registry),
    transport: first!.resolve(Tokens.Transport),
  });
}

async function natsRun(topology: Topology, bindings: Parsed['bindings'], clock: ManualClock, runner: PluginRunner, counted: (inner: Transport) => Transport): Promise<FaultyRun> {
  const { connectNatsTransport, requireNatsServer, startLinkProxy, startNatsServer } = await import('../nats/index.js');
  requireNatsServer();
  const dir = mkdtempSync(join(tmpdir(), 'edgesum-simulate-'));
  const servers: { stop(): Promise<void> }[] = [];
  const proxies = new Map<string, Awaited<ReturnType<typeof startLinkProxy>>>();
  const transports: { close(): Promise<void> }[] = [];
  const close = async () => {
    await Promise.allSettled(transports.map((transport) => transport.close()));
    await Promise.allSettled(servers.map((server) => server.stop()));
    await Promise.allSettled([...proxies.values()].map((proxy) => proxy.close()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    // Each leaf reaches the hub only through its own link; the hub advertises an address no leaf
    // can dial, so a cut-off leaf cannot reconnect around its link.
    const hub = await startNatsServer('hub', dir, { domain: 'hub', leafListen: true, advertise: '127.0.0.1:1' });
    servers.push(hub);
    const serverOf = new Map<string, { url: string; domain: string }>([[topology.center.id, { url: hub.url, domain: 'hub' }]]);
    for (const region of topology.children(topology.center.id)) {
      const proxy = await startLinkProxy();
      proxy.target = hub.leafnodes;
      proxies.set(region.id, proxy);
      const domain = `leaf-${region.id.replaceAll('.', '_')}`.slice(0, 64);
      const leaf = await startNatsServer(domain, dir, { domain, remote: proxy.address });
      servers.push(leaf);
      serverOf.set(region.id, { url: leaf.url, domain });
      for (const site of topology.children(region.id)) serverOf.set(site.id, { url: leaf.url, domain });
    }
    const hierarchyTransports = new Map<string, Transport>();
    for (const level of topology.levels.values()) {
      const server = serverOf.get(level.id)!;
      const children = topology.children(level.id).map((child) => child.id);
      const transport = await connectNatsTransport({
        self: level.id,
        parent: level.parent,
        children,
        servers: [server.url],
        domain: server.domain,
        parentDomain: level.parent === undefined ? undefined : serverOf.get(level.parent)!.domain,
        childDomains: Object.fromEntries(children.map((child) => [child, serverOf.get(child)!.domain])),
        logger: { debug() {}, info() {}, warn() {}, error() {} },
      });
      transports.push(transport);
      hierarchyTransports.set(level.id, counted(transport));
    }
    const hierarchy = await buildHierarchy(topology, bindings, clock, runner, (level) => hierarchyTransports.get(level.id)!);
    return {
      hierarchy,
      cut: async (level) => proxies.get(level)!.cut(),
      restore: async (level) => proxies.get(level)!.restore(),
      close: async () => {
        for (const node of hierarchy.nodes.values()) node.stop();
        await close();
      },
    };
  } catch (error) {
    await close();
    throw error;
  }
}

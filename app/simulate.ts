import { isDeepStrictEqual } from 'node:util';
import { EdgesumError, ErrorCodes, ValidationError } from '../core/errors.js';
import { parseDuration, type Level, type Topology, type TopologyInput } from '../core/model/index.js';
import { Hierarchy, parseHierarchyConfig, type LevelNode } from '../core/node/index.js';
import type { PluginRunner } from '../core/ports/index.js';
import { fleetBindings, fleetReports, fleetRollout, fleetTopology, type FleetShape } from '../core/sim/fleet.js';
import type { StatusReport } from '../core/contract.js';
import { MemoryNodeStore } from '../core/storage/index.js';
import { InProcessBus, type DestinationStatus, type DirectiveMessage, type LevelEndpoint, type PartialMessage, type Transport } from '../core/transport/index.js';
import { ManualClock } from '../core/clock/index.js';
import type { BindingInput } from '../core/pipeline/index.js';
import type { RolloutSpecInput } from '../core/rollout/index.js';
import { createHierarchy, createLevelContainer, createRootContainer, Tokens, type RunnerName } from './container.js';

/** The faults a simulation can inject. */
export const faultKinds = ['partition', 'restart', 'flap', 'slow'] as const;

/**
 * A fault injected into a simulated hierarchy for a window of time: `partition` cuts the level's
 * link to its parent; `restart` kills the level's node (its edges hold their reports) and starts it
 * again from its store when the window ends; `flap` makes every destination below the level report
 * ready and not ready by turns; `slow` makes the level take in at most one child partial a second,
 * the rest waiting in its inbox.
 */
export interface Fault {
  readonly kind: (typeof faultKinds)[number];
  readonly level: string;
  /** When the fault starts, from the start of the run. */
  readonly atMs: number;
  /** How long it lasts. */
  readonly forMs: number;
}

/** What `simulate` runs. */
export interface SimulateOptions {
  readonly transport: 'inproc' | 'http' | 'nats';
  readonly shape: FleetShape;
  readonly seed: number;
  /** Rounds of reports, one a second: every destination reports once per round with a higher seq. */
  readonly rounds: number;
  readonly faults: readonly Fault[];
  readonly runner: PluginRunner;
  /** The runner each served level makes for itself over HTTP (`inline` when absent). */
  readonly runnerName?: RunnerName;
  /** Called with a short line whenever the run moves on. */
  readonly progress?: (line: string) => void;
  /** Longest wait for the center to converge after the last fault. */
  readonly convergeWithinMs?: number;
  /** Stops the run (and every process it started) at its next step. */
  readonly signal?: AbortSignal;
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
   * How long after the last fault ended (or the last round of reports, when that came later) the
   * center's summaries equalled those of the same run without faults: on the simulated clock in
   * process; on the wall clock over HTTP and NATS, whose nodes run on the system clock, polling
   * the center's `GET /v1/summaries` every 200 ms.
   */
  convergence: { converged: boolean; ms: number | null; clock: 'simulated' | 'wall' };
  /** Per tier: partials sent up, directives sent down. */
  byLevel: Record<Level['kind'], { up: Traffic; down: Traffic }>;
  center: { inboundBytes: number; shareOfRawReportBytes: number };
  wallMs: number;
}

const stepMs = 1_000;
const pollMs = 200;
/** The `flushInterval` of served nodes: short, so a small run converges in seconds. */
const servedFlushMs = 250;

/**
 * Parses `--faults`: comma-separated `KIND:LEVEL@START+DURATION` (`partition:region-2@2s+5s` cuts
 * region-2 from its parent two seconds into the run, for five seconds).
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
    if (!(faultKinds as readonly string[]).includes(kind)) throw fail(`no fault kind "${kind}"; the kinds are: ${faultKinds.join(', ')}`);
    const target = topology.levels.get(level);
    if (target === undefined) throw fail(`no level "${level}" in the simulated topology`);
    if (kind === 'partition' && target.parent === undefined) throw fail(`"${level}" is the center: it has no link to cut`);
    if (kind === 'slow' && topology.children(level).length === 0) throw fail(`"${level}" has no child levels whose partials it could be slow to take`);
    if (kind === 'flap' && topology.destinationsBelow(level).length === 0) throw fail(`no destination is below "${level}"`);
    const atMs = parseDuration(at);
    const forMs = parseDuration(span);
    if (atMs === undefined || forMs === undefined || forMs === 0) throw fail('START and DURATION must be durations like 2s or 1m, the duration above zero');
    return { kind: kind as Fault['kind'], level, atMs, forMs };
  });
}

/**
 * The inboxes of levels made slow: while a level is slow, or still has a backlog, a child partial
 * for it is accepted into its inbox (as a stream would take it) and handed over one per step.
 */
class SlowInboxes {
  private readonly slow = new Set<string>();
  private readonly queues = new Map<string, { endpoint: LevelEndpoint; messages: PartialMessage[] }>();

  wrap(level: string, endpoint: LevelEndpoint): LevelEndpoint {
    const inbox = { endpoint, messages: [] as PartialMessage[] };
    this.queues.set(level, inbox);
    return {
      ...endpoint,
      onPartial: async (message) => {
        if (this.slow.has(level) || inbox.messages.length > 0) inbox.messages.push(message);
        else await endpoint.onPartial(message);
      },
    };
  }

  set(level: string, slow: boolean): void {
    if (slow) this.slow.add(level);
    else this.slow.delete(level);
  }

  /** Hands every backlogged level the oldest partial in its inbox. */
  async step(): Promise<void> {
    for (const inbox of this.queues.values()) {
      const next = inbox.messages.shift();
      if (next !== undefined) await inbox.endpoint.onPartial(next);
    }
  }
}

/**
 * Counts what each tier sends through a transport: partials up, directives down, and the bytes of
 * their JSON as they go on the wire. A message counts once it was accepted.
 */
class CountingTransport implements Transport {
  constructor(
    private readonly inner: Transport,
    private readonly meter: Meter,
  ) {}

  bind(level: string, endpoint: LevelEndpoint): void {
    this.inner.bind(level, this.meter.inboxes.wrap(level, endpoint));
  }

  unbind(level: string): void {
    this.inner.unbind(level);
  }

  async sendPartial(to: string, message: PartialMessage): Promise<void> {
    await this.inner.sendPartial(to, message);
    const bytes = Buffer.byteLength(JSON.stringify(message));
    count(this.meter.traffic[this.meter.kindOf(message.from)].up, bytes);
    if (to === this.meter.center) this.meter.inbound.bytes += bytes;
  }

  async sendDirective(to: string, message: DirectiveMessage): Promise<void> {
    await this.inner.sendDirective(to, message);
    count(this.meter.traffic[this.meter.kindOf(message.from)].down, Buffer.byteLength(JSON.stringify(message)));
  }

  queryStatus(to: string, destination: string): Promise<DestinationStatus> {
    return this.inner.queryStatus(to, destination);
  }

  linkDown(level: string): boolean {
    return this.inner.linkDown?.(level) ?? false;
  }
}

/** What every counting transport of one run shares. */
interface Meter {
  readonly kindOf: (level: string) => Level['kind'];
  readonly center: string;
  readonly traffic: SimulationResult['byLevel'];
  readonly inbound: { bytes: number };
  readonly inboxes: SlowInboxes;
}

function count(traffic: Traffic, bytes: number): void {
  traffic.messages++;
  traffic.bytes += bytes;
}

/** One level's transport in a run, and how to let go of it when the level's node is killed. */
interface LevelLink {
  readonly transport: Transport;
  close(): Promise<void>;
}

/** A simulated hierarchy under faults: what the run drives, whatever carries its messages. */
interface Run {
  /** Hands reports to the sites that own them; the caller holds those of killed sites. */
  ingest(reports: readonly StatusReport[]): Promise<void>;
  /** In process, one turn of every living level, bottom-up: fold, forward, decide, deliver. */
  tick(): Promise<void>;
  summaries(): Promise<unknown>;
  startRollout(spec: RolloutSpecInput): Promise<void>;
  dead(level: string): boolean;
  kill(level: string): Promise<void>;
  revive(level: string): Promise<void>;
  /** Cuts or restores the link between a level and its parent. */
  link(level: string, up: boolean): Promise<void>;
  /** Makes a level a slow consumer of its children's partials, or no longer one. */
  slow(level: string, on: boolean): void;
  traffic(): Promise<{ byLevel: SimulationResult['byLevel']; centerInboundBytes: number }>;
  close(): Promise<void>;
}

/**
 * Runs a simulated fleet twice, once under the faults and once without (in process, on a simulated
 * clock), feeding both the same reports, and measures how long after the last fault the center's
 * summaries are those of the run without faults again, with the traffic each tier sent. In process
 * the levels share a bus and are stepped on the simulated clock. Over HTTP and NATS every level is
 * an `edgesum serve` process on loopback with its own config and SQLite store (over NATS with a
 * real hub and one real leaf server per region, each leaf in its own JetStream domain), running on
 * the system clock; their traffic comes from their metrics endpoints.
 */
export async function simulate(options: SimulateOptions): Promise<SimulationResult> {
  const started = performance.now();
  const say = options.progress ?? (() => undefined);
  const { topology, bindings } = parseHierarchyConfig({ topology: fleetTopology(options.shape), bindings: fleetBindings() });
  for (const fault of options.faults) {
    if (!topology.levels.has(fault.level)) throw new ValidationError(ErrorCodes.Usage, `--faults: no level "${fault.level}" in the simulated topology`);
    if (options.transport === 'nats' && fault.kind === 'partition' && topology.levels.get(fault.level)!.kind !== 'region') {
      throw new ValidationError(ErrorCodes.Usage, `--faults: over NATS a partition cuts a region's leaf server from the hub; "${fault.level}" is not a region`);
    }
  }
  const served = options.transport !== 'inproc';
  // Served nodes judge staleness on the system clock: their reports are stamped with it, and are
  // never stale within a run, so that both runs count the same reports as fresh.
  const clock = served ? new ManualClock(Date.now()) : new ManualClock();
  const bindingInputs = served ? fleetBindings().map((binding) => ({ ...binding, staleAfter: '100000h' })) : fleetBindings();
  const meter: Meter = {
    kindOf: (level) => topology.levels.get(level)!.kind,
    center: topology.center.id,
    traffic: { center: fresh(), region: fresh(), site: fresh() },
    inbound: { bytes: 0 },
    inboxes: new SlowInboxes(),
  };
  const baseline = await createHierarchy({ topology: fleetTopology(options.shape), bindings: bindingInputs }, { clock, runner: options.runner });
  let run: Run | undefined;
  try {
    say(`starting ${options.transport} hierarchy`);
    run = served ? await servedRun(options.transport as 'http' | 'nats', topology, fleetTopology(options.shape), bindingInputs, options.runnerName ?? 'inline') : await inProcessRun(topology, bindings, clock, options.runner, meter);
    const live = run;
    await live.startRollout(fleetRollout());
    const windowEnd = Math.max(0, ...options.faults.map((fault) => fault.atMs + fault.forMs));
    const active = new Set<Fault>();
    const held: StatusReport[] = [];
    let reportCount = 0;
    let reportBytes = 0;
    let convergedAt: number | undefined;
    let restoredAt: number | undefined;
    const wall = served;
    const convergeWithinMs = options.convergeWithinMs ?? 120_000;
    let waitingSince: number | undefined;
    for (let step = 0, t = 0; ; step++) {
      if (options.signal?.aborted === true) throw new EdgesumError(ErrorCodes.Interrupted, `simulate: stopped by ${String(options.signal.reason ?? 'a signal')} at ${t / 1000} s into the run`);
      for (const fault of options.faults) {
        const on = t >= fault.atMs && t < fault.atMs + fault.forMs;
        if (on === active.has(fault)) continue;
        if (on) active.add(fault);
        else active.delete(fault);
        // Overlapping faults of one kind on one level act as one: the first starts it, the last ends it.
        if ([...active].some((other) => other !== fault && other.kind === fault.kind && other.level === fault.level)) continue;
        if (fault.kind === 'partition') await live.link(fault.level, !on);
        else if (fault.kind === 'slow') live.slow(fault.level, on);
        else if (fault.kind === 'restart' && on) await live.kill(fault.level);
        else if (fault.kind === 'restart') {
          await live.revive(fault.level);
          const mine = new Set(topology.destinationsBelow(fault.level).map((destination) => destination.id));
          const due = held.filter((report) => mine.has(report.destination) && !live.dead(topology.destinations.get(report.destination)!.parent));
          await live.ingest(due);
          held.splice(0, held.length, ...held.filter((report) => !due.includes(report)));
        }
      }
      const reports = reportsAt(topology, options, step, clock.now(), [...active].filter((fault) => fault.kind === 'flap').map((fault) => fault.level));
      reportCount += reports.length;
      for (const report of reports) reportBytes += Buffer.byteLength(JSON.stringify(report));
      // The edges of a killed node hold their reports and send them once it is back.
      const [deliver, hold] = partition(reports, (report) => !live.dead(topology.destinations.get(report.destination)!.parent));
      held.push(...hold);
      await live.ingest(deliver);
      baseline.ingest(reports);
      await live.tick();
      await baseline.settle();
      const faultsOver = t >= windowEnd && active.size === 0;
      if (faultsOver && step + 1 >= options.rounds && restoredAt === undefined) {
        restoredAt = wall ? performance.now() : clock.now();
        waitingSince = performance.now();
      }
      const now = [...active].map((fault) => `${fault.kind} ${fault.level}`);
      say(step < options.rounds ? `round ${step + 1}/${options.rounds}${now.length > 0 ? `, faults: ${now.join(', ')}` : ''}` : faultsOver ? 'waiting for the center to converge' : `faults: ${now.join(', ')}`);
      if (faultsOver && step + 1 >= options.rounds && isDeepStrictEqual(plain(await live.summaries()), plain(await baseline.summaries()))) {
        convergedAt = wall ? performance.now() : clock.now();
        break;
      }
      if (waitingSince !== undefined && performance.now() - waitingSince > convergeWithinMs) break;
      // Once the rounds and faults are over, a served run is polled more often, for a finer convergence time.
      const wait = step + 1 >= options.rounds && faultsOver && wall ? pollMs : stepMs;
      if (wall) await new Promise((resolve) => setTimeout(resolve, wait));
      clock.advance(wait);
      t += wait;
    }
    const converged = convergedAt !== undefined;
    const traffic = await live.traffic();
    return {
      transport: options.transport,
      levels: { center: 1, region: options.shape.regions, site: options.shape.regions * options.shape.sitesPerRegion },
      destinations: options.shape.destinations,
      rounds: options.rounds,
      reports: { count: reportCount, bytes: reportBytes },
      faults: [...options.faults],
      convergence: { converged, ms: converged ? Math.round(convergedAt! - restoredAt!) : null, clock: wall ? 'wall' : 'simulated' },
      byLevel: traffic.byLevel,
      center: { inboundBytes: traffic.centerInboundBytes, shareOfRawReportBytes: reportBytes === 0 ? 0 : traffic.centerInboundBytes / reportBytes },
      wallMs: Math.round(performance.now() - started),
    };
  } finally {
    await run?.close();
    for (const node of baseline.nodes.values()) node.stop();
  }
}

/**
 * The reports of one step: every destination's, with the next seq, in each of the first `rounds`
 * steps; and in any step, those of the destinations below a flapping level, ready and not ready
 * by turns.
 */
function reportsAt(topology: Topology, options: SimulateOptions, step: number, now: number, flapping: readonly string[]): StatusReport[] {
  const flappers = new Set(flapping.flatMap((level) => topology.destinationsBelow(level).map((destination) => destination.id)));
  if (step >= options.rounds && flappers.size === 0) return [];
  const all = fleetReports(fleetTopology(options.shape), { seed: options.seed + step, now, seq: step + 1 });
  const reports = step < options.rounds ? all : all.filter((report) => flappers.has(report.destination));
  if (flappers.size === 0) return reports;
  const ready = step % 2 === 0;
  return reports.map((report) => (flappers.has(report.destination) ? { ...report, status: { ...(report.status as Record<string, unknown>), readyReplicas: ready ? 2 : 0, availableReplicas: ready ? 2 : 0 } } : report));
}

function partition<T>(items: readonly T[], keep: (item: T) => boolean): [T[], T[]] {
  const kept: T[] = [];
  const rest: T[] = [];
  for (const item of items) (keep(item) ? kept : rest).push(item);
  return [kept, rest];
}

function fresh(): { up: Traffic; down: Traffic } {
  return { up: { messages: 0, bytes: 0 }, down: { messages: 0, bytes: 0 } };
}

function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value));
}

type Parsed = ReturnType<typeof parseHierarchyConfig>;

/**
 * The live nodes of a faulty run: each level on its own composition root and transport, over a
 * store that outlives the node, so a killed level can be started again and resume from it.
 */
class Levels {
  private readonly links = new Map<string, LevelLink>();
  private readonly down = new Set<string>();

  private constructor(
    readonly hierarchy: Hierarchy,
    private readonly nodes: Map<string, LevelNode>,
    private readonly make: (level: Level) => Promise<{ node: LevelNode; link: LevelLink }>,
  ) {}

  static async start(topology: Topology, bindings: Parsed['bindings'], clock: ManualClock, runner: PluginRunner, open: (level: Level) => Promise<LevelLink>): Promise<Levels> {
    const stores = new Map<string, MemoryNodeStore>();
    const make = async (level: Level) => {
      const link = await open(level);
      let store = stores.get(level.id);
      if (store === undefined) stores.set(level.id, (store = new MemoryNodeStore()));
      const fixed = store;
      const root = createRootContainer(topology, bindings, { clock, runner, transport: link.transport, store: () => fixed });
      const node = createLevelContainer(root, level).resolve(Tokens.LevelNode);
      try {
        await node.start();
      } catch (error) {
        await link.close();
        throw error;
      }
      return { node, link, root };
    };
    const nodes = new Map<string, LevelNode>();
    const links = new Map<string, LevelLink>();
    let center: Awaited<ReturnType<typeof make>> | undefined;
    try {
      for (const level of topology.bottomUp()) {
        const made = await make(level);
        nodes.set(level.id, made.node);
        links.set(level.id, made.link);
        if (level.parent === undefined) center = made;
      }
    } catch (error) {
      for (const node of nodes.values()) node.stop();
      for (const link of links.values()) await link.close();
      throw error;
    }
    const hierarchy = new Hierarchy({
      topology,
      nodes,
      runner,
      loader: center!.root.resolve(Tokens.PluginLoader),
      clock,
      registry: center!.root.resolve(Tokens.Registry),
      transport: center!.link.transport,
    });
    const levels = new Levels(hierarchy, nodes, make);
    for (const [id, link] of links) levels.links.set(id, link);
    return levels;
  }

  dead(level: string): boolean {
    return this.down.has(level);
  }

  /** Kills a level's node: it stops at once, without a last flush, and lets go of its transport. */
  async kill(level: string): Promise<void> {
    this.nodes.get(level)!.stop();
    await this.links.get(level)!.close();
    this.down.add(level);
  }

  /** Starts a killed level again from its store, with a new transport. */
  async revive(level: string): Promise<void> {
    const made = await this.make(this.hierarchy.topology.levels.get(level)!);
    this.nodes.set(level, made.node);
    this.links.set(level, made.link);
    this.down.delete(level);
  }

  /** `Hierarchy.tick` over the living levels. */
  async tick(): Promise<void> {
    const order = this.hierarchy.topology.bottomUp().filter((level) => !this.down.has(level.id));
    for (const level of order) await this.nodes.get(level.id)!.flush();
    for (const level of [...order].reverse()) await this.nodes.get(level.id)!.evaluateRollouts();
    for (const level of order) await this.nodes.get(level.id)!.flush();
  }

  async close(): Promise<void> {
    for (const [id, node] of this.nodes) if (!this.down.has(id)) node.stop();
    await Promise.allSettled([...this.links].filter(([id]) => !this.down.has(id)).map(([, link]) => link.close()));
  }
}

/** A run whose levels live in this process, on the in-process bus. */
async function inProcessRun(topology: Topology, bindings: Parsed['bindings'], clock: ManualClock, runner: PluginRunner, meter: Meter): Promise<Run> {
  const bus = new InProcessBus();
  const levels = await Levels.start(topology, bindings, clock, runner, async () => ({ transport: new CountingTransport(bus, meter), close: async () => undefined }));
  return {
    ingest: async (reports) => void levels.hierarchy.ingest(reports),
    tick: async () => {
      await meter.inboxes.step();
      await levels.tick();
    },
    summaries: () => levels.hierarchy.summaries(),
    startRollout: (spec) => levels.hierarchy.startRollout(spec),
    dead: (level) => levels.dead(level),
    kill: (level) => levels.kill(level),
    revive: (level) => levels.revive(level),
    link: async (level, up) => (up ? bus.reconnect(level) : bus.disconnect(level)),
    slow: (level, on) => meter.inboxes.set(level, on),
    traffic: async () => ({ byLevel: meter.traffic, centerInboundBytes: meter.inbound.bytes }),
    close: () => levels.close(),
  };
}

/**
 * A run whose levels are `edgesum serve` processes on loopback, talking over HTTP or over real
 * nats-server processes, each on its own timer: the run's steps only post reports.
 */
async function servedRun(transport: 'http' | 'nats', topology: Topology, topologyInput: TopologyInput, bindings: readonly BindingInput[], runnerName: RunnerName): Promise<Run> {
  const { ServedFleet } = await import('./served-fleet.js');
  const fleet = await ServedFleet.start({ transport, topology, topologyInput, bindings, runnerName, flushMs: servedFlushMs });
  return {
    ingest: (reports) => fleet.ingest(reports),
    tick: async () => undefined,
    summaries: () => fleet.summaries(),
    startRollout: (spec) => fleet.startRollout(spec),
    dead: (level) => fleet.dead(level),
    kill: (level) => fleet.kill(level),
    revive: (level) => fleet.revive(level),
    link: (level, up) => fleet.link(level, up),
    slow: (level, on) => fleet.slow(level, on),
    traffic: () => fleet.traffic(),
    close: () => fleet.close(),
  };
}


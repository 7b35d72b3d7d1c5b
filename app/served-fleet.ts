/**
 * A simulated hierarchy served by real processes on loopback, for `edgesum simulate --transport
 * http|nats`: every level an `edgesum serve` child process with its own generated config and
 * SQLite store in a temporary folder; over NATS also a hub nats-server and one leaf server per
 * region. Every link a partition can cut runs through a TCP proxy.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { EdgesumError, ErrorCodes, type ErrorCode } from '../core/errors.js';
import type { StatusReport } from '../core/contract.js';
import type { Level, Topology, TopologyInput } from '../core/model/index.js';
import type { BindingInput } from '../core/pipeline/index.js';
import type { RolloutSpecInput } from '../core/rollout/index.js';
import type { LinkProxy, NatsServer } from '../nats/loopback.js';
import { hashToken } from '../server/auth.js';
import type { RunnerName } from './container.js';

/** Messages and bytes one way. */
interface Traffic {
  messages: number;
  bytes: number;
}

/** What the nodes' metrics endpoints say each tier sent, and what the center took in. */
export interface FleetTraffic {
  byLevel: Record<Level['kind'], { up: Traffic; down: Traffic }>;
  centerInboundBytes: number;
}

/** What a served fleet runs. */
export interface ServedFleetOptions {
  readonly transport: 'http' | 'nats';
  readonly topology: Topology;
  readonly topologyInput: TopologyInput;
  readonly bindings: readonly BindingInput[];
  readonly runnerName: RunnerName;
  /** Every node's `flushInterval`. */
  readonly flushMs: number;
}

/** A running `edgesum serve` child. */
interface NodeProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly exited: Promise<void>;
}

const batchItems = 5_000;
const startWithinMs = 120_000;
/** While a level is slow it runs this long in every second, stopped the rest. */
const slowRunMs = 100;

/** The command that runs `edgesum`: the compiled entry point, or the TypeScript one through tsx in a checkout. */
function edgesumCommand(): { args: string[]; cwd: string; env: NodeJS.ProcessEnv } {
  const here = fileURLToPath(import.meta.url);
  const root = resolve(dirname(here), '..');
  if (here.endsWith('.ts')) return { args: ['--import', 'tsx', join(root, 'cli', 'bin.ts')], cwd: root, env: { ...process.env, NODE_OPTIONS: '' } };
  return { args: [join(root, 'cli', 'bin.js')], cwd: root, env: process.env };
}

/**
 * The processes of one simulated hierarchy. The simulator is every edge: it posts reports to the
 * sites over HTTP with an admin token, and reads summaries and metrics from the nodes the same way.
 * Whatever happens, {@link close} and the exit of this process kill every child.
 */
export class ServedFleet {
  private readonly nodes = new Map<string, NodeProcess>();
  private readonly configs = new Map<string, string>();
  /** Over HTTP: child → parent (partials) and parent → child (directives, status queries), by child level. */
  private readonly up = new Map<string, LinkProxy>();
  private readonly down = new Map<string, LinkProxy>();
  /** Over NATS: each region's leaf server to the hub. */
  private readonly leafLinks = new Map<string, LinkProxy>();
  private readonly servers: NatsServer[] = [];
  private readonly slowTimers = new Map<string, NodeJS.Timeout>();
  /** What the metrics of killed processes said just before they were killed. */
  private readonly before: FleetTraffic = { byLevel: { center: fresh(), region: fresh(), site: fresh() }, centerInboundBytes: 0 };
  private readonly admin = `admin-${randomBytes(16).toString('hex')}`;
  private readonly secret = randomBytes(16).toString('hex');
  private readonly killAll = () => {
    for (const node of this.nodes.values()) node.child.kill('SIGKILL');
    for (const server of this.servers) {
      try {
        if (server.pid !== undefined) process.kill(server.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  };

  private constructor(
    private readonly options: ServedFleetOptions,
    private readonly dir: string,
  ) {}

  /** Starts the servers, proxies and nodes, the center first. */
  static async start(options: ServedFleetOptions): Promise<ServedFleet> {
    const fleet = new ServedFleet(options, mkdtempSync(join(tmpdir(), `edgesum-simulate-${options.transport}-`)));
    process.on('exit', fleet.killAll);
    try {
      await fleet.boot();
    } catch (error) {
      await fleet.close();
      throw error;
    }
    return fleet;
  }

  private async boot(): Promise<void> {
    const { topology, transport } = this.options;
    writeFileSync(join(this.dir, 'topology.json'), JSON.stringify(this.options.topologyInput));
    const { startLinkProxy } = await import('../nats/loopback.js');
    const natsOf = transport === 'nats' ? await this.startNats() : undefined;
    if (transport === 'http') {
      for (const level of topology.levels.values()) {
        if (level.parent === undefined) continue;
        this.up.set(level.id, await startLinkProxy());
        this.down.set(level.id, await startLinkProxy());
      }
    }
    for (const level of topology.levels.values()) this.configs.set(level.id, this.writeConfig(level, natsOf));
    const tiers: Level[][] = [];
    for (const level of topology.bottomUp()) {
      const depth = this.depth(level);
      (tiers[depth] ??= []).push(level);
    }
    for (const tier of tiers) await Promise.all(tier.map((level) => this.launch(level.id)));
  }

  private depth(level: Level): number {
    return level.parent === undefined ? 0 : 1 + this.depth(this.options.topology.levels.get(level.parent)!);
  }

  /** A hub for the center, and a leaf server per region (for the region and its sites), each in its own JetStream domain. */
  private async startNats(): Promise<Map<string, { url: string; domain: string }>> {
    const { requireNatsServer, startLinkProxy, startNatsServer } = await import('../nats/index.js');
    requireNatsServer();
    const { topology } = this.options;
    const serverOf = new Map<string, { url: string; domain: string }>();
    // Each leaf reaches the hub only through its own link; the hub advertises an address no leaf
    // can dial, so a cut-off leaf cannot reconnect around its link.
    const hub = await startNatsServer('hub', this.dir, { domain: 'hub', leafListen: true, advertise: '127.0.0.1:1' });
    this.servers.push(hub);
    serverOf.set(topology.center.id, { url: hub.url, domain: 'hub' });
    for (const region of topology.children(topology.center.id)) {
      const proxy = await startLinkProxy();
      proxy.target = hub.leafnodes;
      this.leafLinks.set(region.id, proxy);
      const domain = `leaf-${region.id.replaceAll('.', '_')}`.slice(0, 64);
      const leaf = await startNatsServer(domain, this.dir, { domain, remote: proxy.address });
      this.servers.push(leaf);
      serverOf.set(region.id, { url: leaf.url, domain });
      for (const site of topology.children(region.id)) serverOf.set(site.id, { url: leaf.url, domain });
    }
    return serverOf;
  }

  private token(level: string): string {
    return `link-${level}-${this.secret}`;
  }

  private writeConfig(level: Level, natsOf: Map<string, { url: string; domain: string }> | undefined): string {
    const { topology, transport } = this.options;
    const children = topology.children(level.id).map((child) => child.id);
    const link =
      natsOf === undefined
        ? level.parent === undefined
          ? {}
          : { parent: { url: `http://${this.up.get(level.id)!.address}`, token: this.token(level.id) }, advertise: `http://${this.down.get(level.id)!.address}` }
        : {
            nats: {
              url: natsOf.get(level.id)!.url,
              domain: natsOf.get(level.id)!.domain,
              ...(level.parent === undefined ? {} : { parentDomain: natsOf.get(level.parent)!.domain }),
              childDomains: Object.fromEntries(children.map((child) => [child, natsOf.get(child)!.domain])),
            },
          };
    const config = {
      level: level.id,
      topology: 'topology.json',
      bindings: this.options.bindings,
      transport,
      ...link,
      listen: { host: '127.0.0.1', port: 0 },
      tokens: [{ name: 'simulator', sha256: hashToken(this.admin), roles: ['admin'] }, ...children.map((child) => ({ name: `link-${child}`, sha256: hashToken(this.token(child)), roles: ['level'], level: child }))],
      storage: { kind: 'sqlite', dir: join(this.dir, 'data', level.id) },
      flushInterval: `${this.options.flushMs}ms`,
      runner: this.options.runnerName,
    };
    const file = join(this.dir, `${level.id}.json`);
    mkdirSync(join(this.dir, 'data'), { recursive: true });
    writeFileSync(file, JSON.stringify(config));
    return file;
  }

  /** Starts a level's `edgesum serve` on its config (and store) and points the links at it. */
  private async launch(level: string): Promise<void> {
    const command = edgesumCommand();
    const child = spawn(process.execPath, [...command.args, 'serve', '--config', this.configs.get(level)!, '--json'], { cwd: command.cwd, env: command.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stderr!.on('data', (chunk: Buffer) => void (log = (log + chunk.toString()).slice(-4_000)));
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    const pending: NodeProcess = { child, url: '', exited };
    this.nodes.set(level, pending);
    const url = await new Promise<string>((done, fail) => {
      const failed = (why: string) => fail(childError(level, why, log));
      const timer = setTimeout(() => failed(`did not listen within ${startWithinMs / 1000} s`), startWithinMs);
      createInterface({ input: child.stdout! }).once('line', (line) => {
        clearTimeout(timer);
        try {
          done((JSON.parse(line) as { listening: string }).listening);
        } catch {
          failed('printed no listening line');
        }
      });
      void exited.then(() => {
        clearTimeout(timer);
        failed(`exited (${child.exitCode ?? child.signalCode}) before it listened`);
      });
    });
    this.nodes.set(level, { child, url, exited });
    const host = new URL(url).host;
    const down = this.down.get(level);
    if (down !== undefined) down.target = host;
    for (const child of this.options.topology.children(level)) {
      const up = this.up.get(child.id);
      if (up !== undefined) up.target = host;
    }
  }

  private url(level: string): string {
    return this.nodes.get(level)!.url;
  }

  /** @throws EdgesumError (`EDGESUM_UNREACHABLE`) when the level's process does not answer. */
  private async request(level: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
    try {
      const response = await fetch(new URL(path, this.url(level)), {
        method: body === undefined ? 'GET' : 'POST',
        headers: { authorization: `Bearer ${this.admin}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: response.status, text: await response.text() };
    } catch (error) {
      const exited = this.nodes.get(level)?.child.exitCode;
      throw new EdgesumError(ErrorCodes.Unreachable, `simulate: level ${level} did not answer ${path}${exited === null || exited === undefined ? '' : ` (its process exited with ${exited})`}`, { level, cause: error });
    }
  }

  /** Posts reports to the sites that own them, as their edges would; the caller holds those of killed sites. */
  async ingest(reports: readonly StatusReport[]): Promise<void> {
    const bySite = new Map<string, StatusReport[]>();
    for (const report of reports) {
      const site = this.options.topology.destinations.get(report.destination)!.parent;
      let batch = bySite.get(site);
      if (batch === undefined) bySite.set(site, (batch = []));
      batch.push(report);
    }
    await Promise.all(
      [...bySite].map(async ([site, batch]) => {
        for (let i = 0; i < batch.length; i += batchItems) {
          const { status, text } = await this.request(site, '/v1/reports', batch.slice(i, i + batchItems));
          if (status !== 200) throw new EdgesumError(ErrorCodes.Unreachable, `simulate: site ${site} refused a batch of reports (HTTP ${status}): ${text.slice(0, 300)}`, { level: site });
        }
      }),
    );
  }

  /** The center's summaries as a client reads them, or `undefined` while the center cannot answer. */
  async summaries(): Promise<unknown> {
    try {
      const { status, text } = await this.request(this.options.topology.center.id, '/v1/summaries');
      return status === 200 ? JSON.parse(text) : undefined;
    } catch {
      return undefined;
    }
  }

  async startRollout(spec: RolloutSpecInput): Promise<void> {
    const { status, text } = await this.request(this.options.topology.center.id, '/v1/rollouts', spec);
    if (status !== 201) throw new EdgesumError(ErrorCodes.InvalidRollout, `simulate: the center refused the rollout (HTTP ${status}): ${text.slice(0, 300)}`);
  }

  dead(level: string): boolean {
    return !this.nodes.has(level);
  }

  /** SIGKILLs a level's process, its metrics read just before; its store stays for {@link revive}. */
  async kill(level: string): Promise<void> {
    this.slow(level, false);
    const node = this.nodes.get(level)!;
    add(this.before, await this.scrape(level).catch(() => undefined));
    this.nodes.delete(level);
    node.child.kill('SIGKILL');
    await node.exited;
  }

  /** Starts a killed level's process again on the same config and store. */
  async revive(level: string): Promise<void> {
    await this.launch(level);
  }

  /** Cuts or restores a level's link to its parent: both proxies over HTTP, the region's leaf link over NATS. */
  async link(level: string, up: boolean): Promise<void> {
    const proxies = this.options.transport === 'nats' ? [this.leafLinks.get(level)!] : [this.up.get(level)!, this.down.get(level)!];
    for (const proxy of proxies) await (up ? proxy.restore() : proxy.cut());
  }

  /**
   * Makes a level a slow consumer, or no longer one: its process is stopped (SIGSTOP) but for a
   * tenth of every second, so partials and directives queue up for it (in JetStream over NATS, in
   * its children's retries over HTTP).
   */
  slow(level: string, on: boolean): void {
    const timer = this.slowTimers.get(level);
    if (timer !== undefined) clearInterval(timer);
    this.slowTimers.delete(level);
    const signal = (name: NodeJS.Signals) => {
      const node = this.nodes.get(level);
      if (node !== undefined && node.child.exitCode === null && node.child.signalCode === null) node.child.kill(name);
    };
    if (!on) return signal('SIGCONT');
    signal('SIGSTOP');
    this.slowTimers.set(
      level,
      setInterval(() => {
        signal('SIGCONT');
        setTimeout(() => this.slowTimers.has(level) && signal('SIGSTOP'), slowRunMs).unref();
      }, 1_000).unref(),
    );
  }

  private async scrape(level: string): Promise<FleetTraffic> {
    const { status, text } = await this.request(level, '/metrics');
    if (status !== 200) throw new EdgesumError(ErrorCodes.Unreachable, `simulate: level ${level} did not serve its metrics (HTTP ${status})`, { level });
    const kind = this.options.topology.levels.get(level)!.kind;
    const traffic: FleetTraffic = { byLevel: { center: fresh(), region: fresh(), site: fresh() }, centerInboundBytes: 0 };
    for (const line of text.split('\n')) {
      const match = /^edgesum_transport_(messages|bytes)_total\{([^}]*)\} (\d+)/.exec(line);
      if (match === null) continue;
      const [, what, labelText, value] = match as unknown as [string, 'messages' | 'bytes', string, string];
      const labels = Object.fromEntries([...labelText.matchAll(/(\w+)="([^"]*)"/g)].map(([, name, text]) => [name, text]));
      const direction = labels.direction === 'down' ? 'down' : 'up';
      if (labels.way === 'sent') traffic.byLevel[kind][direction][what] += Number(value);
      else if (kind === 'center' && direction === 'up' && what === 'bytes') traffic.centerInboundBytes += Number(value);
    }
    return traffic;
  }

  /** The traffic every process counted, those killed on the way included. */
  async traffic(): Promise<FleetTraffic> {
    const total: FleetTraffic = structuredClone(this.before);
    for (const level of this.nodes.keys()) add(total, await this.scrape(level));
    return total;
  }

  /** Kills every process (nodes, then servers), closes the proxies and removes the folder. */
  async close(): Promise<void> {
    for (const timer of this.slowTimers.values()) clearInterval(timer);
    this.slowTimers.clear();
    await Promise.allSettled(
      [...this.nodes.values()].map((node) => {
        node.child.kill('SIGKILL');
        return node.exited;
      }),
    );
    this.nodes.clear();
    await Promise.allSettled(this.servers.map((server) => server.stop()));
    await Promise.allSettled([...this.up.values(), ...this.down.values(), ...this.leafLinks.values()].map((proxy) => proxy.close()));
    process.off('exit', this.killAll);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Why a node process did not start: the error it printed, with its own code (a config it refused,
 * a package it misses), or else `EDGESUM_UNREACHABLE` with its last log lines.
 */
function childError(level: string, why: string, log: string): EdgesumError {
  const lines = log.trim().split('\n');
  try {
    const { error } = JSON.parse(lines.at(-1) ?? '') as { error?: { code?: unknown; message?: unknown } };
    const code = (Object.values(ErrorCodes) as unknown[]).includes(error?.code) ? (error!.code as ErrorCode) : undefined;
    if (code !== undefined && typeof error!.message === 'string') return new EdgesumError(code, `simulate: edgesum serve of level ${level} ${why}: ${error!.message}`, { level });
  } catch {
    // Not an error line: the log tells what happened.
  }
  return new EdgesumError(ErrorCodes.Unreachable, `simulate: edgesum serve of level ${level} ${why}; its last log lines:\n${lines.slice(-5).join('\n')}`, { level });
}

function fresh(): { up: Traffic; down: Traffic } {
  return { up: { messages: 0, bytes: 0 }, down: { messages: 0, bytes: 0 } };
}

function add(total: FleetTraffic, more: FleetTraffic | undefined): void {
  if (more === undefined) return;
  for (const kind of ['center', 'region', 'site'] as const) {
    for (const direction of ['up', 'down'] as const) {
      total.byLevel[kind][direction].messages += more.byLevel[kind][direction].messages;
      total.byLevel[kind][direction].bytes += more.byLevel[kind][direction].bytes;
    }
  }
  total.centerInboundBytes += more.centerInboundBytes;
}

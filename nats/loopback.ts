/**
 * nats-server processes on loopback for `edgesum simulate --transport nats` and the NATS tests: a
 * hub and leaf servers, each with its own JetStream domain and store, and a TCP proxy in front of
 * the hub's leafnode listener that is cut and restored to take one leaf off the hub.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { EdgesumError, ErrorCodes } from '../core/errors.js';

/** The server binary: `$NATS_SERVER`, else where Debian's `nats-server` package installs it, else the PATH. */
function natsServerBinary(): string {
  return process.env.NATS_SERVER ?? (existsSync('/usr/sbin/nats-server') ? '/usr/sbin/nats-server' : 'nats-server');
}

/**
 * Checks that nats-server can run.
 *
 * @throws EdgesumError (`EDGESUM_UNREACHABLE`) naming the binary and the package to install.
 */
export function requireNatsServer(): void {
  const binary = natsServerBinary();
  const probe = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  if (probe.error !== undefined || probe.status !== 0) {
    throw new EdgesumError(ErrorCodes.Unreachable, `nats-server is not installed (${binary}: ${probe.error?.message ?? probe.stderr}); install the nats-server package (apt-get install nats-server) or set NATS_SERVER`);
  }
}

/** A running nats-server. */
export interface NatsServer {
  readonly url: string;
  /** `host:port` of its leafnode listener, on a hub. */
  readonly leafnodes: string | undefined;
  /** The server's process id, for a caller that must kill it synchronously as its own process exits. */
  readonly pid: number | undefined;
  readonly log: () => string;
  stop(): Promise<void>;
}

/**
 * Starts nats-server with a config written to `dir`, on random loopback ports it reports once it
 * listens. `remote` makes it a leaf of the hub at that address; `advertise` is what a hub tells its
 * leaves to dial, so a leaf that reconnects comes back the same way. `maxPayload` (as nats-server
 * writes sizes, `8MB` when absent) is the largest message it takes.
 */
export async function startNatsServer(name: string, dir: string, config: { domain: string; leafListen?: boolean; advertise?: string; remote?: string; maxPayload?: string }): Promise<NatsServer> {
  const store = join(dir, `${name}-js`);
  mkdirSync(store, { recursive: true });
  const lines = [
    `server_name: ${name}`,
    'listen: "127.0.0.1:-1"',
    // Partials of many groups outgrow the 1MB default; 8MB is as far as nats-server goes without a warning.
    `max_payload: ${config.maxPayload ?? '8MB'}`,
    `jetstream { store_dir: "${store}", domain: ${config.domain} }`,
    ...(config.leafListen === true ? [`leafnodes { listen: "127.0.0.1:-1"${config.advertise === undefined ? '' : `, advertise: "${config.advertise}"`} }`] : []),
    ...(config.remote === undefined ? [] : [`leafnodes { reconnect: 1, remotes: [ { url: "nats-leaf://${config.remote}" } ] }`]),
  ];
  const file = join(dir, `${name}.conf`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  const child = spawn(natsServerBinary(), ['-c', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const ready = await new Promise<{ url: string; leafnodes: string | undefined }>((done, fail) => {
    let url: string | undefined;
    let leafnodes: string | undefined;
    const reader = createInterface({ input: child.stderr! });
    reader.on('line', (line) => {
      log += `${line}\n`;
      url ??= /Listening for client connections on (\S+)/.exec(line)?.[1];
      leafnodes ??= /Listening for leafnode connections on (\S+)/.exec(line)?.[1];
      if (/Server is ready/.test(line) && url !== undefined) done({ url: `nats://${url}`, leafnodes });
    });
    child.once('error', (error) => fail(new EdgesumError(ErrorCodes.Unreachable, `nats-server ${name} did not start: ${error.message}`)));
    void exited.then(() => fail(new EdgesumError(ErrorCodes.Unreachable, `nats-server ${name} exited before it was ready:\n${log.slice(-2_000)}`)));
  });
  return {
    ...ready,
    pid: child.pid,
    log: () => log,
    stop: () => kill(child, exited),
  };
}

async function kill(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await exited;
}

/** A TCP proxy whose link can be cut (every connection dropped, new ones refused) and restored. */
export interface LinkProxy {
  /** `127.0.0.1:port` it listens on. */
  address: string;
  /** Where it forwards to; set before the first connection arrives. */
  target: string | undefined;
  cut(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

/** Starts a {@link LinkProxy} on a free loopback port, link up. */
export async function startLinkProxy(): Promise<LinkProxy> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const proxy: LinkProxy = {
    address: '',
    target: undefined,
    cut: async () => {
      const closing = server;
      server = undefined;
      for (const socket of sockets) socket.destroy();
      sockets.clear();
      if (closing !== undefined) await new Promise<void>((done) => closing.close(() => done()));
    },
    restore: async () => {
      if (server !== undefined) return;
      server = createServer((inbound) => {
        const [host, targetPort] = proxy.target!.split(':');
        const outbound = connect(Number(targetPort), host);
        for (const socket of [inbound, outbound]) {
          sockets.add(socket);
          socket.on('error', () => undefined);
          socket.on('close', () => {
            sockets.delete(socket);
            inbound.destroy();
            outbound.destroy();
          });
        }
        inbound.pipe(outbound).pipe(inbound);
      });
      const listening = server;
      await new Promise<void>((done, fail) => {
        listening.once('error', fail);
        listening.listen(port, '127.0.0.1', () => done());
      });
      port = (listening.address() as { port: number }).port;
    },
    close: async () => proxy.cut(),
  };
  await proxy.restore();
  proxy.address = `127.0.0.1:${port}`;
  return proxy;
}

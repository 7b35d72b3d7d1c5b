import { Registry } from 'prom-client';
import { systemClock, systemScheduler, type Clock, type Scheduler } from '../core/clock/index.js';
import { ErrorCodes, ValidationError } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/log/index.js';
import { Topology } from '../core/model/index.js';
import type { LevelNode } from '../core/node/index.js';
import { MemoryNodeStore, type NodeStore } from '../core/storage/index.js';
import type { Transport } from '../core/transport/index.js';
import type { NatsTransport } from '../nats/index.js';
import { buildServer, type ServedNode } from '../server/app.js';
import { TokenAuthority } from '../server/auth.js';
import type { LoadedServeConfig } from '../server/config.js';
import { HttpTransport } from '../server/http-transport.js';
import { openSqliteStore } from '../sqlite/store.js';
import { MeteredTransport } from './traffic.js';
import { createLevelContainer, createRootContainer, runnerNamed, Tokens } from './container.js';

/** What a served node may be given instead of the defaults. */
export interface ServeOptions {
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly registry?: Registry;
  /** Runs the node's steps; the wall clock's timer when absent. */
  readonly scheduler?: Scheduler;
}

/** A level node serving over HTTP, with its own store, runner and work loop. */
export interface ServedLevel {
  /** The base URL it listens on. */
  readonly url: string;
  readonly node: LevelNode;
  /** Stops the loop, closes the server and releases the runner and the store, in that order. */
  close(): Promise<void>;
}

/**
 * Serves one level node from a validated config: opens its store (SQLite by default), loads its
 * plugins, resumes from what the store holds, listens, and runs the node's `step` on the scheduler
 * every `flushInterval`: fold what changed, send the partial up (a heartbeat at least every five
 * intervals, with backoff while the parent refuses), let the rollouts decide and deliver their
 * directives. Children and edges keep working while the parent is down.
 */
export async function serveLevel(config: LoadedServeConfig, options: ServeOptions = {}): Promise<ServedLevel> {
  const topology = new Topology(config.topology);
  const level = topology.levels.get(config.level)!;
  const clock = options.clock ?? systemClock;
  const registry = options.registry ?? new Registry();
  const logger = options.logger ?? silentLogger;
  const http =
    config.transport === 'http'
      ? new HttpTransport({
          self: level.id,
          parent: level.parent === undefined || config.parent === undefined ? undefined : { id: level.parent, url: config.parent.url, token: config.parent.token },
          advertise: config.advertise,
        })
      : undefined;
  const nats = http === undefined ? await openNats(config, topology, logger) : undefined;
  const transport: Transport & { close?: () => Promise<void> } = http ?? nats!;
  let store: NodeStore;
  try {
    store = config.storage.kind === 'sqlite' ? await openSqliteStore(config.storage.dir) : new MemoryNodeStore();
  } catch (error) {
    await transport.close?.();
    throw error;
  }
  const runner = runnerNamed(config.runner, config.limits.plugin, logger);
  const root = createRootContainer(topology, config.bindings, {
    clock,
    logger,
    registry,
    transport: new MeteredTransport(transport, level.id, registry),
    runner,
    store: () => store,
    nodeOptions: {
      heartbeatMs: config.flushInterval * 5,
      unreachableAfterMs: config.unreachableAfter,
      forwardRetry: { initialMs: Math.min(500, config.flushInterval), maxMs: 30_000 },
    },
  });
  const node = createLevelContainer(root, level).resolve(Tokens.LevelNode);
  try {
    await node.start();
  } catch (error) {
    await runner.dispose();
    store.close();
    await transport.close?.();
    throw error;
  }

  const served: ServedNode = {
    id: node.id,
    kind: node.kind,
    ingest: async (items) => node.ingest(items),
    summaries: () => node.summaries(),
    summary: (name) => node.summary(name),
    destinationStatus: (destination) => node.destinationStatus(destination),
    edgeDirective: (destination) => node.rollouts.directiveFor(destination),
    receivePartial: async (message, link) => {
      const over = httpOnly(http, config);
      over.learn(message.from, link);
      await over.local.onPartial(message);
    },
    receiveDirective: (message) => httpOnly(http, config).local.onDirective(message),
    ready: () => nats?.ready() ?? true,
    rollouts: {
      start: async (spec) => {
        if (node.kind !== 'center') throw new ValidationError(ErrorCodes.InvalidRollout, `rollouts start at the center; level ${node.id} is a ${node.kind}`);
        await node.startRollout(spec);
        const id = (spec as { id: string }).id;
        return node.rollouts.status(id);
      },
      list: () => node.rollouts.ids().map((id) => ({ id, ...node.rollouts.progress(id) })),
      status: (id) => node.rollouts.status(id),
      command: (id, command) => {
        node.commandRollout(id, command);
        return node.rollouts.progress(id);
      },
    },
  };
  const server = buildServer({
    node: served,
    auth: new TokenAuthority(config.tokens),
    registry,
    limits: { bodyBytes: config.limits.bodyBytes, batchItems: config.limits.batchItems, requestTimeoutMs: config.limits.requestTimeout },
    parentToken: config.parent?.token,
  });
  try {
    await server.listen({ host: config.listen.host, port: config.listen.port });
  } catch (error) {
    node.stop();
    await runner.dispose();
    store.close();
    await transport.close?.();
    throw new ValidationError(ErrorCodes.InvalidConfig, `${config.file}: listen: cannot listen on ${config.listen.host}:${config.listen.port} (${(error as NodeJS.ErrnoException).code ?? 'error'})`, { cause: error });
  }
  const address = server.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.listen.port;
  const url = `http://${config.listen.host.includes(':') ? `[${config.listen.host}]` : config.listen.host}:${port}`;
  http?.advertiseAt(url);

  const loop = (options.scheduler ?? systemScheduler).every(config.flushInterval, () => node.step());
  return {
    url,
    node,
    async close() {
      await loop.stop();
      await server.close();
      node.stop();
      await transport.close?.();
      await runner.dispose();
      store.close();
    },
  };
}

/** Over NATS, partials and directives never arrive over HTTP: a peer posting them is misconfigured. */
function httpOnly(http: HttpTransport | undefined, config: LoadedServeConfig): HttpTransport {
  if (http === undefined) throw new ValidationError(ErrorCodes.InvalidConfig, `level ${config.level} exchanges partials and directives over NATS, not HTTP`);
  return http;
}

/** Loads the NATS transport only when a config asks for it, so nodes on HTTP never load the client. */
async function openNats(config: LoadedServeConfig, topology: Topology, logger: Logger): Promise<NatsTransport> {
  const nats = config.nats!;
  const level = topology.levels.get(config.level)!;
  const { connectNatsTransport } = await import('../nats/index.js');
  return connectNatsTransport({
    self: level.id,
    parent: level.parent,
    children: topology.children(level.id).map((child) => child.id),
    servers: typeof nats.url === 'string' ? [nats.url] : nats.url,
    domain: nats.domain,
    parentDomain: nats.parentDomain,
    childDomains: nats.childDomains,
    credentials: nats.credentials,
    user: nats.user,
    password: nats.password,
    timeoutMs: nats.timeout,
    logger,
  });
}

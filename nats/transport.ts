import { readFileSync } from 'node:fs';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, StorageType, type ConsumerConfig, type JetStreamClient, type JetStreamManager, type JsMsg, type StreamConfig } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { connect, credsAuthenticator, nanos, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { z } from 'zod';
import { EdgesumError, ErrorCodes, type ErrorCode } from '../core/errors.js';
import type { Logger } from '../core/log/index.js';
import { IdSchema, parseOrThrow } from '../core/model/index.js';
import { DestinationStatusSchema, DirectiveMessageSchema, PartialMessageSchema, type DestinationStatus, type DirectiveMessage, type LevelEndpoint, type PartialMessage, type Transport } from '../core/transport/index.js';
import { grantKey, grantsBucket, grantsConsumer, grantsFilter, grantsStream, inConsumer, directiveMsgId, inStream, partialMsgId, statusSubject, upStream, upSubject } from './names.js';

/** What the NATS transport of one served node is built from. */
export interface NatsTransportOptions {
  /** The level this process serves. */
  readonly self: string;
  /** Its parent level, absent at the center. */
  readonly parent?: string | undefined;
  /** Its child levels, whose partials it sources. */
  readonly children: readonly string[];
  /** URLs of the NATS server this node connects to: the hub, or the leaf server of its site. */
  readonly servers: readonly string[];
  /** The JetStream domain of that server. */
  readonly domain?: string | undefined;
  /** The JetStream domain where the parent keeps its grants; this node's own domain when absent. */
  readonly parentDomain?: string | undefined;
  /** The JetStream domain of each child's server; this node's own domain for a child not named. */
  readonly childDomains?: Readonly<Record<string, string>>;
  /** A `.creds` file (JWT and NKey seed) to authenticate with. */
  readonly credentials?: string | undefined;
  readonly user?: string | undefined;
  readonly password?: string | undefined;
  /** Longest wait for one acknowledgement or reply. */
  readonly timeoutMs?: number;
  /** How long a parent keeps a message id to drop a copy sourced again (kept short: see below). */
  readonly dedupeWindowMs?: number;
  readonly logger: Logger;
}

/** Partials kept per level in a stream: they are latest-state messages, so only the newest matter. */
const partialsKept = 64;

const StatusRequestSchema = z.strictObject({ destination: IdSchema });
const StatusReplySchema = z.union([
  z.strictObject({ ok: z.literal(true), status: DestinationStatusSchema }),
  z.strictObject({ ok: z.literal(false), code: z.string().max(64), message: z.string().max(2_000) }),
]);

/**
 * Connects a level node to NATS and sets up its JetStream resources: the stream of its own
 * partials (in its own domain, so a site whose leaf server lost the hub keeps persisting them),
 * and, for a parent, the stream sourcing its children's partials and the grants bucket.
 *
 * @throws EdgesumError (`EDGESUM_UNREACHABLE`) when the server cannot be reached or refuses the setup.
 */
export async function connectNatsTransport(options: NatsTransportOptions): Promise<NatsTransport> {
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers: [...options.servers],
      name: `edgesum-${options.self}`,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      timeout: options.timeoutMs ?? 5_000,
      ...(options.credentials === undefined ? {} : { authenticator: credsAuthenticator(readFileSync(options.credentials)) }),
      ...(options.user === undefined ? {} : { user: options.user, pass: options.password ?? '' }),
    });
  } catch (error) {
    throw unreachable(options.self, `cannot connect to NATS at ${options.servers.join(', ')} (${describe(error)})`);
  }
  const transport = new NatsTransport(nc, options);
  try {
    await transport.setUp();
  } catch (error) {
    await nc.close();
    throw unreachable(options.self, `cannot set up its JetStream streams in domain ${options.domain ?? '(default)'} (${describe(error)})`);
  }
  return transport;
}

/**
 * The transport of a level node over NATS JetStream. Up: a level publishes each partial to its own
 * subject, into a stream in its own JetStream domain, with the message id (level, epoch, seq); the
 * parent's stream sources the streams of all its children across domains, and the parent reads it
 * with a durable consumer, acknowledging a partial once the node has stored it. Down: a parent puts
 * its latest directive for each (child, rollout) in the KV bucket of its domain; each child reads
 * its keys with a durable consumer. Status queries are NATS requests to the level asked.
 *
 * On nats-server 2.9 a message id already held by the parent's stream stalls sourcing until the
 * dedupe window passes (fixed upstream in 2.12.6), so the parent's window is short and the node's
 * processing is idempotent on (level, epoch, seq) instead.
 */
export class NatsTransport implements Transport {
  private readonly js: JetStreamClient;
  private readonly timeoutMs: number;
  private endpoint: LevelEndpoint | undefined;
  private readonly loops: Promise<void>[] = [];
  private subscription: Subscription | undefined;
  private grants: Promise<KV> | undefined;
  private lastPublished: { epoch: number; seq: number } | undefined;
  private closed = false;
  private connected = true;
  /** The kinds of message ('partial', 'directive') whose last send was refused as too large, each logged once. */
  private readonly tooLarge = new Set<'partial' | 'directive'>();
  private readonly stopped = new AbortController();

  constructor(
    private readonly nc: NatsConnection,
    private readonly options: NatsTransportOptions,
  ) {
    this.js = jetstream(nc, { ...domainOf(options.domain), timeout: options.timeoutMs ?? 5_000 });
    this.timeoutMs = options.timeoutMs ?? 5_000;
    void this.watchConnection().catch(() => (this.connected = false));
  }

  /** Whether the connection to its NATS server is up: a served node is not ready while it is not. */
  ready(): boolean {
    return this.connected && !this.closed && !this.nc.isClosed();
  }

  private async watchConnection(): Promise<void> {
    for await (const status of this.nc.status()) {
      if (status.type === 'disconnect' || status.type === 'close') this.connected = false;
      else if (status.type === 'reconnect') this.connected = true;
    }
  }

  /** Creates or updates the streams this level owns and the grants bucket of its domain. */
  async setUp(): Promise<void> {
    const { self, parent, children } = this.options;
    const jsm = await jetstreamManager(this.nc, { ...domainOf(this.options.domain), timeout: this.timeoutMs });
    if (parent !== undefined) {
      await ensureStream(jsm, { name: upStream(self), subjects: [upSubject(self)], storage: StorageType.File, max_msgs_per_subject: partialsKept, duplicate_window: nanos(120_000) });
    }
    if (children.length > 0) {
      const sources = children.map((child) => {
        const domain = this.options.childDomains?.[child];
        return { name: upStream(child), ...(domain === undefined || domain === this.options.domain ? {} : { domain }) };
      });
      await ensureStream(jsm, { name: inStream(self), sources, storage: StorageType.File, max_msgs_per_subject: partialsKept, duplicate_window: nanos(this.options.dedupeWindowMs ?? 2_000) });
      await jsm.consumers.add(inStream(self), { durable_name: inConsumer(self), ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All, ack_wait: nanos(30_000) });
      this.grants = new Kvm(this.js).create(grantsBucket, { history: 1 });
      await this.grants;
    }
  }

  bind(level: string, endpoint: LevelEndpoint): void {
    if (level !== this.options.self || this.endpoint !== undefined) return;
    this.endpoint = endpoint;
    this.subscription = this.nc.subscribe(statusSubject(level), { callback: (error, msg) => void (error === null && this.answerStatus(msg.data, (data) => msg.respond(data))) });
    if (this.options.children.length > 0) {
      this.loops.push(this.pull(this.js, this.options.domain, inStream(level), { durable_name: inConsumer(level), ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All, ack_wait: nanos(30_000) }, (msg) => this.onPartialMsg(msg)));
    }
    if (this.options.parent !== undefined) {
      const domain = this.options.parentDomain ?? this.options.domain;
      const js = jetstream(this.nc, { ...domainOf(domain), timeout: this.timeoutMs });
      this.loops.push(
        this.pull(js, domain, grantsStream, { durable_name: grantsConsumer(level), ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.LastPerSubject, filter_subject: grantsFilter(level), ack_wait: nanos(30_000) }, (msg) =>
          this.onGrantMsg(msg),
        ),
      );
    }
  }

  unbind(level: string): void {
    if (level !== this.options.self) return;
    this.endpoint = undefined;
    this.subscription?.unsubscribe();
    this.subscription = undefined;
  }

  async sendPartial(to: string, message: PartialMessage): Promise<void> {
    const { self, parent } = this.options;
    if (parent !== to || message.from !== self) throw unreachable(to, `level ${self} has no link to "${to}"`);
    const last = this.lastPublished;
    const beat = last !== undefined && last.epoch === message.epoch && last.seq === message.seq ? Date.parse(message.sentAt) : undefined;
    const data = this.withinMaxPayload('partial', to, JSON.stringify(message));
    try {
      await this.js.publish(upSubject(self), data, { msgID: partialMsgId(self, message.epoch, message.seq, beat), timeout: this.timeoutMs });
    } catch (error) {
      throw unreachable(to, `level ${self} could not persist its partial for ${to} in JetStream (${describe(error)})`);
    }
    this.lastPublished = { epoch: message.epoch, seq: message.seq };
    this.tooLarge.delete('partial');
  }

  async sendDirective(to: string, message: DirectiveMessage): Promise<void> {
    if (this.grants === undefined || !this.options.children.includes(to)) throw unreachable(to, `level ${this.options.self} has no child "${to}"`);
    const data = this.withinMaxPayload('directive', to, JSON.stringify(message));
    try {
      await this.grants;
      // A put into the bucket's stream directly, to give it a message id: a directive resent after
      // a lost acknowledgement is dropped by the bucket's dedupe window instead of stored twice.
      await this.js.publish(`$KV.${grantsBucket}.${grantKey(to, message.rollout.id)}`, data, { msgID: directiveMsgId(message.from, to, message.rollout.id, message.seq), timeout: this.timeoutMs });
    } catch (error) {
      throw unreachable(to, `level ${this.options.self} could not store the directive for ${to} in bucket ${grantsBucket} (${describe(error)})`);
    }
    this.tooLarge.delete('directive');
  }

  /**
   * Refuses a message above the server's `max_payload` before it goes anywhere: the client would
   * refuse it too, but as an error that looks like a lost link. The refusal is logged once, until a
   * message of that kind is accepted again; the node sends its next one on its own backoff.
   *
   * @throws EdgesumError (`EDGESUM_MESSAGE_TOO_LARGE`) naming the level, the size and the limit.
   */
  private withinMaxPayload(kind: 'partial' | 'directive', to: string, data: string): string {
    const max = this.nc.info?.max_payload;
    const bytes = Buffer.byteLength(data);
    if (max === undefined || bytes <= max) return data;
    const error = new EdgesumError(ErrorCodes.MessageTooLarge, `level ${this.options.self}: its ${kind} for ${to} is ${bytes} bytes, above the NATS server's max_payload of ${max} bytes`, { level: this.options.self });
    if (!this.tooLarge.has(kind)) this.options.logger.error(`a ${kind} is too large for NATS; it is not sent until it fits`, { level: this.options.self, to, bytes, maxPayload: max, code: error.code });
    this.tooLarge.add(kind);
    throw error;
  }

  async queryStatus(to: string, destination: string): Promise<DestinationStatus> {
    let data: Uint8Array;
    try {
      data = (await this.nc.request(statusSubject(to), JSON.stringify({ destination }), { timeout: this.timeoutMs })).data;
    } catch (error) {
      throw unreachable(to, `level ${to} did not answer the status query for ${destination} (${describe(error)})`);
    }
    const reply = parseOrThrow(StatusReplySchema, parseJson(data), `status reply from ${to}`, ErrorCodes.Unreachable);
    if (reply.ok) return reply.status;
    const code = (Object.values(ErrorCodes) as string[]).includes(reply.code) ? (reply.code as ErrorCode) : ErrorCodes.Unreachable;
    throw new EdgesumError(code, reply.message, { level: to });
  }

  /** Stops every consumer loop and closes the connection. */
  async close(): Promise<void> {
    this.closed = true;
    this.stopped.abort();
    this.unbind(this.options.self);
    // Closing first ends the pending fetches at once instead of at their expiry.
    await this.nc.close();
    await Promise.allSettled(this.loops);
  }

  private async answerStatus(data: Uint8Array, respond: (data: string) => boolean): Promise<void> {
    let reply: z.input<typeof StatusReplySchema>;
    try {
      const { destination } = parseOrThrow(StatusRequestSchema, parseJson(data), 'status query', ErrorCodes.InvalidReport);
      if (this.endpoint === undefined) throw unreachable(this.options.self, `level ${this.options.self} is not serving`);
      reply = { ok: true, status: await this.endpoint.onStatusQuery(destination) };
    } catch (error) {
      const typed = error instanceof EdgesumError;
      reply = { ok: false, code: typed ? error.code : ErrorCodes.Unreachable, message: typed ? error.message.slice(0, 2_000) : `level ${this.options.self} failed to read the status` };
    }
    respond(JSON.stringify(reply));
  }

  private async onPartialMsg(msg: JsMsg): Promise<void> {
    const message = PartialMessageSchema.safeParse(parseJson(msg.data));
    const child = message.success ? message.data.from : undefined;
    if (!message.success || child === undefined || !this.options.children.includes(child) || msg.subject !== upSubject(child)) {
      this.options.logger.warn('dropping a message on the partials stream that is not a partial of a child', { level: this.options.self, subject: msg.subject, seq: msg.seq });
      msg.term();
      return;
    }
    await this.endpoint!.onPartial(message.data);
  }

  private async onGrantMsg(msg: JsMsg): Promise<void> {
    // A deleted or purged key carries no directive.
    if (msg.data.length === 0) return;
    const message = DirectiveMessageSchema.safeParse(parseJson(msg.data));
    if (!message.success || message.data.from !== this.options.parent || msg.subject !== `$KV.${grantsBucket}.${grantKey(this.options.self, message.data.rollout.id)}`) {
      this.options.logger.warn('dropping a grant that is not a directive from the parent', { level: this.options.self, subject: msg.subject, seq: msg.seq });
      msg.term();
      return;
    }
    await this.endpoint!.onDirective(message.data);
  }

  /**
   * Reads a durable pull consumer until closed: a batch at a time, acknowledging each message once
   * `handle` resolved and asking for it again later when it threw. A consumer in another domain is
   * unreachable while the leaf link is down, so every failure waits and starts over.
   */
  private async pull(js: JetStreamClient, domain: string | undefined, stream: string, config: Partial<ConsumerConfig> & { durable_name: string }, handle: (msg: JsMsg) => Promise<void>): Promise<void> {
    let created = false;
    let failures = 0;
    while (!this.closed) {
      try {
        if (!created) {
          const jsm = await jetstreamManager(this.nc, { ...domainOf(domain), timeout: this.timeoutMs });
          await jsm.consumers.add(stream, config);
          created = true;
        }
        const consumer = await js.consumers.get(stream, config.durable_name);
        while (!this.closed) {
          const messages = await consumer.fetch({ max_messages: 256, expires: 2_000 });
          for await (const msg of messages) {
            if (this.endpoint === undefined) {
              msg.nak(1_000);
              continue;
            }
            try {
              await handle(msg);
              msg.ack();
            } catch (error) {
              this.options.logger.warn('a message could not be processed; it is delivered again', { level: this.options.self, stream, error: describe(error) });
              msg.nak(1_000);
            }
          }
          failures = 0;
        }
      } catch (error) {
        if (this.closed) return;
        failures++;
        if (failures === 1 || failures % 30 === 0) this.options.logger.warn('a JetStream consumer is not reachable; retrying', { level: this.options.self, stream, domain: domain ?? null, error: describe(error) });
        await pause(Math.min(2_000, 250 * failures), this.stopped.signal);
      }
    }
  }
}

async function ensureStream(jsm: JetStreamManager, config: Partial<StreamConfig> & { name: string }): Promise<void> {
  try {
    await jsm.streams.info(config.name);
  } catch {
    await jsm.streams.add(config);
    return;
  }
  await jsm.streams.update(config.name, config);
}

function domainOf(domain: string | undefined): { domain?: string } {
  return domain === undefined ? {} : { domain };
}

function parseJson(data: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(data));
  } catch {
    return undefined;
  }
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message.slice(0, 300) : String(error);
}

function unreachable(level: string, why: string): EdgesumError {
  return new EdgesumError(ErrorCodes.Unreachable, why, { level });
}

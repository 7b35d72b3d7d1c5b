import { Worker } from 'node:worker_threads';
import { EdgesumError, ErrorCodes, PluginLoadError, PluginMemoryError, PluginThrewError, type ErrorDetails } from '../../core/errors.js';
import type { PluginInfo, PluginLimits, PluginSource } from '../../core/ports/plugin-runner.js';
import type { GuestScript, PluginBundle } from '../bundle.js';
import { toPluginError } from '../quickjs/failures.js';
import type { ThreadData, ThreadLoaded, ThreadReply, ThreadRequestBody } from './protocol.js';
import { GuestCellReader, newGuestCell, type GuestStretch } from './watchdog.js';
import { fromWireError, toWireError } from './wire-error.js';

/**
 * What a request resolves to when its thread was terminated for another request's overrun before
 * this one ran: the caller sends it again, to the thread that replaces it.
 */
export const displaced: unique symbol = Symbol('displaced');

/** A plugin as the threads know it: enough to load it again in a replacement thread. */
export interface ThreadPlugin {
  /** The runner's id for it, the same in every thread. */
  readonly id: number;
  readonly kind: PluginInfo['kind'];
  readonly source: PluginSource;
  /** Its effective limits, checked. */
  readonly limits: PluginLimits;
  /** The one build every thread runs, made by the host. */
  readonly bundle: PluginBundle;
}

/** How a {@link ThreadPool} starts its threads. */
export interface ThreadOptions {
  /** The runner's name, for messages. */
  readonly runner: string;
  /** The module every thread runs (see `entry.ts`). */
  readonly entry: URL;
  readonly seed: number | undefined;
  /** How long past a call's deadline the host waits before it terminates the thread. */
  readonly graceMs: number;
  /** Whether each thread keeps a warm spare runtime. */
  readonly warmSpare: boolean;
}

/** The worker threads of one runner, and how calls are dealt to them. */
export class ThreadPool {
  private readonly lanes: ThreadLane[];
  private nextLane = 0;
  private closed = false;

  constructor(workers: number, options: ThreadOptions) {
    this.lanes = Array.from({ length: workers }, (_, index) => new ThreadLane(index, options));
  }

  /** How many threads calls are dealt to. */
  get size(): number {
    return this.lanes.length;
  }

  /** Loads `plugin` in every thread at once and returns the first thread's answer. */
  async load(plugin: ThreadPlugin): Promise<ThreadLoaded> {
    this.assertOpen({ plugin: plugin.source.spec });
    const settled = await Promise.allSettled(this.lanes.map((_, lane) => this.loadedIn(lane, plugin, { plugin: plugin.source.spec })));
    const failed = settled.find((outcome) => outcome.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    return (settled[0] as PromiseFulfilledResult<{ loaded: ThreadLoaded }>).value.loaded;
  }

  /**
   * Runs one request in the thread of `lane`, or the next thread in turn. The request is built only
   * once the thread holds the plugin, so a split call serializes its second slice while the first
   * thread is already at work on its own, and with that thread's answer to whether it reads binary
   * JSON items.
   */
  async run(plugin: ThreadPlugin, request: (binaryJson: boolean) => ThreadRequestBody, where: ErrorDetails, lane = this.take()): Promise<unknown> {
    for (;;) {
      const { thread, loaded } = await this.loadedIn(lane, plugin, where);
      const result = await thread.request(request(loaded.binaryJson === true), { where, limits: plugin.limits, bundle: plugin.bundle });
      if (result !== displaced) return result;
    }
  }

  /** The WebAssembly heap of every live thread, in bytes, as each last published it. */
  memoryBytes(): number {
    return this.lanes.reduce((sum, lane) => sum + lane.memoryBytes(), 0);
  }

  /** Ends every thread, those being replaced included; later calls fail. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.lanes.map((lane) => lane.close()));
  }

  /** @throws PluginLoadError once {@link close} was called. */
  assertOpen(where: ErrorDetails): void {
    if (this.closed) throw new PluginLoadError(ErrorCodes.PluginLoad, `${where.plugin}: the QuickJS runner was disposed`, where);
  }

  private take(): number {
    const lane = this.nextLane;
    this.nextLane = (lane + 1) % this.lanes.length;
    return lane;
  }

  /** The live thread of `lane` once it holds `plugin`, through as many replacements as that takes. */
  private async loadedIn(lane: number, plugin: ThreadPlugin, where: ErrorDetails): Promise<{ thread: WorkerThread; loaded: ThreadLoaded }> {
    for (;;) {
      this.assertOpen(where);
      const thread = this.lanes[lane]!.thread(plugin.bundle.shim);
      const loaded = await this.loaded(thread, plugin);
      if (loaded !== displaced) return { thread, loaded };
    }
  }

  /** The plugin's load answer from `thread`, loading it there first if this thread has not yet. */
  private loaded(thread: WorkerThread, plugin: ThreadPlugin): Promise<ThreadLoaded | typeof displaced> {
    let loading = thread.plugins.get(plugin.id);
    if (loading === undefined) {
      const { id, kind, source, bundle, limits } = plugin;
      loading = thread.request({ type: 'load', plugin: id, kind, source, bundle, limits }, { where: { plugin: source.spec, hook: 'describe' }, limits, bundle }) as Promise<ThreadLoaded | typeof displaced>;
      thread.plugins.set(id, loading);
      // A failed load is not remembered: the next call tries again rather than failing forever.
      loading.catch(() => thread.plugins.delete(id));
    }
    return loading;
  }
}

/** One thread slot: its current thread, replaced by a new one after it died or was terminated. */
class ThreadLane {
  private current: WorkerThread | undefined;
  /** Threads this lane replaced that have not exited yet: {@link close} waits for them too. */
  private readonly retired = new Set<WorkerThread>();

  constructor(
    private readonly index: number,
    private readonly options: ThreadOptions,
  ) {}

  /** The live thread, started now (its spare booting with `shim`) if there is none. */
  thread(shim: GuestScript | undefined): WorkerThread {
    if (this.current !== undefined && this.current.alive) return this.current;
    const retiring = this.current;
    if (retiring !== undefined) {
      this.retired.add(retiring);
      void retiring.exited.then(() => this.retired.delete(retiring));
    }
    this.current = new WorkerThread(this.index, this.options, shim);
    return this.current;
  }

  /** The heap of the live thread, or 0 without one. */
  memoryBytes(): number {
    return this.current?.alive === true ? this.current.memoryBytes() : 0;
  }

  async close(): Promise<void> {
    const thread = this.current;
    this.current = undefined;
    await Promise.all([thread?.close(), ...[...this.retired].map((retired) => retired.exited)]);
  }
}

/** What the host needs to word the failure of a request itself. */
interface CallMeta {
  readonly where: ErrorDetails;
  readonly limits: PluginLimits;
  readonly bundle: PluginBundle;
}

interface Pending {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: EdgesumError) => void;
  readonly meta: CallMeta;
  readonly loading: boolean;
}

/**
 * One worker thread, the requests it has not answered, and its watchdog. The watchdog holds every
 * call to its time limit whatever the guest runs: while requests are pending it reads the guest
 * cell, and when a stretch of guest code is still running `graceMs` after its deadline (the in-VM
 * interrupt had that long to stop it, and did not: one long built-in call never reaches it), it
 * terminates the thread. That request fails with `PluginTimeoutError`; the others, which never got
 * to run, go to the thread that replaces this one.
 */
class WorkerThread {
  alive = true;
  /** The plugins loaded in this thread, by id; a replacement thread starts empty. */
  readonly plugins = new Map<number, Promise<ThreadLoaded | typeof displaced>>();
  /** Settles once the thread has exited, for whatever reason. */
  readonly exited: Promise<void>;
  private readonly worker: Worker;
  private readonly guest: GuestCellReader;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private closing = false;
  /** Set once the watchdog terminated the thread: requests that come too late go to its replacement. */
  private terminated = false;
  private watchdog: NodeJS.Timeout | undefined;

  constructor(
    private readonly index: number,
    private readonly options: ThreadOptions,
    shim: GuestScript | undefined,
  ) {
    const cell = newGuestCell();
    this.guest = new GuestCellReader(cell);
    this.worker = new Worker(options.entry, { workerData: { seed: options.seed, guest: cell, warmSpare: options.warmSpare, shim } satisfies ThreadData });
    // Only a thread with work in flight keeps the process alive (see request).
    this.worker.unref();
    this.worker.on('message', (reply: ThreadReply) => this.settle(reply));
    this.worker.on('error', (error) => this.fail(error));
    this.exited = new Promise((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.on('exit', (code) => this.fail(code));
  }

  /** The thread's WebAssembly heap as it last published it, in bytes. */
  memoryBytes(): number {
    return this.guest.heapBytes();
  }

  /** Sends a request; resolves to its reply's value, or to {@link displaced}. */
  request(body: ThreadRequestBody, meta: CallMeta): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const loading = body.type === 'load';
      if (this.terminated) return resolve(displaced);
      if (!this.alive) return reject(this.deathError(undefined, { resolve, reject, meta, loading }));
      const id = this.nextId++;
      if (this.pending.size === 0) {
        this.worker.ref();
        this.watch(this.options.graceMs);
      }
      this.pending.set(id, { resolve, reject, meta, loading });
      try {
        // Binary items move to the thread rather than being copied: each request encodes its own.
        const moved = body.type === 'reducer' && typeof body.items !== 'string' ? [body.items.buffer as ArrayBuffer] : [];
        this.worker.postMessage({ ...body, id }, moved);
      } catch (error) {
        // Nothing was sent: a reply will never come.
        this.settle({ id, ok: false, error: toWireError(error) });
      }
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    this.unwatch();
    // Terminating frees the thread's WebAssembly memory with it; nothing inside needs a goodbye.
    await this.worker.terminate();
  }

  private settle(reply: ThreadReply): void {
    const waiter = this.pending.get(reply.id);
    if (waiter === undefined) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) {
      this.worker.unref();
      this.unwatch();
    }
    if (reply.ok) waiter.resolve(reply.value);
    else waiter.reject(fromWireError(reply.error, waiter.meta.where));
  }

  /** Checks the guest cell in `delayMs`. */
  private watch(delayMs: number): void {
    this.watchdog = setTimeout(() => this.check(), delayMs);
    this.watchdog.unref();
  }

  private unwatch(): void {
    clearTimeout(this.watchdog);
    this.watchdog = undefined;
  }

  private check(): void {
    this.watchdog = undefined;
    if (!this.alive || this.pending.size === 0) return;
    const stretch = this.guest.read();
    // No guest code runs: any that starts before the next look gets its full deadline plus grace.
    if (stretch === undefined) return this.watch(this.options.graceMs);
    const left = stretch.deadline + BigInt(Math.ceil(this.options.graceMs * 1e6)) - process.hrtime.bigint();
    if (left > 0n) return this.watch(Math.ceil(Number(left) / 1e6));
    const culprit = this.pending.get(stretch.request);
    // The worker marks only requests it was sent; should the ids ever disagree, nothing is blamed.
    if (culprit === undefined) return this.watch(this.options.graceMs);
    this.terminate(culprit, stretch);
  }

  private terminate(culprit: Pending, stretch: GuestStretch): void {
    this.alive = false;
    this.terminated = true;
    const waiters = [...this.pending.values()];
    this.pending.clear();
    void this.worker.terminate();
    const { where, limits, bundle } = culprit.meta;
    culprit.reject(toPluginError({ breach: 'time', booting: stretch.booting }, where, limits, bundle));
    for (const waiter of waiters) if (waiter !== culprit) waiter.resolve(displaced);
  }

  private fail(reason: unknown): void {
    this.alive = false;
    this.unwatch();
    for (const waiter of this.pending.values()) waiter.reject(this.deathError(reason, waiter));
    this.pending.clear();
  }

  private deathError(reason: unknown, waiter: Pending): EdgesumError {
    const { where } = waiter.meta;
    if (this.closing) return new PluginLoadError(ErrorCodes.PluginLoad, `${where.plugin}: the QuickJS runner was disposed`, where);
    const running = waiter.loading ? `loading ${where.plugin}` : `running ${where.plugin}.${where.hook}${where.level === undefined ? '' : ` at level ${where.level}`}`;
    const what = typeof reason === 'number' ? `exited with code ${reason}` : reason === undefined ? 'had stopped' : `failed (${reason instanceof Error ? reason.message : String(reason)})`;
    const message = `${this.options.runner}: worker ${this.index} ${what} while ${running}; the next call starts a new worker`;
    const details = { ...where, ...(reason instanceof Error ? { cause: reason } : {}) };
    if (waiter.loading) return new PluginLoadError(ErrorCodes.PluginLoad, message, details);
    if ((reason as { code?: unknown } | undefined)?.code === 'ERR_WORKER_OUT_OF_MEMORY') return new PluginMemoryError(ErrorCodes.PluginMemory, message, details);
    return new PluginThrewError(ErrorCodes.PluginThrew, message, details);
  }
}

import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Decision, Json, LevelInfo, PolicyInput, StatusReport } from '../../core/contract.js';
import { EdgesumError, ErrorCodes, PluginLoadError, PluginMemoryError, PluginOutputError, PluginThrewError, ValidationError, type ErrorDetails } from '../../core/errors.js';
import { defaultLimits, type AccUpdate, type CallContext, type PluginInfo, type PluginLimits, type PluginRunner, type PluginSource, type PolicyHandle, type ReducerHandle } from '../../core/ports/plugin-runner.js';
import { QuickJsRunner } from '../quickjs/runner.js';
import type { PoolReducerHook, PoolReply, PoolRequestBody, PoolWorkerData } from './protocol.js';
import { fromWireError } from './wire-error.js';

/** How a {@link PooledRunner} is built. */
export interface PooledRunnerOptions {
  /** Worker threads, each with its own QuickJS module. Defaults to `min(2, os.availableParallelism())`. */
  readonly workers?: number;
  /** Limits for every plugin, as for `QuickJsRunner`; `loadReducer`/`loadPolicy` may override each. */
  readonly limits?: Partial<PluginLimits>;
  /** Seed of the guest's `Math.random`, the same in every worker. */
  readonly seed?: number;
  /**
   * The fewest reports a `reduce` or `update` call must carry to be split over the workers; smaller
   * calls go whole to one worker, since below this the copies cost more than the threads gain.
   * Defaults to 2 000.
   */
  readonly minBatchReports?: number;
  /**
   * The module every worker thread runs. Defaults to `worker.mjs` beside this file, which registers
   * tsx's loader and then runs `worker.ts`; a build shipping compiled JavaScript points this at its
   * own entry, and tests at one that can be made to crash.
   */
  readonly workerEntry?: URL;
}

/**
 * A `QuickJsRunner` per worker thread, behind the one `PluginRunner` port: large `reduce` and
 * `update` calls are split into contiguous slices of groups, balanced by report count, one slice per
 * worker, run in parallel and concatenated in order; every other call goes whole to one worker, in
 * turn. `bench/README.md` ("Worker pool") measured 1.6–1.9× on two cores for large batches.
 *
 * Results and typed errors equal a `QuickJsRunner`'s with the same options: every plugin is loaded
 * in every worker; a worker's error comes back as the same catalog class with the same code and
 * fields; a split call fails with the error of its first failing slice in group order (a hook error
 * before an output error, as the guest runs every hook before it serializes), and the output limit
 * applies to the concatenated result, as it does to one call. Two things cannot be equal: a split
 * call's slices each get the full time limit (a limit is per call and the slices run side by side),
 * and each worker's memory budget covers its own module.
 *
 * A worker that dies (it crashed, or V8 ran out of heap) rejects the calls it was running with a
 * `PluginThrewError` (`PluginMemoryError` for out of memory, `PluginLoadError` for a load) naming the
 * pool; the next call starts a new worker, which loads the plugins it needs again. Idle workers do
 * not keep the process alive, but {@link dispose} is still what ends them.
 */
export class PooledRunner implements PluginRunner {
  readonly name = 'quickjs-pool';
  private readonly pool: WorkerPool;
  private readonly limits: Partial<PluginLimits>;
  private nextPlugin = 0;

  constructor(options: PooledRunnerOptions = {}) {
    const workers = options.workers ?? Math.min(2, availableParallelism());
    const minBatchReports = options.minBatchReports ?? 2_000;
    if (!Number.isInteger(workers) || workers < 1) throw invalidOption('workers', workers, 'must be a positive integer');
    if (!(minBatchReports >= 0)) throw invalidOption('minBatchReports', minBatchReports, 'must be a number of at least 0');
    // The workers build their runners only when they start; building one here (it instantiates no
    // module until a plugin loads) rejects bad limits at construction, as `new QuickJsRunner` does.
    void new QuickJsRunner({ limits: options.limits }).dispose();
    this.limits = options.limits ?? {};
    const entry = options.workerEntry ?? new URL('./worker.mjs', import.meta.url);
    this.pool = new WorkerPool(workers, minBatchReports, entry, { limits: this.limits, seed: options.seed });
  }

  async loadReducer(source: PluginSource, limits: Partial<PluginLimits> = {}): Promise<ReducerHandle> {
    const plugin = this.plugin(source, limits, 'reducer');
    return new PooledReducer(this.pool, plugin, await this.pool.load(plugin));
  }

  async loadPolicy(source: PluginSource, limits: Partial<PluginLimits> = {}): Promise<PolicyHandle> {
    const plugin = this.plugin(source, limits, 'policy');
    return new PooledPolicy(this.pool, plugin, await this.pool.load(plugin));
  }

  async dispose(): Promise<void> {
    await this.pool.close();
  }

  private plugin(source: PluginSource, limits: Partial<PluginLimits>, kind: PluginInfo['kind']): PoolPlugin {
    const outputBytes = { ...defaultLimits, ...this.limits, ...limits }.outputBytes;
    return { id: this.nextPlugin++, kind, source, limits, outputBytes, hash: undefined };
  }
}

function invalidOption(path: string, value: unknown, problem: string): ValidationError {
  return new ValidationError(ErrorCodes.InvalidConfig, `quickjs-pool: option ${path} ${problem}, got ${String(value)}`, { issues: [{ path, message: problem }] });
}

/** A plugin as the pool knows it: enough to load it again in a replacement worker. */
interface PoolPlugin {
  readonly id: number;
  readonly kind: PluginInfo['kind'];
  readonly source: PluginSource;
  readonly limits: Partial<PluginLimits>;
  /** The effective output limit, applied by the pool to a split call's concatenated result. */
  readonly outputBytes: number;
  /** The bundle hash every worker loaded; set once the first load succeeded. */
  hash: string | undefined;
}

/** The workers, and how calls are dealt to them. */
class WorkerPool {
  private readonly lanes: WorkerLane[];
  private nextLane = 0;
  private closed = false;

  constructor(
    workers: number,
    readonly minBatchReports: number,
    entry: URL,
    data: PoolWorkerData,
  ) {
    this.lanes = Array.from({ length: workers }, (_, index) => new WorkerLane(index, entry, data));
  }

  get size(): number {
    return this.lanes.length;
  }

  /** Loads `plugin` in every worker at once and returns worker 0's description of it. */
  async load(plugin: PoolPlugin): Promise<PluginInfo> {
    this.assertOpen({ plugin: plugin.source.spec });
    const settled = await Promise.allSettled(this.lanes.map((lane) => this.loaded(lane.thread(), plugin)));
    const failed = settled.find((outcome) => outcome.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    const infos = settled.map((outcome) => (outcome as PromiseFulfilledResult<PluginInfo>).value);
    const info = infos[0]!;
    // Each worker bundles the plugin itself; a file that changed in between would run two codes.
    if (infos.some((other) => other.hash !== info.hash)) {
      throw new PluginLoadError(ErrorCodes.PluginLoad, `${plugin.source.spec}: the pool's workers loaded different builds (${infos.map((other) => other.hash).join(', ')}); was the module edited while it loaded?`, {
        plugin: info.name,
      });
    }
    plugin.hash = info.hash;
    return info;
  }

  /**
   * Runs one request in the worker of `lane`, or the next worker in turn. The request is built only
   * once the worker holds the plugin, so a split call serializes its second slice while the first
   * worker is already at work on its own.
   */
  async run(plugin: PoolPlugin, request: () => PoolRequestBody, where: ErrorDetails, lane = this.take()): Promise<unknown> {
    this.assertOpen(where);
    const thread = this.lanes[lane]!.thread();
    await this.loaded(thread, plugin);
    return thread.request(request(), where);
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.lanes.map((lane) => lane.close()));
  }

  private take(): number {
    const lane = this.nextLane;
    this.nextLane = (lane + 1) % this.lanes.length;
    return lane;
  }

  /** The plugin's description in `thread`, loading it there first if this thread has not yet. */
  private loaded(thread: WorkerThread, plugin: PoolPlugin): Promise<PluginInfo> {
    let loading = thread.plugins.get(plugin.id);
    if (loading === undefined) {
      const request: PoolRequestBody = { type: 'load', plugin: plugin.id, kind: plugin.kind, source: plugin.source, limits: plugin.limits };
      loading = (thread.request(request, { plugin: plugin.source.spec }) as Promise<PluginInfo>).then((info) => {
        if (plugin.hash !== undefined && info.hash !== plugin.hash) {
          throw new PluginLoadError(ErrorCodes.PluginLoad, `${plugin.source.spec}: a restarted pool worker built ${info.hash}, not the ${plugin.hash} loaded before; was the module edited?`, {
            plugin: info.name,
          });
        }
        return info;
      });
      thread.plugins.set(plugin.id, loading);
      // A failed load is not remembered: the next call tries again rather than failing forever.
      loading.catch(() => thread.plugins.delete(plugin.id));
    }
    return loading;
  }

  private assertOpen(where: ErrorDetails): void {
    if (this.closed) throw new PluginLoadError(ErrorCodes.PluginLoad, `${where.plugin}: the QuickJS pool runner was disposed`, where);
  }
}

/** One worker slot: its current thread, replaced by a new one after it died. */
class WorkerLane {
  private current: WorkerThread | undefined;

  constructor(
    private readonly index: number,
    private readonly entry: URL,
    private readonly data: PoolWorkerData,
  ) {}

  /** The live thread, started now if there is none. */
  thread(): WorkerThread {
    if (this.current === undefined || !this.current.alive) this.current = new WorkerThread(this.index, this.entry, this.data);
    return this.current;
  }

  async close(): Promise<void> {
    const thread = this.current;
    this.current = undefined;
    await thread?.close();
  }
}

interface Pending {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: EdgesumError) => void;
  readonly where: ErrorDetails;
  readonly loading: boolean;
}

/** One worker thread and the requests it has not answered. */
class WorkerThread {
  alive = true;
  /** The pool's plugins loaded in this thread, by plugin id; a replacement thread starts empty. */
  readonly plugins = new Map<number, Promise<PluginInfo>>();
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private closing = false;

  constructor(
    private readonly index: number,
    entry: URL,
    data: PoolWorkerData,
  ) {
    this.worker = new Worker(entry, { workerData: data });
    // Only a thread with work in flight keeps the process alive (see request).
    this.worker.unref();
    this.worker.on('message', (reply: PoolReply) => this.settle(reply));
    this.worker.on('error', (error) => this.fail(error));
    this.worker.on('exit', (code) => this.fail(code));
  }

  request(body: PoolRequestBody, where: ErrorDetails): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const loading = body.type === 'load';
      if (!this.alive) return reject(this.deathError(undefined, { resolve, reject, where, loading }));
      const id = this.nextId++;
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { resolve, reject, where, loading });
      this.worker.postMessage({ ...body, id });
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    // Terminating frees the thread's WebAssembly memory with it; nothing inside needs a goodbye.
    await this.worker.terminate();
  }

  private settle(reply: PoolReply): void {
    const waiter = this.pending.get(reply.id);
    if (waiter === undefined) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.worker.unref();
    if (reply.ok) waiter.resolve(reply.value);
    else waiter.reject(fromWireError(reply.error, waiter.where));
  }

  private fail(reason: unknown): void {
    this.alive = false;
    for (const waiter of this.pending.values()) waiter.reject(this.deathError(reason, waiter));
    this.pending.clear();
  }

  private deathError(reason: unknown, waiter: Pending): EdgesumError {
    const { where } = waiter;
    if (this.closing) return new PluginLoadError(ErrorCodes.PluginLoad, `${where.plugin}: the QuickJS pool runner was disposed`, where);
    const running = where.hook === undefined ? `loading ${where.plugin}` : `running ${where.plugin}.${where.hook}${where.level === undefined ? '' : ` at level ${where.level}`}`;
    const what = typeof reason === 'number' ? `exited with code ${reason}` : reason === undefined ? 'had stopped' : `failed (${reason instanceof Error ? reason.message : String(reason)})`;
    const message = `quickjs-pool: worker ${this.index} ${what} while ${running}; the next call starts a new worker`;
    const details = { ...where, ...(reason instanceof Error ? { cause: reason } : {}) };
    if (waiter.loading) return new PluginLoadError(ErrorCodes.PluginLoad, message, details);
    if ((reason as { code?: unknown } | undefined)?.code === 'ERR_WORKER_OUT_OF_MEMORY') return new PluginMemoryError(ErrorCodes.PluginMemory, message, details);
    return new PluginThrewError(ErrorCodes.PluginThrew, message, details);
  }
}

class PooledReducer implements ReducerHandle {
  constructor(
    private readonly pool: WorkerPool,
    private readonly plugin: PoolPlugin,
    readonly info: PluginInfo,
  ) {}

  reduce(groups: readonly (readonly StatusReport[])[], call: CallContext): Promise<Json[]> {
    return this.batch('reduce', groups, (group) => group.length, call);
  }

  update(items: readonly AccUpdate[], call: CallContext): Promise<Json[]> {
    return this.batch('update', items, (item) => item.remove.length + item.add.length, call);
  }

  merge(groups: readonly (readonly Json[])[], call: CallContext): Promise<Json[]> {
    return this.whole('merge', groups, call);
  }

  finish(accs: readonly Json[], call: CallContext): Promise<Json[]> {
    return this.whole('finish', accs, call);
  }

  /** Splits the call over the workers when it is large enough to pay for the copies. */
  private async batch<T>(hook: PoolReducerHook, items: readonly T[], reports: (item: T) => number, call: CallContext): Promise<Json[]> {
    const weights = items.map(reports);
    const total = weights.reduce((sum, weight) => sum + weight, 0);
    if (this.pool.size < 2 || items.length < 2 || total < this.pool.minBatchReports) return this.whole(hook, items, call);
    const where = this.where(hook, call);
    const slices = balancedSlices(weights, Math.min(this.pool.size, items.length));
    const settled = await Promise.allSettled(
      slices.map(({ start, end }, lane) => this.pool.run(this.plugin, () => this.request(hook, items.slice(start, end), call), where, lane)),
    );
    return this.join(settled as PromiseSettledResult<string>[], where);
  }

  private async whole(hook: PoolReducerHook, items: readonly unknown[], call: CallContext): Promise<Json[]> {
    if (items.length === 0) return [];
    const text = (await this.pool.run(this.plugin, () => this.request(hook, items, call), this.where(hook, call))) as string;
    return JSON.parse(text) as Json[];
  }

  private request(hook: PoolReducerHook, items: readonly unknown[], call: CallContext): PoolRequestBody {
    return { type: 'reducer', plugin: this.plugin.id, hook, items: JSON.stringify(items), call };
  }

  /**
   * The outcome one call over all the groups would have had. The guest runs the hooks group by
   * group and stops at the first failure, then serializes the whole result and checks its size: so
   * the first slice's hook error wins, then the first other output error, then the size of the
   * concatenated result against the limit.
   */
  private join(settled: readonly PromiseSettledResult<string>[], where: ErrorDetails): Json[] {
    const errors = settled.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason as unknown] : []));
    const hookError = errors.find((error) => !(error instanceof PluginOutputError));
    if (hookError !== undefined) throw hookError;
    const outputError = errors.find((error) => tooBigBytes(error) === undefined);
    if (outputError !== undefined) throw outputError;
    // `[a,b]` and `[c]` join as `[a,b,c]`: each slice's brackets go and k-1 commas and one pair come.
    const lengths = settled.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value.length : tooBigBytes(outcome.reason)!));
    const bytes = lengths.reduce((sum, length) => sum + length - 2, 0) + settled.length - 1 + 2;
    if (bytes > this.plugin.outputBytes) {
      const guest = { kind: 'output', reason: 'too-big', name: 'RangeError', message: 'too big', stack: '', bytes };
      throw new PluginOutputError(ErrorCodes.PluginOutput, `${where.plugin}.${where.hook} returned ${bytes} bytes, above the ${this.plugin.outputBytes} byte output limit`, { ...where, cause: guest });
    }
    return settled.flatMap((outcome) => JSON.parse((outcome as PromiseFulfilledResult<string>).value) as Json[]);
  }

  // Hook names in errors follow QuickJsRunner: `reduce` and `update` report as `add`.
  private where(hook: PoolReducerHook, call: CallContext): ErrorDetails {
    const named = hook === 'reduce' || hook === 'update' ? 'add' : hook;
    return { plugin: this.info.name, hook: named, level: call.level.id, binding: call.binding };
  }
}

class PooledPolicy implements PolicyHandle {
  constructor(
    private readonly pool: WorkerPool,
    private readonly plugin: PoolPlugin,
    readonly info: PluginInfo,
  ) {}

  async decide(inputs: readonly PolicyInput[], options: Json, level: LevelInfo): Promise<Decision[]> {
    if (inputs.length === 0) return [];
    const where: ErrorDetails = { plugin: this.info.name, hook: 'decide', level: level.id };
    return (await this.pool.run(this.plugin, () => ({ type: 'decide', plugin: this.plugin.id, inputs, options, level }), where)) as Decision[];
  }
}

/** Items `[start, end)` of a split call. */
interface Slice {
  readonly start: number;
  readonly end: number;
}

/**
 * Cuts `weights` into `parts` contiguous, non-empty slices whose sums are as even as the cut points
 * allow: each cut goes where the running sum comes closest to its share of the total.
 */
export function balancedSlices(weights: readonly number[], parts: number): Slice[] {
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  const slices: Slice[] = [];
  let start = 0;
  let sum = 0;
  for (let part = 1; part < parts; part++) {
    const target = (total * part) / parts;
    // Leave at least one item for every later slice.
    const last = weights.length - (parts - part);
    let end = start + 1;
    sum += weights[start]!;
    while (end < last && Math.abs(sum + weights[end]! - target) <= Math.abs(sum - target) && sum < target) {
      sum += weights[end]!;
      end++;
    }
    slices.push({ start, end });
    start = end;
  }
  slices.push({ start, end: weights.length });
  return slices;
}

/** The serialized size a guest reported with an over-limit result, or undefined for any other error. */
function tooBigBytes(error: unknown): number | undefined {
  if (!(error instanceof PluginOutputError)) return undefined;
  const cause = error.cause as { reason?: unknown; bytes?: unknown } | undefined;
  return cause?.reason === 'too-big' && typeof cause.bytes === 'number' ? cause.bytes : undefined;
}


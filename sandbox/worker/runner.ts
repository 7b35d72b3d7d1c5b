import type { Decision, Json, LevelInfo, PolicyInput, StatusReport } from '../../core/contract.js';
import { BatchCustomizer } from '../customizer-batch.js';
import { ErrorCodes, PluginOutputError, ValidationError, type ErrorDetails } from '../../core/errors.js';
import { defaultLimits, type AccUpdate, type CallContext, type CustomizeCall, type CustomizeItem, type CustomizerHandle, type PluginInfo, type PluginLimits, type PluginRunner, type PluginSource, type PolicyHandle, type ReducerHandle } from '../../core/ports/plugin-runner.js';
import { BundleCache } from '../bundle.js';
import { encodeItems } from '../quickjs/binary-json.js';
import type { RunnerLogger } from '../quickjs/in-thread.js';
import { checkLimits } from '../quickjs/limits.js';
import type { CustomizerHook, ReducerHook } from '../quickjs/protocol.js';
import { workerModule } from './entry.js';
import type { ThreadLoaded, ThreadRequestBody } from './protocol.js';
import { ThreadPool, type ThreadPlugin } from './threads.js';

/** What every runner on worker threads is built with. */
export interface WorkerRunnerOptions {
  /** Limits for every plugin; `loadReducer`/`loadPolicy` may override each. */
  readonly limits?: Partial<PluginLimits>;
  /** Seed of the guest's `Math.random`, the same in every thread. */
  readonly seed?: number;
  /**
   * How long past a call's time limit the host waits for QuickJS's own interrupt before it
   * terminates the thread running the call, in ms. Defaults to {@link defaultGraceMs}.
   */
  readonly graceMs?: number;
  /**
   * The module every thread runs. Defaults to the worker body beside this file (see `entry.ts`);
   * tests point it at one that can be made to crash.
   */
  readonly workerEntry?: URL;
  /**
   * Whether each thread keeps one runtime booted ahead of need (the guest shim evaluated, the realm
   * hardened), refilled in idle time, so that a load evaluates only the plugin's own script. On by
   * default; it holds one runtime's heap (~300 KB) per thread.
   */
  readonly warmSpare?: boolean;
  /** Told when the threads' QuickJS build fails its binary JSON self-check, so that items cross as JSON text. */
  readonly logger?: RunnerLogger;
}

/**
 * How long the host waits past a call's deadline before it terminates the thread: QuickJS's
 * interrupt handler stops a runaway loop within a millisecond or two of the deadline, so a thread
 * still busy 500 ms later is stuck in a built-in no interrupt reaches, and replacing the thread
 * (reloading every plugin in it) stays rare.
 */
export const defaultGraceMs = 500;

/** How a runner deals calls to its threads. */
export interface ThreadShape {
  /** Worker threads, each with its own QuickJS engine and WebAssembly module. */
  readonly workers: number;
  /** The fewest reports a `reduce` or `update` call must carry to be split over the threads. */
  readonly minBatchReports: number;
}

/**
 * The QuickJS engine (`InThreadQuickJsRunner`) in worker threads, behind the one `PluginRunner`
 * port, with a watchdog that holds every call to its time limit whatever the guest runs (see
 * `threads.ts`). The host bundles each plugin once and loads that bundle in every thread. Large
 * `reduce` and `update` calls are split into contiguous slices of groups, balanced by report
 * count, one slice per thread, run in parallel and concatenated in order; every other call goes
 * whole to one thread, in turn.
 *
 * Results and typed errors equal the engine's with the same options: a thread's error comes back as
 * the same catalog class with the same code and fields; a split call fails with the error of its
 * first failing slice in group order (a hook error before an output error, as the guest runs every
 * hook before it serializes), and the output limit applies to the concatenated result, as it does
 * to one call. Two things cannot be equal: a split call's slices each get the full time limit (a
 * limit is per call and the slices run side by side), and each thread's memory budget covers its own
 * module.
 *
 * A thread that dies (it crashed, or V8 ran out of heap) rejects the calls it was running with a
 * `PluginThrewError` (`PluginMemoryError` for out of memory, `PluginLoadError` for a load) naming the
 * runner; a thread the watchdog terminated rejects the overrunning call with `PluginTimeoutError` and
 * runs nothing else. Either way the next call starts a new thread, which loads the plugins it needs
 * again. Idle threads do not keep the process alive, but {@link dispose} is still what ends them.
 */
export abstract class WorkerRunner implements PluginRunner {
  private readonly pool: ThreadPool;
  private readonly limits: PluginLimits;
  private readonly minBatchReports: number;
  readonly parallelism: number;
  private readonly bundles = new BundleCache();
  private readonly logger: RunnerLogger | undefined;
  private textOnly = false;
  private nextPlugin = 0;

  protected constructor(
    readonly name: string,
    options: WorkerRunnerOptions,
    shape: ThreadShape,
  ) {
    this.limits = checkLimits({ ...defaultLimits, ...options.limits });
    const graceMs = options.graceMs ?? defaultGraceMs;
    if (!(graceMs >= 0 && Number.isFinite(graceMs))) throw invalidOption(name, 'graceMs', graceMs, 'must be a number of at least 0');
    this.minBatchReports = shape.minBatchReports;
    this.parallelism = shape.workers;
    this.logger = options.logger;
    const entry = options.workerEntry ?? workerModule(import.meta.url, 'worker');
    this.pool = new ThreadPool(shape.workers, { runner: name, entry, seed: options.seed, graceMs, warmSpare: options.warmSpare ?? true });
  }

  async loadReducer(source: PluginSource, limits: Partial<PluginLimits> = {}): Promise<ReducerHandle> {
    const plugin = await this.plugin(source, limits, 'reducer');
    return new WorkerReducer(this.pool, plugin, this.minBatchReports, this.loaded(await this.pool.load(plugin)));
  }

  async loadPolicy(source: PluginSource, limits: Partial<PluginLimits> = {}): Promise<PolicyHandle> {
    const plugin = await this.plugin(source, limits, 'policy');
    return new WorkerPolicy(this.pool, plugin, this.loaded(await this.pool.load(plugin)));
  }

  async loadCustomizer(source: PluginSource, limits: Partial<PluginLimits> = {}): Promise<CustomizerHandle> {
    const plugin = await this.plugin(source, limits, 'customizer');
    return new WorkerCustomizer(this.pool, plugin, this.loaded(await this.pool.load(plugin)));
  }

  /** The WebAssembly heap of every thread's engine, in bytes. */
  memoryBytes(): number {
    return this.pool.memoryBytes();
  }

  async dispose(): Promise<void> {
    await this.pool.close();
  }

  /** The loaded plugin's description; says once per runner why items cross as text, if they must. */
  private loaded({ info, binaryJson }: ThreadLoaded): PluginInfo {
    if (binaryJson !== true && !this.textOnly) {
      this.textOnly = true;
      this.logger?.warn('QuickJS binary JSON failed its self-check: plugin calls cross as JSON text', { runner: this.name, reason: binaryJson });
    }
    return info;
  }

  private async plugin(source: PluginSource, limits: Partial<PluginLimits>, kind: PluginInfo['kind']): Promise<ThreadPlugin> {
    this.pool.assertOpen({ plugin: source.spec });
    const checked = checkLimits({ ...this.limits, ...limits });
    return { id: this.nextPlugin++, kind, source, limits: checked, bundle: await this.bundles.get(source) };
  }
}

/** A runner option that is out of range. */
export function invalidOption(runner: string, path: string, value: unknown, problem: string): ValidationError {
  return new ValidationError(ErrorCodes.InvalidConfig, `${runner}: option ${path} ${problem}, got ${String(value)}`, { issues: [{ path, message: problem }] });
}

class WorkerReducer implements ReducerHandle {
  constructor(
    private readonly pool: ThreadPool,
    private readonly plugin: ThreadPlugin,
    private readonly minBatchReports: number,
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

  /** Splits the call over the threads when it is large enough to pay for the copies. */
  private async batch<T>(hook: ReducerHook, items: readonly T[], reports: (item: T) => number, call: CallContext): Promise<Json[]> {
    if (this.pool.size < 2 || items.length < 2) return this.whole(hook, items, call);
    const weights = items.map(reports);
    const total = weights.reduce((sum, weight) => sum + weight, 0);
    if (total < this.minBatchReports) return this.whole(hook, items, call);
    const where = this.where(hook, call);
    const slices = balancedSlices(weights, Math.min(this.pool.size, items.length));
    const settled = await Promise.allSettled(
      slices.map(({ start, end }, lane) => this.pool.run(this.plugin, (binary) => this.request(hook, items.slice(start, end), call, binary), where, lane)),
    );
    return this.join(settled as PromiseSettledResult<string>[], where);
  }

  private async whole(hook: ReducerHook, items: readonly unknown[], call: CallContext): Promise<Json[]> {
    if (items.length === 0) return [];
    const text = (await this.pool.run(this.plugin, (binary) => this.request(hook, items, call, binary), this.where(hook, call))) as string;
    return JSON.parse(text) as Json[];
  }

  private request(hook: ReducerHook, items: readonly unknown[], call: CallContext, binary: boolean): ThreadRequestBody {
    return { type: 'reducer', plugin: this.plugin.id, hook, items: encodeItems(items, binary), count: items.length, call };
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
    const outputBytes = this.plugin.limits.outputBytes;
    if (bytes > outputBytes) {
      const guest = { kind: 'output', reason: 'too-big', name: 'RangeError', message: 'too big', stack: '', bytes };
      throw new PluginOutputError(ErrorCodes.PluginOutput, `${where.plugin}.${where.hook} returned ${bytes} bytes, above the ${outputBytes} byte output limit`, { ...where, cause: guest });
    }
    return settled.flatMap((outcome) => JSON.parse((outcome as PromiseFulfilledResult<string>).value) as Json[]);
  }

  // Hook names in errors follow the engine: `reduce` and `update` report as `add`.
  private where(hook: ReducerHook, call: CallContext): ErrorDetails {
    const named = hook === 'reduce' || hook === 'update' ? 'add' : hook;
    return { plugin: this.info.name, hook: named, level: call.level.id, binding: call.binding };
  }
}

class WorkerPolicy implements PolicyHandle {
  constructor(
    private readonly pool: ThreadPool,
    private readonly plugin: ThreadPlugin,
    readonly info: PluginInfo,
  ) {}

  async decide(inputs: readonly PolicyInput[], options: Json, level: LevelInfo): Promise<Decision[]> {
    if (inputs.length === 0) return [];
    const where: ErrorDetails = { plugin: this.info.name, hook: 'decide', level: level.id };
    return (await this.pool.run(this.plugin, () => ({ type: 'decide', plugin: this.plugin.id, inputs, options, level }), where)) as Decision[];
  }
}

/** A customizer: every batch goes whole to one thread, in turn. */
class WorkerCustomizer extends BatchCustomizer {
  constructor(
    private readonly pool: ThreadPool,
    private readonly plugin: ThreadPlugin,
    info: PluginInfo,
  ) {
    super(info);
  }

  protected async run(hook: CustomizerHook, items: readonly CustomizeItem[], call: CustomizeCall, where: ErrorDetails): Promise<unknown[]> {
    return (await this.pool.run(this.plugin, () => ({ type: 'customize', plugin: this.plugin.id, hook, items, call }), where)) as unknown[];
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

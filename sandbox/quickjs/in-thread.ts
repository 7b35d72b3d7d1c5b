import type { Decision, Json, LevelInfo, PolicyInput, StatusReport } from '../../core/contract.js';
import { BatchCustomizer } from '../customizer-batch.js';
import { ErrorCodes, PluginLoadError, PluginOutputError, PluginThrewError, type ErrorDetails } from '../../core/errors.js';
import { BundleCache, type GuestScript, type PluginBundle, type SandboxBundle } from '../bundle.js';
import { toPluginInfo } from '../describe.js';
import { defaultLimits, type AccUpdate, type CallContext, type CustomizeCall, type CustomizeItem, type PluginInfo, type PluginLimits, type PluginRunner, type PluginSource, type PolicyHandle, type ReducerHandle } from '../../core/ports/plugin-runner.js';
import { encodeItems } from './binary-json.js';
import { checkLimits, effectiveStackBytes } from './limits.js';
import { PluginSandbox, type GuestWatch, type SandboxEnv, type SandboxItems } from './plugin-sandbox.js';
import type { CustomizerHook, ReducerHook } from './protocol.js';
import { WarmSpare } from './warm-spare.js';
import { newReleaseModule, WasmHost, type ModuleLease, type QuickJsModuleFactory } from './wasm-host.js';

/** Where a runner gets a plugin's bundle from. {@link BundleCache} is one. */
export interface BundleSource {
  get(source: PluginSource): Promise<PluginBundle>;
}

/** How an {@link InThreadQuickJsRunner} is built. Everything is injected; nothing is read from globals. */
export interface InThreadQuickJsRunnerOptions {
  /** The host clock in ms, for per-call deadlines. Defaults to `performance.now`. */
  readonly now?: () => number;
  /** Limits for every plugin this runner loads; `loadReducer`/`loadPolicy` may override each. */
  readonly limits?: Partial<PluginLimits>;
  /** Seed of the guest's `Math.random`, reset for every call. */
  readonly seed?: number;
  /**
   * Creates the runner's WebAssembly module: once on first use, and again after a module is
   * discarded. Tests pass a `TestQuickJSWASMModule` over the debug build to check for leaks.
   */
  readonly newModule?: QuickJsModuleFactory;
  /** Where bundles come from. Defaults to a {@link BundleCache} of this runner's own. */
  readonly bundles?: BundleSource;
  /** Told whenever guest code starts and stops running: how a watchdog outside the VM follows it. */
  readonly watch?: GuestWatch;
  /**
   * Keeps one runtime booted ahead of need (the guest shim evaluated, the realm hardened), refilled
   * in idle time after each load takes it, so that a load only evaluates the plugin's own script.
   * Off by default here, since the boot runs on the calling thread; `QuickJsRunner`'s worker turns
   * it on.
   */
  readonly warmSpare?: boolean;
  /** Told when a module fails its binary JSON self-check, so that requests cross as JSON text. */
  readonly logger?: RunnerLogger;
}

/** The part of a logger (`core/log`'s `Logger`) a runner writes to. */
export interface RunnerLogger {
  warn(message: string, fields?: Record<string, unknown>): void;
}

/**
 * The QuickJS engine (WebAssembly) on the calling thread: one module per runner, one runtime and
 * context per loaded plugin, the guest shim and the plugin's bundle evaluated once per runtime
 * (with `warmSpare`, the shim ahead of need); every call is one JSON string in and one out. Results
 * equal the `InlineRunner`'s for the same plugin.
 *
 * Its limits hold as long as the guest keeps reaching QuickJS's interrupt handler. One long built-in
 * call (an `indexOf` over a huge array-like) never does, and blocks the calling thread until it
 * returns: `QuickJsRunner` runs this engine in a worker thread it can terminate. Use this one
 * directly only where a blocked thread is acceptable (benchmarks, leak checks with `newModule`).
 *
 * Limits are on by default ({@link defaultLimits}); a breach rejects the call with the typed error
 * (code, plugin, hook, level, binding) and the next call gets a fresh runtime. Only the host's own
 * measurements make a breach: whatever the guest throws (even `InternalError('out of memory')`) is
 * `EDGESUM_PLUGIN_THREW`.
 * - **time** (`timeMs`, per call): the interrupt handler compares the host clock with a deadline set
 *   right before the call; QuickJS polls it every ~0.3 ms. A call that returns past its deadline
 *   (one long built-in never reaches the handler) is a breach too. `EDGESUM_PLUGIN_TIMEOUT`.
 * - **memory** (`memoryBytes`): a guard on the WebAssembly heap's growth: a call may grow the heap
 *   by `memoryBytes`, and the module never past its baseline plus every loaded plugin's budget
 *   (a warm spare counts as one more plugin with the runner's limits).
 *   `EDGESUM_PLUGIN_MEMORY`; the whole module is then discarded, since its memory never shrinks.
 *   A result that cannot even be built within the budget (a 100 MB string under 64 MiB) is a
 *   memory error, not an output error.
 * - **stack** (`stackBytes`, clamped to 128 KiB, `maxStackBytes`): QuickJS's stack limit.
 *   `EDGESUM_PLUGIN_STACK`.
 * - **output** (`outputBytes`): the serialized result, checked by the guest before it is copied
 *   out, and again by the host on the returned text. `EDGESUM_PLUGIN_OUTPUT`.
 *
 * The guest has no host functions at all; its clock is the call's `now`, its `Math.random` is seeded
 * per call, and its built-ins are frozen before the plugin's module runs, so neither the module's
 * top level nor one call can change what a later one sees.
 */
export class InThreadQuickJsRunner implements PluginRunner {
  readonly name = 'quickjs-in-thread';
  private readonly bundles: BundleSource;
  private readonly host: WasmHost;
  private readonly sandboxes = new Set<PluginSandbox>();
  private readonly env: SandboxEnv;
  private readonly limits: PluginLimits;
  private readonly spare: WarmSpare | undefined;
  private disposed = false;

  constructor(options: InThreadQuickJsRunnerOptions = {}) {
    this.limits = checkLimits({ ...defaultLimits, ...options.limits });
    this.bundles = options.bundles ?? new BundleCache();
    const logger = options.logger;
    this.host = new WasmHost(options.newModule ?? newReleaseModule, (lease) => {
      if (lease.binaryJson !== true) logger?.warn('QuickJS binary JSON failed its self-check: plugin calls cross as JSON text', { reason: lease.binaryJson });
    });
    const clock = options.now ?? (() => performance.now());
    this.spare = options.warmSpare === true ? new WarmSpare({ host: this.host, clock, stackBytes: effectiveStackBytes(this.limits), budgetBytes: this.limits.memoryBytes }) : undefined;
    this.env = {
      host: this.host,
      clock,
      seed: options.seed ?? 0x5eed,
      moduleCeiling: (lease) => this.moduleCeiling(lease),
      ...(options.watch === undefined ? {} : { watch: options.watch }),
      ...(this.spare === undefined ? {} : { spare: this.spare }),
    };
  }

  async loadReducer(source: PluginSource, limits: Partial<PluginLimits> = {}): Promise<InThreadReducer> {
    const { sandbox, info } = await this.load(source, limits, 'reducer');
    return new InThreadReducer(sandbox, info);
  }

  async loadPolicy(source: PluginSource, limits: Partial<PluginLimits> = {}): Promise<PolicyHandle> {
    const { sandbox, info } = await this.load(source, limits, 'policy');
    return new InThreadPolicy(sandbox, info);
  }

  async loadCustomizer(source: PluginSource, limits: Partial<PluginLimits> = {}): Promise<InThreadCustomizer> {
    const { sandbox, info } = await this.load(source, limits, 'customizer');
    return new InThreadCustomizer(sandbox, info);
  }

  /**
   * Whether the live module reads binary items (`InThreadReducer.batch`), having passed the binary
   * JSON self-check (`true`), or why not: before the first load, there is no module to ask.
   */
  binaryJson(): true | string {
    return this.host.binaryJson();
  }

  /** The WebAssembly heap this runner's module holds, in bytes. */
  memoryBytes(): number {
    return this.host.heapBytes();
  }

  /**
   * With `warmSpare`, boots the spare with `shim` now, in idle time, rather than after the first
   * load: what a worker thread does as soon as it starts. Without, does nothing.
   */
  prepare(shim: GuestScript): void {
    if (!this.disposed) this.spare?.refill(shim);
  }

  /** Whether a warm spare is booted and waiting for the next load. */
  get spareReady(): boolean {
    return this.spare?.ready === true;
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    this.spare?.dispose();
    for (const sandbox of this.sandboxes) sandbox.dispose();
    this.sandboxes.clear();
    this.host.close();
  }

  private async load(source: PluginSource, overrides: Partial<PluginLimits>, kind: PluginInfo['kind']): Promise<{ sandbox: PluginSandbox; info: PluginInfo }> {
    if (this.disposed) throw new PluginLoadError(ErrorCodes.PluginLoad, `${source.spec}: the QuickJS runner was disposed`);
    const limits = checkLimits({ ...this.limits, ...overrides });
    const bundle = await this.bundles.get(source);
    if (!isSandboxBundle(bundle)) throw new PluginLoadError(ErrorCodes.PluginLoad, `${source.spec}: its bundle carries no guest shim (built for the host, not the sandbox)`, { plugin: source.spec });
    const sandbox = new PluginSandbox(source, bundle, limits, this.env);
    this.sandboxes.add(sandbox);
    try {
      const where: ErrorDetails = { plugin: source.spec, hook: 'describe' };
      let description: unknown;
      try {
        description = await sandbox.run('describe', { clock: 0 }, '[]', where, undefined);
      } catch (error) {
        // Limit breaches keep their own code; anything the module's top level threw is a load error.
        if (error instanceof PluginThrewError || error instanceof PluginOutputError) {
          throw new PluginLoadError(ErrorCodes.PluginLoad, error.message, { plugin: source.spec, cause: error });
        }
        throw error;
      }
      const info = toPluginInfo(description, source, bundle.code);
      if (info.kind !== kind) {
        throw new PluginLoadError(ErrorCodes.PluginLoad, `${source.spec}: expected a ${kind} plugin, found a ${info.kind}`, { plugin: info.name });
      }
      return { sandbox, info };
    } catch (error) {
      sandbox.dispose();
      this.sandboxes.delete(sandbox);
      throw error;
    } finally {
      // A load that found no spare (the first, or one right behind another) still leaves one behind.
      if (!this.disposed) this.spare?.refill(bundle.shim);
    }
  }

  private moduleCeiling(lease: ModuleLease): number {
    let budget = lease.baselineBytes + (this.spare?.budgetBytes(lease) ?? 0);
    for (const sandbox of this.sandboxes) budget += sandbox.limits.memoryBytes;
    return budget;
  }
}

function isSandboxBundle(bundle: PluginBundle): bundle is SandboxBundle {
  return bundle.shim !== undefined;
}

/** The results of one reducer batch: as values, and as the JSON text the host checked. */
export interface BatchResult {
  readonly value: Json[];
  readonly text: string;
}

/** A reducer in the engine: the port's hooks, and the same batch on JSON text for a worker thread. */
export class InThreadReducer implements ReducerHandle {
  constructor(
    private readonly sandbox: PluginSandbox,
    readonly info: PluginInfo,
  ) {}

  reduce(groups: readonly (readonly StatusReport[])[], call: CallContext): Promise<Json[]> {
    return this.values('reduce', groups, call);
  }

  update(items: readonly AccUpdate[], call: CallContext): Promise<Json[]> {
    return this.values('update', items, call);
  }

  merge(groups: readonly (readonly Json[])[], call: CallContext): Promise<Json[]> {
    return this.values('merge', groups, call);
  }

  finish(accs: readonly Json[], call: CallContext): Promise<Json[]> {
    return this.values('finish', accs, call);
  }

  /**
   * Runs `hook` over `count` items given as the JSON text of their array or as its binary JSON,
   * without decoding them on the host: a worker thread passes what it received straight into the guest.
   */
  async batch(hook: ReducerHook, items: SandboxItems, count: number, call: CallContext): Promise<BatchResult> {
    if (count === 0) return { value: [], text: '[]' };
    // Hook names in errors follow the inline runner: `reduce` and `update` report as `add`.
    const named = hook === 'reduce' || hook === 'update' ? 'add' : hook;
    const where: ErrorDetails = { plugin: this.info.name, hook: named, level: call.level.id, binding: call.binding };
    const clock = Date.parse(call.now);
    const value = await this.sandbox.run(hook, { clock: Number.isNaN(clock) ? 0 : clock, call }, items, where, count);
    return { value: value as Json[], text: checkJsonOutput(value, this.sandbox.limits, where) };
  }

  private async values(hook: ReducerHook, items: readonly unknown[], call: CallContext): Promise<Json[]> {
    if (items.length === 0) return [];
    return (await this.batch(hook, encodeItems(items, this.sandbox.binaryItems), items.length, call)).value;
  }
}

class InThreadPolicy implements PolicyHandle {
  constructor(
    private readonly sandbox: PluginSandbox,
    readonly info: PluginInfo,
  ) {}

  async decide(inputs: readonly PolicyInput[], options: Json, level: LevelInfo): Promise<Decision[]> {
    if (inputs.length === 0) return [];
    const where: ErrorDetails = { plugin: this.info.name, hook: 'decide', level: level.id };
    const value = (await this.sandbox.run('decide', { clock: 0, options }, JSON.stringify(inputs), where, inputs.length)) as unknown[];
    value.forEach((decision, index) => checkJsonOutput(decision, this.sandbox.limits, { ...where, index }));
    return value as Decision[];
  }
}

/** A customizer in the engine: one guest call per batch, every result checked as the inline runner checks it. */
export class InThreadCustomizer extends BatchCustomizer {
  private readonly sandbox: PluginSandbox;

  constructor(sandbox: PluginSandbox, info: PluginInfo) {
    super(info);
    this.sandbox = sandbox;
  }

  protected async run(hook: CustomizerHook, items: readonly CustomizeItem[], call: CustomizeCall, where: ErrorDetails): Promise<unknown[]> {
    const clock = Date.parse(call.now);
    const value = (await this.sandbox.run(hook, { clock: Number.isNaN(clock) ? 0 : clock, customize: call }, JSON.stringify(items), where, items.length)) as unknown[];
    value.forEach((result, index) => checkJsonOutput(result, this.sandbox.limits, { ...where, index }));
    return value;
  }
}

/**
 * The host's own pass over what the guest returned, with the inline runner's wording: the guest
 * already checked, but a plugin can subvert its own shim, and a value nested deeper than the host
 * can serialize must stop here rather than in storage. Returns the checked JSON text.
 */
function checkJsonOutput(value: unknown, limits: PluginLimits, where: ErrorDetails): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw new PluginOutputError(ErrorCodes.PluginOutput, `${where.plugin}.${where.hook} returned a value that is not JSON: ${(error as Error).message}`, { ...where, cause: error });
  }
  if (text === undefined) throw new PluginOutputError(ErrorCodes.PluginOutput, `${where.plugin}.${where.hook} returned ${typeof value}, not a JSON value`, where);
  if (text.length > limits.outputBytes) {
    throw new PluginOutputError(ErrorCodes.PluginOutput, `${where.plugin}.${where.hook} returned ${text.length} bytes, above the ${limits.outputBytes} byte output limit`, where);
  }
  return text;
}

/**
 * The QuickJS variants: the product's QuickJsRunner (batched, and one call per report), the same
 * engine on the calling thread without the worker thread and its watchdog, and a bare QuickJS
 * runtime with the runner's limits for what the runner port cannot express (JSON text in, the cost
 * of one runtime, the guest's JSON.parse alone).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Scope, type QuickJSContext, type QuickJSHandle, type QuickJSRuntime } from 'quickjs-emscripten';
import type { Json, StatusReport } from '../core/contract.js';
import { ErrorCodes, PluginThrewError } from '../core/errors.js';
import { InThreadQuickJsRunner, QuickJsRunner, maxStackBytes, type PluginBundle, type PluginLimits, type PluginRunner, type QuickJsModule, type ReducerHandle } from '../sandbox/index.js';
import { finishAll, loadHandles, reduceThroughPort } from './baselines.js';
import { plainEntryScript, type PlainInvoke } from './plain-bundle.js';
import { callContext, chunk, reducerNames, reducerSources, type ReducerName, type Summaries } from './workload.js';

/**
 * Which runner a row measures: `quickjs` is the product's `QuickJsRunner` (the engine in a worker
 * thread, with the watchdog); `in-thread` is the engine alone on the calling thread, so the two rows
 * side by side show what the watchdog costs.
 */
export type RunnerKind = 'quickjs' | 'in-thread';

function newRunner(kind: RunnerKind, limits: PluginLimits, warmSpare?: boolean): PluginRunner {
  return kind === 'quickjs' ? new QuickJsRunner({ limits, ...(warmSpare === undefined ? {} : { warmSpare }) }) : new InThreadQuickJsRunner({ limits, ...(warmSpare === undefined ? {} : { warmSpare }) });
}

/** A runner with both reducers loaded; `run` is one pass in batches of `batchSize`. */
export async function runnerBatched(reports: readonly StatusReport[], batchSize: number, limits: PluginLimits, kind: RunnerKind = 'quickjs') {
  const runner = newRunner(kind, limits);
  const handles = await loadHandles(runner);
  const batches = chunk(reports, batchSize);
  // The first calls boot each plugin's runtime and warm the host's JIT (request encoding, copies):
  // neither is part of steady-state throughput.
  await reduceThroughPort(handles, chunk(reports.slice(0, Math.min(Math.ceil(reports.length / 10), 10_000)), batchSize));
  return { run: () => reduceThroughPort(handles, batches), dispose: () => runner.dispose() };
}

/**
 * What a host without batching pays: one `update` call per report and reducer, the accumulator
 * crossing the boundary both ways every time.
 */
export async function runnerPerReport(reports: readonly StatusReport[], limits: PluginLimits, kind: RunnerKind = 'quickjs') {
  const runner = newRunner(kind, limits);
  const handles = await loadHandles(runner);
  const initial = await initialAccs(handles);
  await handles.health.update([{ acc: initial.health, remove: [], add: reports.slice(0, 1) }], callContext);
  return {
    run: async (): Promise<Summaries> => {
      const accs = { ...initial };
      for (const report of reports) {
        for (const name of reducerNames) [accs[name]] = (await handles[name].update([{ acc: accs[name], remove: [], add: [report] }], callContext)) as [Json];
      }
      return finishAll(handles, { health: [accs.health], 'version-histogram': [accs['version-histogram']] });
    },
    dispose: () => runner.dispose(),
  };
}

async function initialAccs(handles: Record<ReducerName, ReducerHandle>): Promise<Record<ReducerName, Json>> {
  const out = {} as Record<ReducerName, Json>;
  // `merge` of an empty group is `init()`: the port's only way to ask for an empty accumulator.
  for (const name of reducerNames) [out[name]] = (await handles[name].merge([[]], callContext)) as [Json];
  return out;
}

/** A bare runtime with the runner's limits switched on the same way (see `sandbox/quickjs/plugin-sandbox.ts`). */
export interface BareRuntime {
  readonly runtime: QuickJSRuntime;
  readonly context: QuickJSContext;
  /** Starts the wall-time budget of the next call. */
  arm(): void;
  dispose(): void;
}

/** A script for {@link bootBare}: its code and the file name its stack frames carry. */
export interface Script {
  readonly code: string;
  readonly filename: string;
}

/**
 * A new runtime and context with stack and wall-time limits and an interrupt handler that watches
 * the clock and the WebAssembly heap, as the runner's; evaluates `script` when given.
 *
 * @throws PluginThrewError when the script throws while it is evaluated.
 */
export function bootBare(module: QuickJsModule, limits: PluginLimits, script?: Script): BareRuntime {
  const memory = module.getWasmMemory();
  const ceiling = memory.buffer.byteLength + limits.memoryBytes;
  let deadline = performance.now() + limits.timeMs;
  const runtime = module.newRuntime();
  runtime.setMaxStackSize(Math.min(limits.stackBytes, maxStackBytes));
  runtime.setInterruptHandler(() => performance.now() > deadline || memory.buffer.byteLength > ceiling);
  const context = runtime.newContext();
  const bare: BareRuntime = {
    runtime,
    context,
    arm: () => {
      deadline = performance.now() + limits.timeMs;
    },
    dispose: () => {
      context.dispose();
      runtime.dispose();
    },
  };
  if (script !== undefined) {
    const result = context.evalCode(script.code, script.filename, { type: 'global' });
    if (result.error !== undefined) {
      const message = describeGuestError(context, result.error);
      result.error.dispose();
      bare.dispose();
      throw new PluginThrewError(ErrorCodes.PluginThrew, `bench: ${script.filename} threw while it was evaluated: ${message}`);
    }
    result.value.dispose();
  }
  return bare;
}

/** Evaluates the peer bundle in `bare` and returns its entry point as a host function. */
export function plainInvoker(bare: BareRuntime, bundle: string): { invoke: PlainInvoke; dispose: () => void } {
  const fn = evalHandle(bare, plainEntryScript(bundle), 'bench-peer.js');
  return { invoke: (plugin, hook, json) => callWithStrings(bare, fn, [plugin, hook, json]), dispose: () => fn.dispose() };
}

/**
 * The guest's `JSON.parse` alone over each chunk: the floor under every QuickJS variant, since each
 * batch must be parsed inside the sandbox once per reducer.
 */
export function guestParseOnly(bare: BareRuntime, chunks: readonly string[]): number {
  const fn = evalHandle(bare, '(text) => String(JSON.parse(text).length)', 'bench-parse.js');
  try {
    let parsed = 0;
    for (const text of chunks) parsed += Number(callWithStrings(bare, fn, [text]));
    return parsed;
  } finally {
    fn.dispose();
  }
}

/**
 * Each chunk as QuickJS binary JSON (`JS_WriteObject` through `encodeBinaryJSON`), parsed and encoded
 * once in `bare`: the input of {@link guestDecodeOnly}.
 */
export function encodeBinaryChunks(bare: BareRuntime, chunks: readonly string[]): Uint8Array[] {
  const fn = evalHandle(bare, '(text) => JSON.parse(text)', 'bench-encode.js');
  try {
    return chunks.map((text) =>
      Scope.withScope((scope) => {
        bare.arm();
        const value = scope.manage(bare.context.unwrapResult(bare.context.callFunction(fn, bare.context.undefined, scope.manage(bare.context.newString(text)))));
        const binary = scope.manage(bare.context.getArrayBuffer(scope.manage(bare.context.encodeBinaryJSON(value))));
        return binary.value.slice();
      }),
    );
  } finally {
    fn.dispose();
  }
}

/**
 * The guest's `decodeBinaryJSON` alone over each binary chunk: what the parse floor would be if the
 * host handed the guest QuickJS's own binary format instead of JSON text (an experiment; the runner
 * sends text).
 */
export function guestDecodeOnly(bare: BareRuntime, binaries: readonly Uint8Array[]): number {
  const fn = evalHandle(bare, '(value) => String(value.length)', 'bench-decode.js');
  try {
    let decoded = 0;
    for (const binary of binaries) {
      decoded += Scope.withScope((scope) => {
        bare.arm();
        const buffer = binary.buffer.slice(binary.byteOffset, binary.byteOffset + binary.byteLength) as ArrayBuffer;
        const value = scope.manage(bare.context.decodeBinaryJSON(scope.manage(bare.context.newArrayBuffer(buffer))));
        return Number(bare.context.getString(scope.manage(bare.context.unwrapResult(bare.context.callFunction(fn, bare.context.undefined, value)))));
      });
    }
    return decoded;
  } finally {
    fn.dispose();
  }
}

function evalHandle(bare: BareRuntime, code: string, filename: string): QuickJSHandle {
  bare.arm();
  const result = bare.context.evalCode(code, filename, { type: 'global' });
  if (result.error !== undefined) {
    const message = describeGuestError(bare.context, result.error);
    result.error.dispose();
    throw new PluginThrewError(ErrorCodes.PluginThrew, `bench: ${filename} threw: ${message}`);
  }
  return result.value;
}

function callWithStrings(bare: BareRuntime, fn: QuickJSHandle, args: readonly string[]): string {
  const { context } = bare;
  bare.arm();
  return Scope.withScope((scope) => {
    const handles = args.map((arg) => scope.manage(context.newString(arg)));
    const result = context.callFunction(fn, context.undefined, ...handles);
    if (result.error !== undefined) {
      const message = describeGuestError(context, scope.manage(result.error));
      throw new PluginThrewError(ErrorCodes.PluginThrew, `bench: a guest call threw: ${message}`);
    }
    return context.getString(scope.manage(result.value));
  });
}

function describeGuestError(context: QuickJSContext, handle: QuickJSHandle): string {
  const dumped = context.dump(handle) as { name?: unknown; message?: unknown } | unknown;
  if (typeof dumped === 'object' && dumped !== null && 'message' in dumped) return `${String((dumped as { name?: unknown }).name)}: ${String(dumped.message)}`;
  return String(dumped);
}

/** The cost of runtimes on one module. */
export interface RuntimeCost {
  /** Median wall time of one new runtime + context (+ script evaluation), in ms. */
  readonly medianMs: number;
  /**
   * WebAssembly heap per runtime, from the heap's growth events: the heap before the growth that the
   * n-th runtime forced held n-1 runtimes, so the slope between the first and the last such point
   * is the bytes a runtime really takes, free of the module's initial pages and of the growth
   * overshoot. `NaN` when the heap grew fewer than twice (too few runtimes, or a module whose pages
   * earlier work already grew).
   */
  readonly heapBytesPerRuntime: number;
  /** QuickJS's own count of bytes in use by one runtime (`computeMemoryUsage().memory_used_size`). */
  readonly usedBytesPerRuntime: number;
}

/** Creates `count` runtimes on `module`, all kept alive, timing each; disposes them after. */
export function measureRuntimes(module: QuickJsModule, limits: PluginLimits, count: number, script?: Script): RuntimeCost {
  const memory = module.getWasmMemory();
  const live: BareRuntime[] = [];
  const times: number[] = [];
  const growth: { runtimes: number; heapBefore: number }[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const heapBefore = memory.buffer.byteLength;
      const start = performance.now();
      live.push(bootBare(module, limits, script));
      times.push(performance.now() - start);
      if (memory.buffer.byteLength !== heapBefore) growth.push({ runtimes: live.length, heapBefore });
    }
    const first = growth[0];
    const last = growth[growth.length - 1];
    const heapBytesPerRuntime = first !== undefined && last !== undefined && last !== first ? (last.heapBefore - first.heapBefore) / (last.runtimes - first.runtimes) : Number.NaN;
    const newest = live[live.length - 1]!;
    const usage = newest.runtime.computeMemoryUsage();
    const used = (newest.context.dump(usage) as { memory_used_size?: number }).memory_used_size ?? Number.NaN;
    usage.dispose();
    return { medianMs: median(times), heapBytesPerRuntime, usedBytesPerRuntime: used };
  } finally {
    for (const bare of live) bare.dispose();
  }
}

/**
 * Idle time between the loads of the spare rows, in ms: far more than a spare takes to boot (~3 ms
 * on a quiet machine), as a control plane's loads are spaced by configuration changes.
 */
export const spareIdleMs = 50;

/** A sandbox bundle's guest shim and plugin script as one script, for evaluating both in one go. */
export function wholeGuestScript(bundle: PluginBundle): string {
  return `${bundle.shim?.code ?? ''}\n${bundle.code}`;
}

/** How {@link runnerLoadMs} loads. */
export interface LoadPlan {
  readonly kind?: RunnerKind;
  /** Whether the runner keeps a warm spare runtime: `QuickJsRunner`'s default (on), off in the engine alone. */
  readonly warmSpare?: boolean;
  /** Idle time before each timed load, in ms, in which a spare can boot; 0 loads back to back. */
  readonly idleMs?: number;
}

/** Untimed loads before the timed ones of {@link runnerLoadMs}. */
const warmLoads = 20;

/**
 * The product's own cold path: `loadReducer` on a runner whose module is warm and whose bundle is
 * cached. It evaluates the plugin's script in a warm spare if one is ready (else boots a runtime,
 * evaluates the guest shim, which hardens the realm, and then the script) and asks the plugin to
 * describe itself. What the caller waits for, so a load right behind another also waits for the
 * spare that is still booting.
 */
export async function runnerLoadMs(limits: PluginLimits, count: number, plan: LoadPlan = {}): Promise<number> {
  const runner = newRunner(plan.kind ?? 'quickjs', limits, plan.warmSpare);
  const source = reducerSources().health;
  try {
    // Untimed loads first: a fresh worker thread runs its first ~20 loads 2–4× slower, until V8 has
    // optimized their path; a runner that has loaded a few plugins is the warm runner measured here.
    for (let i = 0; i < warmLoads; i++) await runner.loadReducer(source);
    const times: number[] = [];
    for (let i = 0; i < count; i++) {
      if ((plan.idleMs ?? 0) > 0) await sleep(plan.idleMs);
      const start = performance.now();
      await runner.loadReducer(source);
      times.push(performance.now() - start);
    }
    return median(times);
  } finally {
    await runner.dispose();
  }
}

/** The cold-start rows' loads, in ms (medians): see {@link runnerLoadMs}. */
export interface ColdStarts {
  /** The engine on this thread, warm spare on, loads spaced by idle time. */
  readonly inThread: number;
  /** `QuickJsRunner` (warm spare on, the default), loads spaced by idle time: what a load waits for. */
  readonly spaced: number;
  /** The same, each load right after the other: it waits for the spare still booting. */
  readonly backToBack: number;
  /** `QuickJsRunner` without a spare: runtime, shim and plugin script booted on the load's path. */
  readonly noSpare: number;
}

/** Times `count` loads of `health` each way, one runner after the other. */
export async function coldStarts(limits: PluginLimits, count: number): Promise<ColdStarts> {
  const inThread = await runnerLoadMs(limits, count, { kind: 'in-thread', warmSpare: true, idleMs: spareIdleMs });
  const spaced = await runnerLoadMs(limits, count, { idleMs: spareIdleMs });
  const backToBack = await runnerLoadMs(limits, count);
  const noSpare = await runnerLoadMs(limits, count, { warmSpare: false });
  return { inThread, spaced, backToBack, noSpare };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

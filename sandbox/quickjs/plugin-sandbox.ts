import { Scope, type QuickJSContext, type QuickJSHandle, type QuickJSRuntime } from 'quickjs-emscripten';
import { ErrorCodes, PluginError, PluginLoadError, PluginMemoryError, PluginStackError, PluginThrewError, type ErrorDetails } from '../../core/errors.js';
import type { SandboxBundle } from '../bundle.js';
import type { PluginLimits, PluginSource } from '../../core/ports/plugin-runner.js';
import { malformedOutput, recoveryFor, toPluginError, type HostBreach, type SandboxFailure } from './failures.js';
import { guestGlobal, type GuestFailure, type GuestHook, type GuestRequest } from './protocol.js';
import { encodeBinaryString } from './binary-json.js';
import { effectiveStackBytes, minBootMs } from './limits.js';
import type { WarmSpare } from './warm-spare.js';
import { ownBuffer, type ModuleLease, type WasmHost } from './wasm-host.js';

/** What a sandbox shares with its runner. */
export interface SandboxEnv {
  readonly host: WasmHost;
  /** Host clock in ms, for deadlines. */
  readonly clock: () => number;
  /** Seed of the guest's `Math.random`. */
  readonly seed: number;
  /** The heap the whole module may reach: its baseline plus the budgets of every loaded plugin (and of a warm spare). */
  readonly moduleCeiling: (lease: ModuleLease) => number;
  /** Told when guest code starts and stops running. */
  readonly watch?: GuestWatch;
  /** A runtime booted ahead of need, which a boot takes instead of starting from nothing. */
  readonly spare?: WarmSpare;
}

/**
 * Follows guest code from outside the VM. The interrupt handler stops guest code only while it
 * keeps running bytecode; a watchdog on another thread sees how long a call has been in the guest.
 */
export interface GuestWatch {
  /**
   * Guest code starts and may run for `budgetMs`: the bundle's evaluation when `booting`, else a
   * hook. A call that boots a runtime enters twice, each with its own budget.
   */
  enter(budgetMs: number, booting: boolean): void;
  /** No guest code runs until the next {@link enter}. */
  leave(): void;
}

/** The rest of a request; the sandbox adds the items, the seed and the output limit. */
export type SandboxRequest = Omit<GuestRequest, 'seed' | 'outputBytes' | 'items'>;

interface Live {
  readonly lease: ModuleLease;
  readonly runtime: QuickJSRuntime;
  readonly context: QuickJSContext;
}

type Outcome = { readonly text: string } | { readonly failure: SandboxFailure; readonly undecodable?: true } | { readonly malformed: string };

/**
 * A batch's items as they cross into the guest: the JSON text of their array, or the same array as
 * QuickJS binary JSON (`encodeBinaryJson`), which the guest decodes about three times faster.
 */
export type SandboxItems = string | Uint8Array;

/**
 * Requests shorter than this are copied with `newString`: one call into WebAssembly costs less than
 * the three (allocate, wrap, decode) of a binary JSON string until emscripten's per-character loops
 * over the text outweigh them.
 */
const binaryStringChars = 4096;

/** Bytes of `{"ok":true,"value":...}` around a result, plus room for a failure report. */
const envelopeBytes = 64 * 1024;

/**
 * One loaded plugin: its own QuickJS runtime and context on the runner's module, created lazily
 * (or taken from the runner's warm spare), with the guest shim and then the plugin's script
 * evaluated once per runtime. Every call gets a fresh deadline and heap budget;
 * every breach becomes a typed error, after which the runtime (or, for memory and host-side
 * failures, the whole module) is dropped and recreated on the next call.
 */
export class PluginSandbox {
  private live: Live | undefined;
  private deadline = 0;
  private heapCeiling = Number.POSITIVE_INFINITY;
  private breach: HostBreach | undefined;
  private disposed = false;

  constructor(
    readonly source: PluginSource,
    readonly bundle: SandboxBundle,
    readonly limits: PluginLimits,
    private readonly env: SandboxEnv,
  ) {}

  /**
   * Whether {@link run} may be given binary items now: the live module passed its binary JSON
   * self-check. False before the first call, which instantiates the module.
   */
  get binaryItems(): boolean {
    return this.env.host.binaryJson() === true;
  }

  /**
   * Runs one batch in the guest and returns its parsed result.
   *
   * @param items - the batch's items, passed into the guest as they are: never parsed on the host.
   * @param expected - the number of results the batch must produce; `undefined` for `describe`.
   * @throws PluginError subclasses for every plugin failure; PluginLoadError if the runner is gone.
   */
  async run(hook: GuestHook, request: SandboxRequest, items: SandboxItems, where: ErrorDetails, expected: number | undefined): Promise<unknown> {
    this.assertOpen(where);
    let lease: ModuleLease;
    try {
      lease = await this.env.host.acquire();
    } catch (error) {
      throw new PluginLoadError(ErrorCodes.PluginLoad, `${where.plugin}: cannot instantiate the QuickJS WebAssembly module: ${(error as Error).message}`, { ...where, cause: error });
    }
    this.assertOpen(where);
    if (this.live !== undefined && !this.live.lease.alive) this.live = undefined;

    if (typeof items !== 'string' && lease.binaryJson !== true) {
      throw new PluginLoadError(ErrorCodes.PluginLoad, `${where.plugin}: this QuickJS build cannot read binary JSON (${lease.binaryJson}); send the items as JSON text`, where);
    }
    const head = JSON.stringify({ ...request, seed: this.env.seed, outputBytes: this.limits.outputBytes } satisfies Omit<GuestRequest, 'items'>);
    // `{"clock":…,"outputBytes":…` + `,"items":[…]}`: the items are never parsed on this side.
    const json = typeof items === 'string' ? `${head.slice(0, -1)},"items":${items}}` : head;
    const binary = typeof items === 'string' ? undefined : items;
    const envelopeLimit = (expected ?? 1) * (this.limits.outputBytes + 1) + envelopeBytes;
    let outcome: Outcome;
    let refused: boolean;
    try {
      outcome = this.execute(lease, hook, json, binary, envelopeLimit);
    } catch (error) {
      // QuickJS failed on the host side (a host stack overflow, a WebAssembly trap): the module's
      // runtimes may no longer be disposable, so the whole module goes.
      this.env.host.discard(lease);
      this.live = undefined;
      throw hostSideError(error, where, this.limits, lease.growthRefused);
    } finally {
      refused = lease.growthRefused;
      lease.limitGrowth(Number.POSITIVE_INFINITY);
    }

    const heapBytes = lease.heapBytes();
    // A refused growth counts even if the plugin caught the out-of-memory error and carried on:
    // QuickJS is not built to keep running reliably after an allocation failed.
    if (refused || heapBytes > this.heapCeiling) outcome = { failure: { breach: 'memory' } };
    if ('failure' in outcome) {
      // A failed decode leaves its exception pending in the context: a fresh runtime starts clean.
      if ('undecodable' in outcome) this.release();
      throw this.recover(lease, toPluginError({ ...outcome.failure, heapBytes }, where, this.limits, this.bundle));
    }
    if ('malformed' in outcome) throw this.recover(lease, malformedOutput(where, outcome.malformed));

    // Promise jobs left behind by async plugin code would pile up in a runtime that is never
    // pumped; dropping the runtime frees them.
    if (this.live?.runtime.hasPendingJob()) this.release();
    return this.unpack(outcome.text, where, expected, lease);
  }

  /** Disposes the runtime. Later calls fail. */
  dispose(): void {
    this.disposed = true;
    this.release();
  }

  private assertOpen(where: ErrorDetails): void {
    if (this.disposed) throw new PluginLoadError(ErrorCodes.PluginLoad, `${where.plugin}: the QuickJS runner was disposed`, where);
  }

  /** Everything that touches QuickJS for one call; synchronous, so no other call interleaves. */
  private execute(lease: ModuleLease, hook: GuestHook, json: string, items: Uint8Array | undefined, envelopeLimit: number): Outcome {
    const heapStart = lease.heapBytes();
    // A call may grow the heap by its own budget, and the module never past the sum of all budgets.
    this.heapCeiling = Math.max(heapStart, Math.min(heapStart + this.limits.memoryBytes, this.env.moduleCeiling(lease)));
    lease.limitGrowth(this.heapCeiling);
    this.breach = undefined;
    try {
      if (this.live === undefined) {
        this.arm(Math.max(this.limits.timeMs, minBootMs), true);
        const booted = this.boot(lease);
        if ('failure' in booted) return booted;
        this.live = booted;
        if (this.breach === 'time') return { failure: { breach: 'time', booting: true } };
      }
      this.arm(this.limits.timeMs, false);
      return this.invoke(lease, this.live.context, hook, json, items, envelopeLimit);
    } finally {
      // Only after the guest's failure was read: reading it can run guest code (a getter, a toJSON).
      this.env.watch?.leave();
    }
  }

  /** Starts the deadline of the next stretch of guest code. */
  private arm(budgetMs: number, booting: boolean): void {
    this.deadline = this.env.clock() + budgetMs;
    this.env.watch?.enter(budgetMs, booting);
  }

  /**
   * Whether the guest ran past its deadline. The interrupt handler only runs between bytecodes, so
   * one long built-in (an `indexOf` over a huge array-like, a `join` of a huge array) can return
   * after the deadline without ever being interrupted: its result must not count.
   */
  private overran(): boolean {
    if (this.env.clock() > this.deadline) this.breach ??= 'time';
    return this.breach === 'time';
  }

  /**
   * A runtime and context with the limits set, the guest shim evaluated (the realm hardened) and
   * then the plugin's script. A warm spare has the shim behind it already: only the plugin's own
   * code is left to evaluate.
   */
  private boot(lease: ModuleLease): Live | { readonly failure: SandboxFailure } {
    // Host-side failures propagate to run(), which discards the module along with this runtime.
    const spare = this.env.spare?.take(lease, this.bundle.shim);
    const runtime = spare?.runtime ?? lease.module.newRuntime();
    // No QuickJS memory limit: when it refuses an allocation, all the host learns is the guest's
    // "out of memory", which a plugin can throw itself. Without it every allocation the heap cannot
    // hold goes through the growth guard, where the host sees the refusal (see ModuleLease).
    runtime.setMaxStackSize(effectiveStackBytes(this.limits));
    runtime.setInterruptHandler(() => this.shouldInterrupt(lease));
    const context = spare?.context ?? runtime.newContext();
    for (const script of spare === undefined ? [this.bundle.shim, this.bundle] : [this.bundle]) {
      const result = context.evalCode(script.code, script.filename, { type: 'global' });
      this.overran();
      if (result.error !== undefined) {
        const failure: SandboxFailure = { ...(this.breach === undefined ? {} : { breach: this.breach }), guest: readFailure(context, result.error), booting: true };
        result.error.dispose();
        context.dispose();
        runtime.dispose();
        return { failure };
      }
      result.value.dispose();
    }
    return { lease, runtime, context };
  }

  private invoke(lease: ModuleLease, context: QuickJSContext, hook: GuestHook, json: string, items: Uint8Array | undefined, envelopeLimit: number): Outcome {
    return Scope.withScope((scope): Outcome => {
      const api = scope.manage(context.getProp(context.global, guestGlobal));
      if (context.typeof(api) !== 'object') return { malformed: 'nothing: the sandbox entry point is missing' };
      const call = scope.manage(context.getProp(api, 'call'));
      if (context.typeof(call) !== 'function') return { malformed: 'nothing: the sandbox entry point is missing' };
      const request = lease.binaryJson === true && json.length >= binaryStringChars ? encodeBinaryString(json) : undefined;
      // quickjs-emscripten copies into whatever malloc returns, and a malloc the heap guard refused
      // returns address 0: a request larger than the call's whole budget is never copied. (One that
      // fits the budget but not the heap's remaining room still is; the refusal then discards the module.)
      const copied = (request?.length ?? json.length * 3) + (items?.length ?? 0);
      if (copied > this.limits.memoryBytes) return { failure: { breach: 'memory' } };
      const args = [scope.manage(context.newString(hook))];
      // Decoding allocates in the guest's heap, under this call's growth ceiling like everything else.
      const text = scope.manage(request === undefined ? context.newString(json) : decode(scope, context, request));
      if (context.typeof(text) !== 'string') return undecodable;
      args.push(text);
      if (items !== undefined) {
        const decoded = scope.manage(decode(scope, context, items));
        if (context.typeof(decoded) !== 'object') return undecodable;
        args.push(decoded);
      }
      const result = context.callFunction(call, api, ...args);
      const late = this.overran();
      if (result.error !== undefined) {
        const error = scope.manage(result.error);
        return { failure: { ...(this.breach === undefined ? {} : { breach: this.breach }), guest: readFailure(context, error) } };
      }
      const value = scope.manage(result.value);
      if (late) return { failure: { breach: 'time' } };
      if (context.typeof(value) !== 'string') return { malformed: `an envelope of type ${context.typeof(value)} instead of a string` };
      // Measure before copying out: the copy itself would cost host memory.
      const length = context.getNumber(scope.manage(context.getProp(value, 'length')));
      if (length > envelopeLimit) return { malformed: `${length} bytes, above the ${this.limits.outputBytes} byte output limit` };
      return { text: context.getString(value) };
    });
  }

  private shouldInterrupt(lease: ModuleLease): boolean {
    if (this.env.clock() > this.deadline) {
      this.breach ??= 'time';
      return true;
    }
    if (lease.heapBytes() > this.heapCeiling) {
      this.breach ??= 'memory';
      return true;
    }
    return false;
  }

  /** Parses and checks the envelope; returns the value of a successful call. */
  private unpack(text: string, where: ErrorDetails, expected: number | undefined, lease: ModuleLease): unknown {
    let envelope: unknown;
    try {
      envelope = JSON.parse(text);
    } catch {
      throw this.recover(lease, malformedOutput(where, 'an envelope that is not JSON'));
    }
    if (!isRecord(envelope) || typeof envelope.ok !== 'boolean') throw this.recover(lease, malformedOutput(where, 'a malformed envelope'));
    if (envelope.ok === false) {
      const guest = asGuestFailure(envelope.error);
      if (guest === undefined) throw this.recover(lease, malformedOutput(where, 'a malformed failure report'));
      throw this.recover(lease, toPluginError({ guest }, where, this.limits, this.bundle));
    }
    const value = envelope.value;
    if (expected !== undefined && (!Array.isArray(value) || value.length !== expected)) {
      throw this.recover(lease, malformedOutput(where, `${Array.isArray(value) ? value.length : 'no'} results for a batch of ${expected}`));
    }
    return value;
  }

  /** Applies what a failure means for this sandbox, and returns it for throwing. */
  private recover(lease: ModuleLease, error: PluginError): PluginError {
    const recovery = recoveryFor(error);
    if (recovery === 'discard-module') {
      this.env.host.discard(lease);
      this.live = undefined;
    } else if (recovery === 'recreate-runtime') {
      this.release();
    }
    return error;
  }

  /** Disposes the runtime if its module is still alive; a discarded module takes its runtimes along. */
  private release(): void {
    const live = this.live;
    this.live = undefined;
    if (live !== undefined) this.env.host.release(live);
  }
}

/**
 * `bytes` of binary JSON decoded in the guest. A failed decode yields a handle of type `unknown`
 * (quickjs-emscripten 0.32 returns QuickJS's exception marker as it is, the exception left pending).
 */
function decode(scope: Scope, context: QuickJSContext, bytes: Uint8Array): QuickJSHandle {
  return context.decodeBinaryJSON(scope.manage(context.newArrayBuffer(ownBuffer(bytes))));
}

/** What a call whose request the guest could not decode fails with (unless the heap guard refused it memory). */
const undecodable: Outcome = {
  failure: { guest: { kind: 'threw', name: 'InternalError', message: 'the sandbox could not decode the request', stack: '' } },
  undecodable: true,
};

/** Reads a guest exception that escaped the shim (an interrupt, an out-of-memory, a broken shim). */
function readFailure(context: QuickJSContext, handle: QuickJSHandle): GuestFailure {
  try {
    const dumped: unknown = context.dump(handle);
    if (isRecord(dumped)) {
      return { kind: 'threw', name: String(dumped.name ?? 'Error'), message: String(dumped.message ?? ''), stack: String(dumped.stack ?? '') };
    }
    return { kind: 'threw', name: typeof dumped, message: String(dumped), stack: '' };
  } catch {
    return { kind: 'threw', name: 'InternalError', message: 'the guest exception could not be read', stack: '' };
  }
}

function asGuestFailure(value: unknown): GuestFailure | undefined {
  if (!isRecord(value)) return undefined;
  const { kind, name, message, stack } = value;
  if (kind !== 'threw' && kind !== 'output' && kind !== 'no-remove') return undefined;
  if (typeof name !== 'string' || typeof message !== 'string' || typeof stack !== 'string') return undefined;
  const reason = value.reason === 'not-json' || value.reason === 'not-a-value' || value.reason === 'too-big' ? value.reason : undefined;
  return {
    kind,
    name,
    message,
    stack,
    ...(reason === undefined ? {} : { reason }),
    ...(typeof value.bytes === 'number' ? { bytes: value.bytes } : {}),
    ...(typeof value.index === 'number' ? { index: value.index } : {}),
  };
}

/** A failure raised by quickjs-emscripten itself rather than by guest code. */
function hostSideError(error: unknown, where: ErrorDetails, limits: PluginLimits, growthRefused: boolean): PluginError {
  const message = error instanceof Error ? error.message : String(error);
  const at = where.level === undefined ? ' while loading' : ` at level ${where.level}`;
  if (growthRefused) {
    return new PluginMemoryError(ErrorCodes.PluginMemory, `${where.plugin}.${where.hook} ran past its ${limits.memoryBytes} byte memory limit${at}: ${message}`, { ...where, cause: error });
  }
  if (error instanceof RangeError && /call stack/i.test(message)) {
    return new PluginStackError(ErrorCodes.PluginStack, `${where.plugin}.${where.hook} overflowed the host stack${at} (guest limit ${effectiveStackBytes(limits)} bytes): ${message}`, { ...where, cause: error });
  }
  if (/out of memory|Cannot enlarge/i.test(message)) {
    return new PluginMemoryError(ErrorCodes.PluginMemory, `${where.plugin}.${where.hook} ran out of sandbox memory${at}: ${message}`, { ...where, cause: error });
  }
  return new PluginThrewError(ErrorCodes.PluginThrew, `${where.plugin}.${where.hook} broke the sandbox${at}: ${message}`, { ...where, cause: error });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

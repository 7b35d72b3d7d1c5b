/**
 * The messages between a runner and its worker threads. Plain data only (structured clone); every
 * request carries an `id` and gets exactly one reply with that `id`. Types only: imported by both
 * sides.
 */
import type { Json, LevelInfo, PolicyInput } from '../../core/contract.js';
import type { SandboxItems } from '../quickjs/plugin-sandbox.js';
import type { CallContext, CustomizeCall, CustomizeItem, PluginInfo, PluginLimits, PluginSource } from '../../core/ports/plugin-runner.js';
import type { GuestScript, PluginBundle } from '../bundle.js';
import type { CustomizerHook, ReducerHook } from '../quickjs/protocol.js';
import type { WireError } from './wire-error.js';

/** What every worker is started with. */
export interface ThreadData {
  /** Seed of the guest's `Math.random`, the same in every worker of a runner. */
  readonly seed: number | undefined;
  /** The cell the worker marks guest code in, for the host's watchdog (see `watchdog.ts`). */
  readonly guest: SharedArrayBuffer;
  /** Whether the engine keeps a warm spare runtime (see `InThreadQuickJsRunnerOptions.warmSpare`). */
  readonly warmSpare: boolean;
  /** The guest shim of the plugins the host has loaded so far, to boot the spare with at once. */
  readonly shim: GuestScript | undefined;
}

/**
 * What the host asks a worker; `plugin` is the runner's id for a loaded plugin, the same in every
 * worker. A load carries the bundle the host built, so every worker runs the same code and a
 * replacement worker needs no rebuild. A reducer hook's `items` travel as QuickJS binary JSON (an
 * ArrayBuffer moved, not copied), which the worker passes to the guest as it is, or as JSON text when
 * the thread's module cannot read binary JSON (see {@link ThreadLoaded}) or the items are not plain
 * data: V8 writes and reads JSON text about twice as fast as it structured-clones the same reports.
 */
export type ThreadRequestBody =
  | { readonly type: 'load'; readonly plugin: number; readonly kind: PluginInfo['kind']; readonly source: PluginSource; readonly bundle: PluginBundle; readonly limits: PluginLimits }
  | { readonly type: 'reducer'; readonly plugin: number; readonly hook: ReducerHook; readonly items: SandboxItems; readonly count: number; readonly call: CallContext }
  | { readonly type: 'decide'; readonly plugin: number; readonly inputs: readonly PolicyInput[]; readonly options: Json; readonly level: LevelInfo }
  | { readonly type: 'customize'; readonly plugin: number; readonly hook: CustomizerHook; readonly items: readonly CustomizeItem[]; readonly call: CustomizeCall };

/** What a worker answers to a load. */
export interface ThreadLoaded {
  readonly info: PluginInfo;
  /** Whether the thread's module reads binary JSON items (it passed its self-check), or why not. */
  readonly binaryJson: true | string;
}

/** A request on the wire. */
export type ThreadRequest = ThreadRequestBody & { readonly id: number };

/**
 * What a worker answers. A reducer hook's results come back as the JSON text of the whole result
 * array: the host needs its exact length to apply the output limit to a split call as a whole.
 */
export type ThreadReply = { readonly id: number; readonly ok: true; readonly value: unknown } | { readonly id: number; readonly ok: false; readonly error: WireError };

/**
 * The messages between a {@link PooledRunner} and its worker threads. Plain data only (structured
 * clone), every request carries an `id` and gets exactly one reply with that `id`, so a worker may
 * answer out of order. Types only: imported by both sides.
 */
import type { Json, LevelInfo, PolicyInput } from '../../core/contract.js';
import type { CallContext, PluginInfo, PluginLimits, PluginSource } from '../../core/ports/plugin-runner.js';
import type { WireError } from './wire-error.js';

/** What every worker is started with: the options of its own `QuickJsRunner`. */
export interface PoolWorkerData {
  readonly limits: Partial<PluginLimits>;
  readonly seed: number | undefined;
}

/** The reducer hooks a worker runs on request; each is one batch call of its `QuickJsRunner` handle. */
export type PoolReducerHook = 'reduce' | 'update' | 'merge' | 'finish';

/**
 * What the pool asks a worker; `plugin` is the pool's id for a loaded plugin, the same in every
 * worker. A reducer hook's `items` travel as JSON text: the runner would serialize them for the guest
 * anyway, and V8 writes and reads JSON text about twice as fast as it structured-clones the same reports.
 */
export type PoolRequestBody =
  | { readonly type: 'load'; readonly plugin: number; readonly kind: PluginInfo['kind']; readonly source: PluginSource; readonly limits: Partial<PluginLimits> }
  | { readonly type: 'reducer'; readonly plugin: number; readonly hook: PoolReducerHook; readonly items: string; readonly call: CallContext }
  | { readonly type: 'decide'; readonly plugin: number; readonly inputs: readonly PolicyInput[]; readonly options: Json; readonly level: LevelInfo };

/** A request on the wire. */
export type PoolRequest = PoolRequestBody & { readonly id: number };

/**
 * What a worker answers. A reducer hook's results come back as the JSON text of the whole result
 * array: the pool needs its exact length to apply the output limit to a split call as a whole.
 */
export type PoolReply = { readonly id: number; readonly ok: true; readonly value: unknown } | { readonly id: number; readonly ok: false; readonly error: WireError };

/**
 * The wire format between the host and the guest shim inside QuickJS. One call crosses the boundary
 * as one JSON string in (its items either inside it or beside it as one value the host decoded from
 * binary JSON) and one JSON string out, so the host never holds a handle per report.
 * Types only: this module is imported by the guest bundle as well as by the host.
 */

import type { CallContext, CustomizeCall } from '../../core/ports/plugin-runner.js';

/** The name of the guest global through which the host calls in. */
export const guestGlobal = '__edgesum';

/** The batch entry points the guest answers. `describe` reports the plugin's metadata. */
export type GuestHook = 'describe' | 'reduce' | 'update' | 'merge' | 'finish' | 'decide' | 'customize' | 'explain';

/** What the host sends with every call. */
export interface GuestRequest {
  /** What `Date.now()` returns while the batch runs (ms since the epoch); `decide` uses each input's `now` instead. */
  readonly clock: number;
  /** Seed of `Math.random`, reset at the start of every call so equal calls draw equal numbers. */
  readonly seed: number;
  /** Largest serialized result, checked by the guest before it copies the result out. */
  readonly outputBytes: number;
  /** The batch context of reducer hooks. */
  readonly call?: CallContext;
  /** The batch context of `customize` and `explain`. */
  readonly customize?: CustomizeCall;
  /** The policy options of `decide`. */
  readonly options?: unknown;
  /** Groups of reports (`reduce`), updates (`update`), groups of accumulators (`merge`), accumulators (`finish`) or policy inputs (`decide`). */
  readonly items: readonly unknown[];
}

/** Why a call failed, as data: the guest never lets an exception escape to the host. */
export interface GuestFailure {
  /**
   * `threw`: a hook threw (`name`/`message`/`stack` describe the thrown value);
   * `output`: a result is not JSON (`reason`), is no value at all or is too big (`bytes`);
   * `no-remove`: an update retracts reports but the reducer has no `remove`.
   */
  readonly kind: 'threw' | 'output' | 'no-remove';
  readonly name: string;
  readonly message: string;
  readonly stack: string;
  /** For `output`: what is wrong with the result. */
  readonly reason?: 'not-json' | 'not-a-value' | 'too-big';
  /** The serialized size of an oversize result. */
  readonly bytes?: number;
  /** The position of the failing item in a `decide` batch. */
  readonly index?: number;
}

/** What the guest returns from every call. */
export type GuestResponse = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: GuestFailure };

/** The reducer hooks: each runs one batch of groups, updates, groups of accumulators or accumulators. */
export type ReducerHook = Exclude<GuestHook, 'describe' | 'decide' | CustomizerHook>;

/** The customizer hooks: each runs one batch of objects to render for their targets. */
export type CustomizerHook = 'customize' | 'explain';

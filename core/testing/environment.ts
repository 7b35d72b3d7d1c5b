/**
 * How the checks reach a plugin's clock and randomness: a plugin loaded with `loadReducer` or
 * `loadPolicy` from `edgesum/testing` carries a handle under {@link pluginEnvironment}, and the
 * checks use it to run each hook with another clock or another seed and see whether the result
 * changes.
 *
 * @module edgesum/testing
 */

/** The key under which a loaded plugin carries its {@link PluginEnvironmentHandle}. */
export const pluginEnvironment: unique symbol = Symbol.for('edgesum.plugin-environment');

/** The seed of `Math.random` the runners use when given none. */
export const defaultSeed = 0x5eed;

/** A loaded plugin's own object and the environment its hooks read, as the sandbox sets it. */
export interface PluginEnvironmentHandle {
  /** The plugin as its module exported it; its hooks read the clock and seed set here. */
  readonly plugin: object;
  /** What the plugin's `Date.now()` and `new Date()` return from now on, in ms since the epoch. */
  setClock(ms: number): void;
  /** Restarts the plugin's `Math.random` from `seed`. */
  reseed(seed: number): void;
  /** Where a hook is written, e.g. `src/index.ts:12:3`, if known. */
  locate?(hook: string): string | undefined;
}

/** The environment handle a loaded plugin carries, or undefined for a plain plugin object. */
export function environmentOf(plugin: unknown): PluginEnvironmentHandle | undefined {
  if ((typeof plugin !== 'object' && typeof plugin !== 'function') || plugin === null) return undefined;
  const handle = (plugin as { [pluginEnvironment]?: unknown })[pluginEnvironment];
  return typeof handle === 'object' && handle !== null ? (handle as PluginEnvironmentHandle) : undefined;
}

/** The clock a hook sees for an RFC 3339 `now`, as the runners read it: 0 when it does not parse. */
export function clockOf(now: string): number {
  const ms = Date.parse(now);
  return Number.isNaN(ms) ? 0 : ms;
}

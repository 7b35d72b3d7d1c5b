import { runInThisContext } from 'node:vm';
import { ErrorCodes, PluginLoadError } from '../core/errors.js';
import type { PluginSource } from '../core/ports/plugin-runner.js';
import { bundlePlugin, type PluginBundle } from './bundle.js';
import { locate, originalPosition } from './quickjs/failures.js';
import { defaultSeed, guestClock, seededRandom } from './quickjs/guest-realm.js';

/** What a plugin reads as its clock and its randomness, set by whoever calls its hooks. */
export interface PluginEnvironment {
  /** What the plugin's `Date.now()` and `new Date()` return until the next call, in ms since the epoch. */
  setClock(ms: number): void;
  /** Restarts the plugin's `Math.random` from `seed`. */
  reseed(seed: number): void;
}

/** A plugin evaluated in the host process with the sandbox's `Date` and `Math.random`. */
export interface HostPlugin {
  /** The module's default export. */
  readonly exported: unknown;
  /** The host bundle it was evaluated from, with its source map. */
  readonly bundle: PluginBundle;
  readonly environment: PluginEnvironment;
}

export { defaultSeed };

/** A call's `now` (RFC 3339) as the guest's clock reads it: the epoch when it does not parse. */
export function clockAt(now: string): number {
  const ms = Date.parse(now);
  return Number.isNaN(ms) ? 0 : ms;
}

/** Sets up a plugin for one call as the sandbox does: its clock at the call's `now`, `Math.random` from the default seed. */
export function enterCall(environment: PluginEnvironment, now: string): void {
  environment.setClock(clockAt(now));
  environment.reseed(defaultSeed);
}

/**
 * Bundles a plugin (JS or TS, with the sandbox's bundling rules) and evaluates it in the host
 * process, giving it a `Date` and a `Math` of its own made by the guest's own shim: its clock is
 * whatever {@link PluginEnvironment.setClock} last set and its `Math.random` the guest's seeded
 * generator. They reach the plugin as bindings of the function the bundle is wrapped in, so the
 * process's globals are never touched and two plugins share nothing. Trusted code only: a plugin
 * can still reach the real clock through `globalThis.Date`.
 *
 * @throws PluginLoadError naming the module, and the plugin's file and line when its top level throws.
 */
export async function loadHostPlugin(source: PluginSource): Promise<HostPlugin> {
  const bundle = await bundlePlugin(source, 'host');
  const clock = guestClock(Date);
  const random = seededRandom(Math.imul);
  random.reseed(defaultSeed);
  const math = Object.freeze(Object.create(Math, { random: { value: random.random } }) as Math);
  let exported: unknown;
  try {
    const evaluate = runInThisContext(bundle.code, { filename: bundle.filename }) as (date: DateConstructor, math: Math, hand: (value: unknown) => void) => void;
    evaluate(clock.Date, math, (value) => {
      exported = value;
    });
  } catch (error) {
    const thrown = error as { name?: unknown; message?: unknown; stack?: unknown };
    const message = typeof thrown?.message === 'string' ? `${String(thrown.name)}: ${thrown.message}` : String(error);
    throw new PluginLoadError(ErrorCodes.PluginLoad, `${source.spec} threw while loading: ${message}${locate(typeof thrown?.stack === 'string' ? thrown.stack : undefined, bundle)}`, { plugin: source.spec, cause: error });
  }
  return { exported, bundle, environment: { setClock: clock.setClock, reseed: random.reseed } };
}

/**
 * Where a plugin's hook is written, as `src/index.ts:12:3`: the function's own text is found in the
 * bundle and mapped back through the source map. Undefined when the hook is not a function of the
 * bundle (a bound or native function).
 */
export function hookPosition(host: HostPlugin, hook: string): string | undefined {
  const fn = (host.exported as Record<string, unknown> | null | undefined)?.[hook];
  if (typeof fn !== 'function') return undefined;
  const text = Function.prototype.toString.call(fn);
  const at = host.bundle.code.indexOf(text);
  if (at < 0) return undefined;
  const before = host.bundle.code.slice(0, at);
  const line = before.split('\n').length;
  const column = at - before.lastIndexOf('\n');
  return originalPosition(host.bundle, line, column);
}

/**
 * A stack trace with every frame in the bundle rewritten to the plugin's own file, line and column
 * (`at add (src/index.ts:8:3)`); frames of the shim and of other code stay as they are.
 */
export function mapStack(stack: string, host: HostPlugin): string {
  const frame = new RegExp(`${host.bundle.filename.replace(/\./g, '\\.')}:(\\d+):(\\d+)`, 'g');
  return stack.replace(frame, (whole, line: string, column: string) => originalPosition(host.bundle, Number(line), Number(column)) ?? whole);
}

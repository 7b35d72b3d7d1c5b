/**
 * `checkCustomizerLaws`: the customizer laws of `edgesum/plugin`, checked on one object and one
 * small hierarchy.
 *
 * @module edgesum/testing
 */
import type { Customizer, CustomizerContext, CustomizeTarget, Json } from '../contract.js';
import { clockOf, defaultSeed, environmentOf, type PluginEnvironmentHandle } from './environment.js';
import { deepFreeze, thaw } from './freeze.js';
import { canonical, describeThrown, difference, Halt, isTypeError, jsonFault, ViolationLog, type Violation } from './violations.js';

/**
 * The laws {@link checkCustomizerLaws} checks, as named in its violations:
 * - `arguments`: the setup is unusable (no chain, no destinations, not plain data);
 * - `hooks`: `customize` is missing, or throws on the setup's object and targets;
 * - `json-output`: a result is not JSON, or its JSON is larger than `outputBytes`;
 * - `determinism`: the same call twice gives different results;
 * - `no-mutation`: `customize` writes to the object, the target or the context;
 * - `level-independence`: rendering level by level (each level a JSON copy of its parent's result)
 *   differs from rendering every destination at the center, where siblings share their parent's
 *   result and are rendered in the opposite order;
 * - `idempotence`: a customizer that declares `idempotent` changes its own result when applied again;
 * - `clock`: a rendering changes when rendered at another time (`ctx.now` moved, and `Date` with it
 *   for customizers loaded with `loadCustomizer`): renderings are compared across levels and time;
 * - `randomness`: a rendering changes with the seed of `Math.random`. Checked for customizers
 *   loaded with `loadCustomizer`, whose seed the check can set.
 */
export type CustomizerLaw = 'arguments' | 'hooks' | 'json-output' | 'determinism' | 'no-mutation' | 'level-independence' | 'idempotence' | 'clock' | 'randomness';

/** What {@link checkCustomizerLaws} runs a customizer on. */
export interface CustomizerLawSetup<Options = unknown> {
  /** The options, as the host passes them after validating them against the schema. */
  readonly options: Options;
  /** The object the pattern starts from. Not modified. */
  readonly object: Json;
  /** The levels from the center down to one site: `[center, region, site]`. */
  readonly chain: readonly CustomizeTarget[];
  /** Destinations of the chain's last level; at least one, two or more to compare siblings. */
  readonly destinations: readonly CustomizeTarget[];
  /** `ctx.now`; a fixed instant by default. */
  readonly now?: string;
  /** The output limit; 8 MiB (the runners' default) by default. */
  readonly outputBytes?: number;
}

type AnyCustomizer = Customizer<unknown>;

/**
 * Checks a customizer against the laws of the plugin contract, calling `customize` directly. The
 * customizer is applied at every level of the chain and to every destination (a pattern that
 * binds it to each kind), on deep-frozen arguments, so a write throws a `TypeError`.
 *
 * Pure and deterministic, never throws, imports no test runner.
 *
 * @example
 * ```ts
 * import { checkCustomizerLaws } from 'edgesum/testing';
 * expect(checkCustomizerLaws(myCustomizer, { options: {}, object, chain, destinations })).toEqual([]);
 * ```
 *
 * @returns the violations found, in the order found, each once; empty when the customizer keeps every law here.
 */
export function checkCustomizerLaws<Options>(customizer: Customizer<Options>, setup: CustomizerLawSetup<Options>): Violation<CustomizerLaw>[] {
  const log = new ViolationLog<CustomizerLaw>();
  const environment = environmentOf(customizer);
  const subject = (environment?.plugin ?? customizer) as unknown as AnyCustomizer;
  if (typeof (subject as Partial<AnyCustomizer> | null)?.customize !== 'function') log.add('hooks', 'the plugin has no customize hook');
  else if (typeof setup !== 'object' || setup === null || !Array.isArray(setup.chain) || setup.chain.length === 0 || !Array.isArray(setup.destinations) || setup.destinations.length === 0) {
    log.add('arguments', 'the setup must be { options, object, chain, destinations } with a non-empty chain and at least one destination');
  }
  if (log.list.length > 0) return log.list;
  const run = new Runner(subject, setup, log, environment);
  try {
    const stepwise = run.levelByLevel();
    const central = run.atCenter();
    for (const destination of setup.destinations) {
      const a = canonical(stepwise.get(destination.id));
      const b = canonical(central.get(destination.id));
      if (a !== b) log.add('level-independence', `destination ${destination.id}: level by level and at the center differ ${difference(a, b)}`);
    }
    if (subject.idempotent === true) {
      const chain = [...setup.chain];
      for (const destination of setup.destinations) {
        const once = stepwise.get(destination.id)!;
        const twice = run.call(once, destination, chain);
        if (canonical(twice) !== canonical(once)) log.add('idempotence', `destination ${destination.id}: applied again it changes ${difference(canonical(once), canonical(twice))}`);
      }
    }
    const at = new Date(clockOf(run.now) + clockShiftMs).toISOString();
    const late = run.with({ now: at }, () => run.levelByLevel());
    const moved = environment === undefined ? `ctx.now at ${at} instead of ${run.now}` : `Date and ctx.now at ${at} instead of ${run.now}`;
    compare(stepwise, late, (id, change) => log.add('clock', `customize reads the clock: rendered with ${moved}, destination ${id} changed ${change}; a rendering must not depend on when it is made`, 'customize'));
    if (environment !== undefined) {
      const reseeded = run.with({ seed: otherSeed }, () => run.levelByLevel());
      compare(stepwise, reseeded, (id, change) => log.add('randomness', `customize draws on Math.random: with another seed destination ${id} changed ${change}; the same object and target must render the same`, 'customize'));
    }
  } catch (thrown) {
    if (!(thrown instanceof Halt)) log.add('hooks', `the check failed unexpectedly: ${describeThrown(thrown)}`);
  }
  return log.list;
}

/** How far the clock moves in the clock law: a day and a bit, so no rounding hides it. */
const clockShiftMs = 86_400_000 + 3_723_004;
const otherSeed = 0x2545f491;

/** Calls `report` for each destination whose rendering differs between two runs. */
function compare(base: Map<string, Json>, other: Map<string, Json>, report: (id: string, change: string) => void): void {
  for (const [id, rendering] of base) {
    const a = canonical(rendering);
    const b = canonical(other.get(id));
    if (a !== b) report(id, difference(a, b));
  }
}

class Runner {
  readonly now: string;
  private readonly outputBytes: number;
  private override: { now?: string; seed?: number } = {};

  constructor(
    private readonly customizer: AnyCustomizer,
    private readonly setup: CustomizerLawSetup<unknown>,
    private readonly log: ViolationLog<CustomizerLaw>,
    private readonly environment: PluginEnvironmentHandle | undefined,
  ) {
    this.now = setup.now ?? '2026-03-02T10:00:00.000Z';
    this.outputBytes = setup.outputBytes ?? 8 * 1024 * 1024;
  }

  /** Runs `run` rendering at another `now` or with another seed. */
  with<T>(override: { now?: string; seed?: number }, run: () => T): T {
    const before = this.override;
    this.override = override;
    try {
      return run();
    } finally {
      this.override = before;
    }
  }

  /** One call as a runner makes it: `Date` at `ctx.now`, `Math.random` from the seed. */
  private invoke(object: Json, target: CustomizeTarget, ctx: CustomizerContext<unknown>): Json {
    this.environment?.setClock(clockOf(ctx.now));
    this.environment?.reseed(this.override.seed ?? defaultSeed);
    return this.customizer.customize(object, target, ctx);
  }

  /** Each level renders a JSON copy of what its parent rendered, as over the wire. */
  levelByLevel(): Map<string, Json> {
    let object = this.setup.object;
    const chain = this.setup.chain;
    for (let i = 0; i < chain.length; i++) object = this.call(copy(object), chain[i]!, chain.slice(0, i));
    const out = new Map<string, Json>();
    for (const destination of this.setup.destinations) out.set(destination.id, this.call(copy(object), destination, [...chain]));
    return out;
  }

  /** One place renders everything: siblings share their parent's result, in the opposite order. */
  atCenter(): Map<string, Json> {
    let object = this.setup.object;
    const chain = this.setup.chain;
    for (let i = 0; i < chain.length; i++) object = this.callLoose(object, chain[i]!, chain.slice(0, i));
    const out = new Map<string, Json>();
    for (const destination of [...this.setup.destinations].reverse()) out.set(destination.id, this.callLoose(object, destination, [...chain]));
    return out;
  }

  /** A checked call on frozen arguments: JSON, within the limit, deterministic, no writes. */
  call(object: Json, target: CustomizeTarget, chain: readonly CustomizeTarget[]): Json {
    const now = this.override.now ?? this.now;
    const ctx = (): CustomizerContext<unknown> => ({ options: thaw(this.setup.options), chain: thaw(chain), now, pattern: 'conformance' });
    let result: Json;
    try {
      result = this.invoke(deepFreeze(thaw(object)), deepFreeze(thaw(target)), deepFreeze(ctx()));
    } catch (thrown) {
      let loose = false;
      if (isTypeError(thrown)) {
        try {
          this.invoke(thaw(object), thaw(target), ctx());
          loose = true;
        } catch {
          loose = false;
        }
      }
      if (loose) this.log.add('no-mutation', `customize wrote to its arguments at ${target.kind} ${target.id} (it threw on frozen ones but not on unfrozen copies): ${describeThrown(thrown)}`);
      else this.log.add('hooks', `customize threw at ${target.kind} ${target.id}: ${describeThrown(thrown)}`);
      throw new Halt();
    }
    const fault = jsonFault(result);
    if (fault !== undefined) {
      this.log.add('json-output', `at ${target.kind} ${target.id} the result is not JSON: ${fault}`);
      throw new Halt();
    }
    const bytes = JSON.stringify(result).length;
    if (bytes > this.outputBytes) this.log.add('json-output', `at ${target.kind} ${target.id} the result is ${bytes} bytes, above the ${this.outputBytes} byte limit`);
    const again = this.invoke(deepFreeze(thaw(object)), deepFreeze(thaw(target)), deepFreeze(ctx()));
    if (canonical(again) !== canonical(result)) this.log.add('determinism', `at ${target.kind} ${target.id} the same call twice differs ${difference(canonical(result), canonical(again))}`);
    return result;
  }

  /** An unchecked call on unfrozen arguments shared between siblings, as a careless host would make it. */
  private callLoose(object: Json, target: CustomizeTarget, chain: readonly CustomizeTarget[]): Json {
    try {
      return this.invoke(object, thaw(target), { options: thaw(this.setup.options), chain, now: this.override.now ?? this.now, pattern: 'conformance' });
    } catch (thrown) {
      this.log.add('level-independence', `at the center customize threw at ${target.kind} ${target.id} where level by level it did not: ${describeThrown(thrown)}`);
      throw new Halt();
    }
  }
}

function copy(value: Json): Json {
  return JSON.parse(JSON.stringify(value)) as Json;
}

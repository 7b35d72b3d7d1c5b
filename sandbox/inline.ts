import type { CustomizeChange, Customizer, CustomizerContext, Json, Policy, PolicyInput, Reducer, ReducerContext, StatusReport } from '../core/contract.js';
import { ErrorCodes, PluginLoadError, PluginThrewError, type ErrorDetails } from '../core/errors.js';
import { describeExport, toJsonOutput, toPluginInfo } from './describe.js';
import { clockAt, defaultSeed, enterCall, loadHostPlugin, type HostPlugin } from './host-plugin.js';
import { locate } from './quickjs/failures.js';
import { defaultLimits, type AccUpdate, type CallContext, type CustomizeCall, type CustomizeItem, type CustomizerHandle, type PluginLimits, type PluginRunner, type PluginSource, type PolicyHandle, type ReducerHandle } from '../core/ports/plugin-runner.js';

/** Counts of hook invocations, for tests that assert how much work an update caused. */
export interface HookCounts {
  init: number;
  add: number;
  remove: number;
  merge: number;
  finish: number;
  decide: number;
  customize: number;
}

/**
 * Runs trusted plugins in the host process, with the same contract as the sandbox: batch calls,
 * JSON-only results, typed errors, and the same environment: a plugin's `Date` is the call's `now`
 * (each input's `now` for `decide`) and its `Math.random` restarts from the same seed at every
 * batch, so a plugin decides and folds here as it does in QuickJS. A throw names the plugin's own
 * file and line. For tests and as the benchmark baseline; never a default.
 */
export class InlineRunner implements PluginRunner {
  readonly name = 'inline';
  /** Hook invocations since construction, across every plugin this runner loaded. */
  readonly counts: HookCounts = { init: 0, add: 0, remove: 0, merge: 0, finish: 0, decide: 0, customize: 0 };

  async loadReducer(source: PluginSource, limits: Partial<PluginLimits> = {}): Promise<ReducerHandle> {
    const { plugin, info, host } = await this.load(source, 'reducer');
    return new InlineReducer(plugin as Reducer<unknown>, info, { ...defaultLimits, ...limits }, this.counts, host);
  }

  async loadPolicy(source: PluginSource, limits: Partial<PluginLimits> = {}): Promise<PolicyHandle> {
    const { plugin, info, host } = await this.load(source, 'policy');
    const policy = plugin as Policy<unknown>;
    const bounds = { ...defaultLimits, ...limits };
    const counts = this.counts;
    return {
      info,
      async decide(inputs: readonly PolicyInput[], options: Json, level) {
        const where: ErrorDetails = { plugin: info.name, hook: 'decide', level: level.id };
        host.environment.reseed(defaultSeed);
        return inputs.map((input) => {
          counts.decide++;
          host.environment.setClock(clockAt(input.now));
          const decision = guard(() => policy.decide(input, options), where, host);
          return toJsonOutput(decision, bounds, where) as ReturnType<Policy['decide']>;
        });
      },
    };
  }

  async loadCustomizer(source: PluginSource, limits: Partial<PluginLimits> = {}): Promise<CustomizerHandle> {
    const { plugin, info, host } = await this.load(source, 'customizer');
    const customizer = plugin as Customizer<unknown>;
    const bounds = { ...defaultLimits, ...limits };
    const counts = this.counts;
    const run = <T>(hook: 'customize' | 'explain', items: readonly CustomizeItem[], call: CustomizeCall, body: (item: CustomizeItem, ctx: CustomizerContext<unknown>) => T): T[] => {
      const where: ErrorDetails = { plugin: info.name, hook, level: call.level.id };
      enterCall(host.environment, call.now);
      const results = guard(
        () =>
          items.map((item) => {
            counts.customize++;
            // A copy per item, as the sandbox gives: siblings never see each other's writes.
            return body(structuredClone(item), { options: call.options, chain: item.chain, now: call.now, pattern: call.pattern });
          }),
        where,
        host,
      );
      return toJsonOutput(results, bounds, where, true) as T[];
    };
    return {
      info,
      async customize(items, call) {
        return run('customize', items, call, (item, ctx) => customizer.customize(item.object, item.target, ctx));
      },
      async explain(items, call) {
        const explain = customizer.explain;
        if (explain === undefined) return items.map(() => []);
        return run('explain', items, call, (item, ctx) => explain.call(customizer, item.object, item.target, ctx) as CustomizeChange[]);
      },
    };
  }

  async dispose(): Promise<void> {}

  private async load(source: PluginSource, kind: 'reducer' | 'policy' | 'customizer') {
    const host = await loadHostPlugin(source);
    const info = toPluginInfo(describeExport(host.exported), source, host.bundle.code);
    if (info.kind !== kind) {
      throw new PluginLoadError(ErrorCodes.PluginLoad, `${source.spec}: expected a ${kind} plugin, found a ${info.kind}`, { plugin: info.name });
    }
    return { plugin: host.exported, info, host };
  }
}

function guard<T>(fn: () => T, where: ErrorDetails, host: HostPlugin): T {
  try {
    return fn();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const stack = error instanceof Error ? error.stack : undefined;
    throw new PluginThrewError(ErrorCodes.PluginThrew, `${where.plugin}.${where.hook} threw at level ${where.level}: ${message}${locate(stack, host.bundle)}`, { ...where, cause: error });
  }
}

class InlineReducer implements ReducerHandle {
  constructor(
    private readonly plugin: Reducer<unknown>,
    readonly info: ReducerHandle['info'],
    private readonly limits: PluginLimits,
    private readonly counts: HookCounts,
    private readonly host: HostPlugin,
  ) {}

  async reduce(groups: readonly (readonly StatusReport[])[], call: CallContext): Promise<Json[]> {
    return this.run('add', call, (ctx) => groups.map((reports) => this.fold(this.init(ctx), [], reports, ctx)));
  }

  async update(items: readonly AccUpdate[], call: CallContext): Promise<Json[]> {
    return this.run('add', call, (ctx) => items.map((item) => this.fold(structuredClone(item.acc), item.remove, item.add, ctx)));
  }

  async merge(groups: readonly (readonly Json[])[], call: CallContext): Promise<Json[]> {
    return this.run('merge', call, (ctx) =>
      groups.map((accs) => {
        let acc = accs.length === 0 ? this.init(ctx) : structuredClone(accs[0]!);
        for (let i = 1; i < accs.length; i++) {
          this.counts.merge++;
          acc = this.plugin.merge(acc, accs[i]!, ctx);
        }
        return acc;
      }),
    );
  }

  async finish(accs: readonly Json[], call: CallContext): Promise<Json[]> {
    return this.run('finish', call, (ctx) =>
      accs.map((acc) => {
        this.counts.finish++;
        return this.plugin.finish(structuredClone(acc), ctx);
      }),
    );
  }

  private init(ctx: ReducerContext<unknown>): Json {
    this.counts.init++;
    return this.plugin.init(ctx);
  }

  private fold(acc: Json, remove: readonly StatusReport[], add: readonly StatusReport[], ctx: ReducerContext<unknown>): Json {
    const retract = this.plugin.remove;
    if (remove.length > 0 && retract === undefined) {
      throw new PluginThrewError(ErrorCodes.PluginThrew, `${this.info.name} has no remove hook`, { plugin: this.info.name, hook: 'remove' });
    }
    for (const report of remove) {
      this.counts.remove++;
      acc = retract!.call(this.plugin, acc, report, ctx);
    }
    for (const report of add) {
      this.counts.add++;
      acc = this.plugin.add(acc, report, ctx);
    }
    return acc;
  }

  private run(hook: string, call: CallContext, body: (ctx: ReducerContext<unknown>) => Json[]): Json[] {
    const where: ErrorDetails = { plugin: this.info.name, hook, level: call.level.id, binding: call.binding };
    const ctx: ReducerContext<unknown> = { options: call.options, binding: call.binding, level: call.level, now: call.now };
    enterCall(this.host.environment, call.now);
    const results = guard(() => body(ctx), where, this.host);
    return toJsonOutput(results, this.limits, where, true) as Json[];
  }
}

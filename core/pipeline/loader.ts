import type { Json } from '../contract.js';
import type { PluginCatalog } from '../catalog/index.js';
import { ErrorCodes, ValidationError } from '../errors.js';
import type { CustomizerHandle, PluginLimits, PluginRunner, PolicyHandle, ReducerHandle } from '../ports/plugin-runner.js';
import { compileOptions, type BindingConfig, type OptionsValidator } from './config.js';
import { projectingHandle } from './projecting-handle.js';

/** A plugin, loaded, with its options validated against the plugin's schema. */
export interface Loaded<Handle> {
  readonly handle: Handle;
  readonly options: Json;
}

/**
 * Loads each distinct binding configuration, and each policy plugin, once per composition root and
 * validates options before any hook runs, so the levels of an in-process hierarchy share one
 * runtime per binding or policy instead of building one each. A failed load is forgotten, so a
 * corrected plugin loads.
 */
export class PluginLoader {
  private readonly reducers = new Map<string, Promise<Loaded<ReducerHandle>>>();
  /** Policy runtimes by plugin, with their compiled options schema, shared by every rollout that uses the plugin. */
  private readonly policies = new Map<string, Promise<{ handle: PolicyHandle; validate: OptionsValidator }>>();
  private readonly customizers = new Map<string, Promise<CustomizerHandle>>();

  constructor(
    private readonly runner: PluginRunner,
    private readonly catalog: PluginCatalog,
  ) {}

  /** Loads a binding's reducer; fails naming the binding. */
  reducer(config: BindingConfig): Promise<Loaded<ReducerHandle>> {
    const where = `binding "${config.name}"`;
    const id = JSON.stringify(['reducer', config.name, config.reducer, config.options, config.limits ?? null]);
    let pending = this.reducers.get(id);
    if (pending === undefined) {
      pending = this.runner
        .loadReducer(this.catalog.resolve(config.reducer, where), config.limits)
        .then((handle) => {
          const options = compileOptions(handle.info)(config.options, { where, binding: config.name });
          return { handle: projectingHandle(handle, options), options };
        });
      this.reducers.set(id, pending);
      pending.catch(() => this.reducers.delete(id));
    }
    return pending;
  }

  /**
   * Loads a rollout policy for `where` (e.g. `rollout "r1" policies.region`); fails naming it. One
   * runtime per policy plugin serves every rollout whatever its options: a policy gets its options
   * with each `decide` call, so a runtime per distinct options would only pile up, one more for
   * every rollout. The options are validated for each caller.
   */
  async policy(policy: string, options: Json, where: string): Promise<Loaded<PolicyHandle>> {
    const id = JSON.stringify(['policy', policy]);
    let pending = this.policies.get(id);
    if (pending === undefined) {
      pending = this.runner.loadPolicy(this.catalog.resolve(policy, where)).then((handle) => ({ handle, validate: compileOptions(handle.info) }));
      this.policies.set(id, pending);
      pending.catch(() => this.policies.delete(id));
    }
    const { handle, validate } = await pending;
    return { handle, options: validate(options, { where }) };
  }

  /**
   * Loads a customizer once per plugin and limits, so every level and rollout whose pattern names
   * it shares one runtime; a customizer gets its options with each call, like a policy.
   *
   * @throws ValidationError (`EDGESUM_INVALID_PATTERN`) for a runner without customizers.
   */
  customizer(plugin: string, limits: Partial<PluginLimits> | undefined, where: string): Promise<CustomizerHandle> {
    const load = this.runner.loadCustomizer?.bind(this.runner);
    if (load === undefined) return Promise.reject(new ValidationError(ErrorCodes.InvalidPattern, `${where}: the ${this.runner.name} runner does not run customizers`));
    const id = JSON.stringify(['customizer', plugin, limits ?? null]);
    let pending = this.customizers.get(id);
    if (pending === undefined) {
      pending = load(this.catalog.resolve(plugin, where), limits);
      this.customizers.set(id, pending);
      pending.catch(() => this.customizers.delete(id));
    }
    return pending;
  }

}

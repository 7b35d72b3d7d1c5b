import type { Json } from '../contract.js';
import type { PluginCatalog } from '../catalog/index.js';
import type { PluginRunner, PolicyHandle, ReducerHandle } from '../ports/plugin-runner.js';
import { validateOptions, type BindingConfig } from './config.js';

/** A plugin, loaded, with its options validated against the plugin's schema. */
export interface Loaded<Handle> {
  readonly handle: Handle;
  readonly options: Json;
}

/**
 * Loads each distinct plugin configuration once per composition root and validates its options
 * before any hook runs, so the levels of an in-process hierarchy share one runtime per binding or
 * policy instead of building one each. A failed load is forgotten, so a corrected plugin loads.
 */
export class PluginLoader {
  private readonly loaded = new Map<string, Promise<Loaded<ReducerHandle | PolicyHandle>>>();

  constructor(
    private readonly runner: PluginRunner,
    private readonly catalog: PluginCatalog,
  ) {}

  /** Loads a binding's reducer; fails naming the binding. */
  reducer(config: BindingConfig): Promise<Loaded<ReducerHandle>> {
    const where = `binding "${config.name}"`;
    return this.cached(['reducer', config.name, config.reducer, config.options, config.limits ?? null], where, config.options, () =>
      this.runner.loadReducer(this.catalog.resolve(config.reducer, where), config.limits),
    );
  }

  /** Loads a rollout policy for `where` (e.g. `rollout "r1" policies.region`); fails naming it. */
  policy(policy: string, options: Json, where: string): Promise<Loaded<PolicyHandle>> {
    return this.cached(['policy', policy, options], where, options, () => this.runner.loadPolicy(this.catalog.resolve(policy, where)));
  }

  private cached<Handle extends ReducerHandle | PolicyHandle>(key: Json, where: string, options: Json, load: () => Promise<Handle>): Promise<Loaded<Handle>> {
    const id = JSON.stringify(key);
    let pending = this.loaded.get(id) as Promise<Loaded<Handle>> | undefined;
    if (pending === undefined) {
      pending = load().then((handle) => ({ handle, options: validateOptions(handle.info, options, where) }));
      this.loaded.set(id, pending);
      pending.catch(() => this.loaded.delete(id));
    }
    return pending;
  }
}

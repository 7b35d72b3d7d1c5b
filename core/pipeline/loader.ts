import type { Json } from '../contract.js';
import type { PluginCatalog } from '../catalog/index.js';
import type { PluginRunner, ReducerHandle } from '../../sandbox/port.js';
import { validateOptions, type BindingConfig } from './config.js';

/** A binding's plugin, loaded, with its options validated against the plugin's schema. */
export interface LoadedBinding {
  readonly handle: ReducerHandle;
  readonly options: Json;
}

/**
 * Loads each distinct (reducer, options, limits) once per composition root, so the levels of an
 * in-process hierarchy share one runtime per binding instead of building one each.
 */
export class BindingLoader {
  private readonly loaded = new Map<string, Promise<LoadedBinding>>();

  constructor(
    private readonly runner: PluginRunner,
    private readonly catalog: PluginCatalog,
  ) {}

  /** Loads the binding's reducer and validates its options; fails naming the binding. */
  load(config: BindingConfig): Promise<LoadedBinding> {
    const key = JSON.stringify([config.name, config.reducer, config.options, config.limits ?? null]);
    let pending = this.loaded.get(key);
    if (pending === undefined) {
      pending = this.runner.loadReducer(this.catalog.resolve(config.reducer, `binding "${config.name}"`), config.limits).then((handle) => ({
        handle,
        options: validateOptions(handle.info, config.options, config.name),
      }));
      this.loaded.set(key, pending);
    }
    return pending;
  }
}

import type { Json } from '../contract.js';
import type { PluginCatalog } from '../catalog/index.js';
import { validateOptions } from '../pipeline/index.js';
import type { PluginRunner, PolicyHandle } from '../../sandbox/port.js';

/** A level's policy, loaded, with its options validated against the policy's schema. */
export interface LoadedPolicy {
  readonly handle: PolicyHandle;
  readonly options: Json;
}

/** Loads each distinct (policy, options) once per composition root and validates its options. */
export class PolicyLoader {
  private readonly loaded = new Map<string, Promise<LoadedPolicy>>();

  constructor(
    private readonly runner: PluginRunner,
    private readonly catalog: PluginCatalog,
  ) {}

  /** Loads a policy for `where` (e.g. `rollout "r1" policies.region`), failing with that name. */
  load(policy: string, options: Json, where: string): Promise<LoadedPolicy> {
    const key = JSON.stringify([policy, options]);
    let pending = this.loaded.get(key);
    if (pending === undefined) {
      pending = this.runner.loadPolicy(this.catalog.resolve(policy, where)).then((handle) => ({ handle, options: validateOptions(handle.info, options, where) }));
      this.loaded.set(key, pending);
      pending.catch(() => this.loaded.delete(key));
    }
    return pending;
  }
}

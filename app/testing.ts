/**
 * Conformance checks and a module loader for plugin authors, published as `edgesum/testing`.
 *
 * The checks are the ones every built-in plugin passes: {@link checkReducerLaws} for reducers and
 * {@link checkPolicyConformance} for rollout policies. They call a plugin's hooks directly, return
 * a list of violations (empty when the plugin conforms) and import no test runner, so they fit
 * vitest, Jest, `node:test` or a plain script.
 *
 * {@link loadReducer} and {@link loadPolicy} import a plugin module — TypeScript included, on plain
 * Node.js with no build step — so a plugin repository needs nothing but edgesum to test its plugins.
 *
 * @example
 * ```js
 * import { test } from 'node:test';
 * import assert from 'node:assert/strict';
 * import { checkPolicyConformance, loadPolicy } from 'edgesum/testing';
 *
 * const policy = await loadPolicy(new URL('./my-policy.ts', import.meta.url));
 * test('keeps the policy laws', () => {
 *   assert.deepEqual(checkPolicyConformance(policy, { options: {}, inputs }), []);
 * });
 * ```
 *
 * @module edgesum/testing
 */
import { fileURLToPath } from 'node:url';
import type { Customizer, JsonObject, Policy, Reducer } from '../core/contract.js';
import { ErrorCodes, PluginLoadError } from '../core/errors.js';
import { describeExport } from '../sandbox/describe.js';
import { importPluginModule } from '../sandbox/module.js';

export * from '../core/testing/index.js';

/**
 * Imports the reducer a module default-exports (a path or a `file:` URL; `.ts` or `.js`).
 *
 * @throws PluginLoadError when the module does not build or its default export is not a reducer.
 */
export async function loadReducer<Options = JsonObject>(module: string | URL): Promise<Reducer<Options>> {
  return (await loadKind(module, 'reducer')) as Reducer<Options>;
}

/**
 * Imports the rollout policy a module default-exports (a path or a `file:` URL; `.ts` or `.js`).
 *
 * @throws PluginLoadError when the module does not build or its default export is not a policy.
 */
export async function loadPolicy<Options = JsonObject>(module: string | URL): Promise<Policy<Options>> {
  return (await loadKind(module, 'policy')) as Policy<Options>;
}

/**
 * Imports the customizer a module default-exports (a path or a `file:` URL; `.ts` or `.js`).
 *
 * @throws PluginLoadError when the module does not build or its default export is not a customizer.
 */
export async function loadCustomizer<Options = JsonObject>(module: string | URL): Promise<Customizer<Options>> {
  return (await loadKind(module, 'customizer')) as Customizer<Options>;
}

async function loadKind(module: string | URL, kind: 'reducer' | 'policy' | 'customizer'): Promise<unknown> {
  const entry = module instanceof URL ? fileURLToPath(module) : module;
  const { exports } = await importPluginModule(entry);
  const description = describeExport(exports.default);
  if (typeof description === 'string' || description.kind !== kind) {
    const found = typeof description === 'string' ? description : `found a ${description.kind}`;
    throw new PluginLoadError(ErrorCodes.PluginLoad, `${entry}: expected a ${kind} plugin: ${found}`);
  }
  return exports.default;
}

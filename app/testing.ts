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
 * The plugin they return runs as it runs in the sandbox: its `Date` is the call's `now` and its
 * `Math.random` seeded, so a test sees what production sees; and the checks can run it under other
 * clocks and seeds to catch a hook that reads either.
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
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Customizer, JsonObject, Policy, Reducer } from '../core/contract.js';
import { ErrorCodes, PluginLoadError } from '../core/errors.js';
import { pluginEnvironment, type PluginEnvironmentHandle } from '../core/testing/index.js';
import { describeExport, enterCall, hookPosition, loadHostPlugin, mapStack, type HostPlugin } from '../sandbox/index.js';

export * from '../core/testing/index.js';

/**
 * Imports the reducer a module default-exports (a path or a `file:` URL; `.ts` or `.js`), bundled
 * as the sandbox bundles it and run with the sandbox's `Date` and `Math.random`.
 *
 * @throws PluginLoadError when the module does not build or its default export is not a reducer.
 */
export async function loadReducer<Options = JsonObject>(module: string | URL): Promise<Reducer<Options>> {
  return (await loadKind(module, 'reducer')) as Reducer<Options>;
}

/**
 * Imports the rollout policy a module default-exports (a path or a `file:` URL; `.ts` or `.js`),
 * bundled as the sandbox bundles it and run with the sandbox's `Date` and `Math.random`.
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
  const host = await loadHostPlugin({ spec: entry, entry: resolve(entry) });
  const description = describeExport(host.exported);
  if (typeof description === 'string' || description.kind !== kind) {
    const found = typeof description === 'string' ? description : `found a ${description.kind}`;
    throw new PluginLoadError(ErrorCodes.PluginLoad, `${entry}: expected a ${kind} plugin: ${found}`);
  }
  return withEnvironment(host);
}

const hooks = ['init', 'add', 'remove', 'merge', 'finish', 'decide', 'customize', 'explain'] as const;

/**
 * The plugin with every hook setting its environment first, as a runner does for a batch: `Date`
 * at the call's `now` (a reducer's `ctx.now`, a policy input's `now`) and `Math.random` from the
 * runners' default seed. A thrown error's stack names the plugin's own files and lines. It carries
 * the handle the checks use under `pluginEnvironment`.
 */
function withEnvironment(host: HostPlugin): object {
  const plugin = host.exported as Record<string, unknown>;
  const handle: PluginEnvironmentHandle = { plugin, ...host.environment, locate: (hook) => hookPosition(host, hook) };
  const wrapped: Record<string | symbol, unknown> = { ...plugin };
  for (const hook of hooks) {
    const fn = plugin[hook];
    if (typeof fn !== 'function') continue;
    wrapped[hook] = (...args: unknown[]): unknown => {
      const now = (hook === 'decide' ? args[0] : args[args.length - 1]) as { now?: unknown } | null | undefined;
      enterCall(host.environment, typeof now?.now === 'string' ? now.now : '');
      try {
        return (fn as (...a: unknown[]) => unknown).apply(plugin, args);
      } catch (error) {
        // The test runner prints this stack: it should point at the plugin's source, not the bundle.
        if (error instanceof Error && typeof error.stack === 'string') error.stack = mapStack(error.stack, host);
        throw error;
      }
    };
  }
  Object.defineProperty(wrapped, pluginEnvironment, { value: handle, enumerable: false });
  return wrapped;
}

/**
 * The sandbox component: the plugin runner port, its runners and the plugin bundler.
 * Everything outside `sandbox/` imports from here.
 */
export { defaultLimits, type AccUpdate, type CallContext, type PluginInfo, type PluginLimits, type PluginRunner, type PluginSource, type PolicyHandle, type ReducerHandle } from '../core/ports/plugin-runner.js';
export { InlineRunner, type HookCounts } from './inline.js';
export { QuickJsRunner, type QuickJsRunnerOptions } from './quickjs/runner.js';
export { InThreadQuickJsRunner, type InThreadQuickJsRunnerOptions } from './quickjs/in-thread.js';
export { PooledRunner, type PooledRunnerOptions } from './pool/runner.js';
export { defaultGraceMs } from './worker/runner.js';
export { workerModule } from './worker/entry.js';
export { maxStackBytes, minBootMs } from './quickjs/limits.js';
export { newReleaseModule, type QuickJsModule, type QuickJsModuleFactory } from './quickjs/wasm-host.js';
export { BundleCache, bundleFilename, bundleGuestShim, bundlePlugin, shimFilename, type GuestScript, type PluginBundle } from './bundle.js';
export { describeExport, hashCode, PluginDescriptionSchema, toJsonOutput, toPluginInfo, type PluginDescription } from './describe.js';
export { clockAt, defaultSeed, enterCall, hookPosition, loadHostPlugin, mapStack, type HostPlugin, type PluginEnvironment } from './host-plugin.js';
export { contractModule } from './module.js';

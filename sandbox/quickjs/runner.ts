import { WorkerRunner, type WorkerRunnerOptions } from '../worker/runner.js';

/** How a {@link QuickJsRunner} is built. */
export type QuickJsRunnerOptions = WorkerRunnerOptions;

/**
 * Runs plugins in QuickJS (WebAssembly), the default runner: the QuickJS engine
 * (`InThreadQuickJsRunner`, whose documentation gives every limit) in one worker thread, with a
 * host-side watchdog. Results and typed errors equal the engine's.
 *
 * Time limits hold whatever the guest calls. QuickJS's interrupt handler stops guest code at its
 * deadline as long as the code keeps running bytecode; one long built-in call (an `indexOf` over a
 * huge array-like, a `join` of a huge array) never reaches the handler and would hold the thread for
 * minutes. So the engine marks, in memory shared with the host, which call runs guest code and until
 * when; when a call is still in the guest `graceMs` after its deadline, the host terminates the
 * thread. The call fails with `PluginTimeoutError` (`EDGESUM_PLUGIN_TIMEOUT`, plugin, hook, level);
 * calls queued behind it run in the thread that replaces it, which loads the plugins again from
 * the bundles the host built. A call that returns past its deadline is a timeout too.
 *
 * The thread is started at the first load; it does not keep the process alive while idle. It keeps
 * one runtime booted ahead of need (`warmSpare`: the guest shim evaluated, the realm hardened),
 * refilled in idle time, so a load evaluates only the plugin's own script; a replacement thread
 * boots its spare as it starts.
 */
export class QuickJsRunner extends WorkerRunner {
  constructor(options: QuickJsRunnerOptions = {}) {
    super('quickjs', options, { workers: 1, minBatchReports: Number.POSITIVE_INFINITY });
  }
}

import type { PluginLimits } from '../../core/ports/plugin-runner.js';

/**
 * The largest guest stack the runner grants. QuickJS runs on the host's own machine stack inside
 * WebAssembly; measured: above ~256 KiB a guest overflow becomes a host `RangeError` that leaves the
 * runtime impossible to dispose, so larger limits are clamped, with margin for deep host stacks.
 */
export const maxStackBytes = 128 * 1024;

/**
 * The least time evaluating a bundle gets (module top level plus hardening the realm): the first
 * evaluation in a cold WebAssembly JIT runs several times slower than later ones, and a plugin's
 * hook time limit says nothing about how long its module takes to start.
 */
export const minBootMs = 2_000;

/** The stack QuickJS actually gets for `limits`. */
export function effectiveStackBytes(limits: Pick<PluginLimits, 'stackBytes'>): number {
  return Math.min(limits.stackBytes, maxStackBytes);
}

import { ErrorCodes, ValidationError } from '../../core/errors.js';
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

/**
 * Returns `limits` if every one is a positive number.
 *
 * @throws ValidationError naming the first limit that is not.
 */
export function checkLimits(limits: PluginLimits): PluginLimits {
  for (const key of ['timeMs', 'memoryBytes', 'stackBytes', 'outputBytes'] as const) {
    const value = limits[key];
    // Zero or negative would switch QuickJS's own limits off rather than make them strict.
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new ValidationError(ErrorCodes.InvalidConfig, `plugin limit ${key} must be a positive number, got ${String(value)}`, {
        issues: [{ path: key, message: 'must be a positive number' }],
      });
    }
  }
  return limits;
}

import { SourceMap, type SourceMapPayload } from 'node:module';
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ErrorCodes,
  PluginError,
  PluginMemoryError,
  PluginOutputError,
  PluginStackError,
  PluginThrewError,
  PluginTimeoutError,
  type ErrorDetails,
} from '../../core/errors.js';
import type { PluginBundle } from '../bundle.js';
import type { PluginLimits } from '../../core/ports/plugin-runner.js';
import { effectiveStackBytes, minBootMs } from './limits.js';
import type { GuestFailure } from './protocol.js';

/** A limit the host itself detected while the guest ran (the guest cannot see or catch these). */
export type HostBreach = 'time' | 'memory';

/** What failed inside the sandbox, before it becomes a typed error. */
export interface SandboxFailure {
  /**
   * Set when the host measured a breach: its deadline passed, its interrupt handler stopped the call,
   * or the heap grew past the budget. Only this decides a time or memory error: whatever the guest
   * reports is the guest's word, and a plugin can throw `InternalError('out of memory')` itself.
   */
  readonly breach?: HostBreach;
  /** What the guest reported, or the dump of an exception that escaped the shim. */
  readonly guest?: Pick<GuestFailure, 'kind' | 'name' | 'message' | 'stack'> & Partial<GuestFailure>;
  /** Set when the failure happened while the bundle was being evaluated, not in a hook. */
  readonly booting?: boolean;
  /** The module's heap size after the call, reported with memory breaches. */
  readonly heapBytes?: number;
}

/** How bad a failure is for the sandbox that produced it. */
export type Recovery = 'keep' | 'recreate-runtime' | 'discard-module';

/** What the runner does after a typed failure: keep the runtime, recreate it, or discard the module. */
export function recoveryFor(error: PluginError): Recovery {
  if (error instanceof PluginMemoryError) return 'discard-module';
  if (error instanceof PluginTimeoutError || error instanceof PluginStackError || error instanceof PluginOutputError) return 'recreate-runtime';
  return 'keep';
}

/**
 * Turns a sandbox failure into the catalog error, worded like the inline runner's where both can
 * fail the same way, plus where the guest threw (mapped back to the plugin's own file and line).
 */
export function toPluginError(failure: SandboxFailure, where: ErrorDetails, limits: PluginLimits, bundle: PluginBundle): PluginError {
  // `describe` runs the module's top level: errors there read as load errors, named by the plugin spec.
  const loading = where.hook === 'describe';
  const subject = loading ? `${where.plugin}` : `${where.plugin}.${where.hook}`;
  const at = loading ? ' while loading' : where.level === undefined ? '' : ` at level ${where.level}`;
  const guest = failure.guest;
  const details: ErrorDetails = { ...where, ...(guest?.index === undefined ? {} : { index: guest.index }), ...(guest === undefined ? {} : { cause: guest }) };

  if (failure.breach === 'time') {
    const message = failure.booting
      ? `${subject} took longer than ${Math.max(limits.timeMs, minBootMs)} ms to start its module${at}`
      : `${subject} ran past its ${limits.timeMs} ms time limit${at}`;
    return new PluginTimeoutError(ErrorCodes.PluginTimeout, message, details);
  }
  if (failure.breach === 'memory') {
    const heap = failure.heapBytes === undefined ? '' : ` (the sandbox heap reached ${failure.heapBytes} bytes)`;
    return new PluginMemoryError(ErrorCodes.PluginMemory, `${subject} ran past its ${limits.memoryBytes} byte memory limit${at}${heap}`, details);
  }
  if (guest === undefined) {
    return new PluginThrewError(ErrorCodes.PluginThrew, `${subject} failed${at} for an unknown reason`, details);
  }
  // Output first: a result nested too deep for JSON.stringify is an output problem, as inline.
  if (guest.kind === 'output') {
    const message =
      guest.reason === 'too-big'
        ? `${subject} returned ${guest.bytes} bytes, above the ${limits.outputBytes} byte output limit`
        : guest.reason === 'not-a-value'
          ? `${subject} returned ${guest.message}, not a JSON value`
          : `${subject} returned a value that is not JSON: ${guest.message}`;
    return new PluginOutputError(ErrorCodes.PluginOutput, message, details);
  }
  if (isStackOverflow(guest)) {
    return new PluginStackError(ErrorCodes.PluginStack, `${subject} ran past its ${effectiveStackBytes(limits)} byte stack limit${at}: ${guest.message}${locate(guest.stack, bundle)}`, details);
  }
  if (guest.kind === 'no-remove') {
    return new PluginThrewError(ErrorCodes.PluginThrew, `${subject} threw${at}: ${guest.message}`, details);
  }
  // The inline runner words a throw as the bare message; a load error also names the error class.
  const message = loading && guest.name !== '' ? `${guest.name}: ${guest.message}` : guest.message;
  return new PluginThrewError(ErrorCodes.PluginThrew, `${subject} threw${at}: ${message}${locate(guest.stack, bundle)}`, details);
}

/** An output problem the host found in what the guest handed back. */
export function malformedOutput(where: ErrorDetails, problem: string): PluginOutputError {
  return new PluginOutputError(ErrorCodes.PluginOutput, `${where.plugin}.${where.hook} returned ${problem}`, where);
}

// Bellard's QuickJS says InternalError "stack overflow"; quickjs-ng says RangeError like V8.
function isStackOverflow(guest: { name: string; message: string }): boolean {
  return (guest.name === 'InternalError' && /stack overflow/i.test(guest.message)) || (guest.name === 'RangeError' && /call stack size/i.test(guest.message));
}

/**
 * ` (at plugins/mine/index.ts:12:5)`: the first guest stack frame that maps back to the plugin's own
 * sources rather than to the shim, or nothing when there is none.
 */
export function locate(stack: string | undefined, bundle: PluginBundle): string {
  if (!stack) return '';
  const frame = new RegExp(`${bundle.filename.replace(/\./g, '\\.')}:(\\d+)(?::(\\d+))?`);
  for (const line of stack.split('\n')) {
    const match = frame.exec(line);
    if (match === null) continue;
    const at = originalPosition(bundle, Number(match[1]), Number(match[2] ?? 1));
    if (at !== undefined) return ` (at ${at})`;
  }
  return '';
}

/**
 * `plugins/mine/index.ts:12:5`: where a 1-based line and column of the bundle come from in the
 * plugin's own sources, relative to the working directory, or undefined for the shim's own code
 * and for positions the source map does not cover.
 */
export function originalPosition(bundle: PluginBundle, line: number, column: number): string | undefined {
  let map: SourceMap;
  try {
    map = new SourceMap(JSON.parse(bundle.sourceMap) as SourceMapPayload);
  } catch {
    return undefined;
  }
  const shimDirs = [fileURLToPath(new URL('.', import.meta.url)), fileURLToPath(new URL('../guest/', import.meta.url))];
  const entry = map.findEntry(line - 1, Math.max(0, column - 1));
  if (!('originalSource' in entry)) return undefined;
  const file = resolve(bundle.sourceRoot, entry.originalSource);
  if (entry.originalSource.startsWith('edgesum:') || shimDirs.some((dir) => file.startsWith(dir))) return undefined;
  return `${relative(process.cwd(), file) || file}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
}

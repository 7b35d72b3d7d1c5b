/**
 * Typed errors across the thread boundary. Structured clone keeps an Error's message but drops its
 * class and own fields, so a worker sends the fields and the host rebuilds the same catalog class:
 * callers branch on `instanceof` and `code` exactly as with the engine in their own thread.
 */
import {
  EdgesumError,
  ErrorCodes,
  NotFoundError,
  PluginError,
  PluginLoadError,
  PluginMemoryError,
  PluginOutputError,
  PluginStackError,
  PluginThrewError,
  PluginTimeoutError,
  ValidationError,
  type ErrorCode,
  type ErrorDetails,
  type Issue,
} from '../../core/errors.js';

/** An error as a worker sends it. */
export interface WireError {
  /** The class name (`PluginTimeoutError`); an unknown name rebuilds as {@link EdgesumError}. */
  readonly name: string;
  /** Absent when the worker caught something that is not an {@link EdgesumError}. */
  readonly code?: ErrorCode;
  readonly message: string;
  readonly plugin?: string;
  readonly hook?: string;
  readonly level?: string;
  readonly binding?: string;
  readonly index?: number;
  readonly issues?: readonly Issue[];
  /** A typed cause travels as another wire error; any other cause as its structured clone, or its text. */
  readonly cause?: { readonly error: WireError } | { readonly value: unknown };
}

type ErrorClass = new (code: ErrorCode, message: string, details?: ErrorDetails) => EdgesumError;

/** Every class of the catalog, by the name its instances carry. */
const catalogClasses: Readonly<Record<string, ErrorClass>> = {
  EdgesumError,
  ValidationError,
  PluginLoadError,
  PluginError,
  PluginThrewError,
  PluginTimeoutError,
  PluginMemoryError,
  PluginStackError,
  PluginOutputError,
  NotFoundError,
};

const knownCodes = new Set<string>(Object.values(ErrorCodes));

/** The wire form of anything a worker caught. */
export function toWireError(error: unknown): WireError {
  if (error instanceof EdgesumError) {
    const { name, code, message, plugin, hook, level, binding, index, issues } = error;
    return { name, code, message, plugin, hook, level, binding, index, issues, ...(error.cause === undefined ? {} : { cause: toWireCause(error.cause) }) };
  }
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: typeof error, message: String(error) };
}

/**
 * Rebuilds the catalog error a worker sent. Something untyped (a bug in the worker itself) becomes
 * a {@link PluginThrewError} naming the worker, so no untyped error escapes the runner.
 */
export function fromWireError(wire: WireError, context: ErrorDetails = {}): EdgesumError {
  const cause = wire.cause === undefined ? undefined : 'error' in wire.cause ? fromWireError(wire.cause.error) : wire.cause.value;
  if (wire.code === undefined || !knownCodes.has(wire.code)) {
    return new PluginThrewError(ErrorCodes.PluginThrew, `a QuickJS worker thread failed: ${wire.name}: ${wire.message}`, { ...context, cause });
  }
  const ErrorClass = catalogClasses[wire.name] ?? EdgesumError;
  const { plugin, hook, level, binding, index, issues } = wire;
  return new ErrorClass(wire.code, wire.message, { plugin, hook, level, binding, index, issues, cause });
}

function toWireCause(cause: unknown): NonNullable<WireError['cause']> {
  if (cause instanceof EdgesumError) return { error: toWireError(cause) };
  try {
    // The guest failure report behind most plugin errors is plain data and clones as it is.
    return { value: structuredClone(cause) };
  } catch {
    return { value: cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause) };
  }
}


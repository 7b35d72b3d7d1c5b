/**
 * The one catalog of edgesum diagnostics. Every error that crosses a module boundary is an
 * {@link EdgesumError} with a stable `code` from {@link ErrorCodes}; callers branch on the code,
 * people read the message, and the hint says what to do next.
 */

/** Stable error codes. Never renumber or rename one: control planes and dashboards key on them. */
export const ErrorCodes = {
  InvalidReport: 'EDGESUM_INVALID_REPORT',
  UnknownDestination: 'EDGESUM_UNKNOWN_DESTINATION',
  InvalidOptions: 'EDGESUM_INVALID_OPTIONS',
  InvalidConfig: 'EDGESUM_INVALID_CONFIG',
  InvalidInput: 'EDGESUM_INVALID_INPUT',
  UnknownPlugin: 'EDGESUM_UNKNOWN_PLUGIN',
  UnknownBinding: 'EDGESUM_UNKNOWN_BINDING',
  UnknownLevel: 'EDGESUM_UNKNOWN_LEVEL',
  UnknownRollout: 'EDGESUM_UNKNOWN_ROLLOUT',
  InvalidRollout: 'EDGESUM_INVALID_ROLLOUT',
  InvalidPolicyInput: 'EDGESUM_INVALID_POLICY_INPUT',
  PluginLoad: 'EDGESUM_PLUGIN_LOAD',
  PluginThrew: 'EDGESUM_PLUGIN_THREW',
  PluginTimeout: 'EDGESUM_PLUGIN_TIMEOUT',
  PluginMemory: 'EDGESUM_PLUGIN_MEMORY',
  PluginStack: 'EDGESUM_PLUGIN_STACK',
  PluginOutput: 'EDGESUM_PLUGIN_OUTPUT',
  Unreachable: 'EDGESUM_UNREACHABLE',
  Internal: 'EDGESUM_INTERNAL',
  Usage: 'EDGESUM_USAGE',
  Unauthenticated: 'EDGESUM_UNAUTHENTICATED',
  Forbidden: 'EDGESUM_FORBIDDEN',
  NoRoute: 'EDGESUM_NO_ROUTE',
  BodyTooLarge: 'EDGESUM_BODY_TOO_LARGE',
  PluginLaw: 'EDGESUM_PLUGIN_LAW',
  InvalidPattern: 'EDGESUM_INVALID_PATTERN',
  Customize: 'EDGESUM_CUSTOMIZE',
  Interrupted: 'EDGESUM_INTERRUPTED',
  MessageTooLarge: 'EDGESUM_MESSAGE_TOO_LARGE',
} as const;

/** One of the stable codes in {@link ErrorCodes}. */
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

const hints: Record<ErrorCode, string> = {
  EDGESUM_INVALID_REPORT: 'Fix the named field in the report; the other reports of the batch were applied.',
  EDGESUM_UNKNOWN_DESTINATION: 'Register the destination in the topology of the level that receives its reports.',
  EDGESUM_INVALID_OPTIONS: "Correct the option to match the plugin's options schema.",
  EDGESUM_INVALID_CONFIG: 'Correct the named field of the configuration.',
  EDGESUM_INVALID_INPUT: 'Correct the input file at the named place.',
  EDGESUM_UNKNOWN_PLUGIN: 'Use builtin:<name> for a built-in plugin or a path to a plugin module.',
  EDGESUM_UNKNOWN_BINDING: 'List the summary bindings of the node to find the right name.',
  EDGESUM_UNKNOWN_LEVEL: 'Check the level ids of the hierarchy.',
  EDGESUM_UNKNOWN_ROLLOUT: 'List the rollouts of the hierarchy to find the right id.',
  EDGESUM_INVALID_ROLLOUT: 'Correct the named field of the rollout spec.',
  EDGESUM_INVALID_POLICY_INPUT: 'Correct the named field of the policy input (see core/contract.ts, PolicyInput).',
  EDGESUM_PLUGIN_LOAD: 'Fix the plugin module so that it builds and exports a plugin made with defineReducer or definePolicy.',
  EDGESUM_PLUGIN_THREW: 'Fix the plugin hook; the binding keeps its last good result until then.',
  EDGESUM_PLUGIN_TIMEOUT: 'Make the hook faster or raise the binding time limit.',
  EDGESUM_PLUGIN_MEMORY: 'Keep the accumulator bounded or raise the binding memory limit.',
  EDGESUM_PLUGIN_STACK: 'Avoid deep recursion in the hook or raise the binding stack limit.',
  EDGESUM_PLUGIN_OUTPUT: 'Return a JSON value within the output size limit and matching the declared shape.',
  EDGESUM_UNREACHABLE: 'The level is disconnected; its last known state is used until it reconnects.',
  EDGESUM_INTERNAL: 'This is a bug in edgesum: run the command again with --debug and report the stack trace it prints.',
  EDGESUM_USAGE: 'Run the command with --help for its flags and the values they take.',
  EDGESUM_UNAUTHENTICATED: 'Send "Authorization: Bearer TOKEN" with a token the node is configured with.',
  EDGESUM_FORBIDDEN: "Use a token with the role the route needs (edge tokens post only their own destination's reports).",
  EDGESUM_NO_ROUTE: 'See GET /openapi.json for the routes a node serves.',
  EDGESUM_PLUGIN_LAW: "Fix the reducer so that it obeys the named law (see the Reducer type in edgesum/plugin); checkReducerLaws from edgesum/testing finds a small counterexample.",
  EDGESUM_MESSAGE_TOO_LARGE: "Raise the receiving node's limits.bodyBytes (HTTP) or max_payload on every NATS server of the hierarchy (at most 64MB; edgesum's generated configs use 8MB), or make the bindings' accumulators smaller (fewer groups, a smaller k); until then the parent keeps the level's last accepted message.",
  EDGESUM_INTERRUPTED: 'The command was stopped by a signal before it finished; what it started has been stopped.',
  EDGESUM_BODY_TOO_LARGE: "Send smaller batches: the node's limits.bodyBytes and limits.batchItems bound a request.",
  EDGESUM_INVALID_PATTERN: 'Correct the named field of the customization pattern.',
  EDGESUM_CUSTOMIZE: 'Fix the named customizer step, its options or the target (its labels) at the named path; the target keeps its last good rendering until then.',
};

/** Where in the input a problem is: a dotted/bracketed path, and the item index in a batch. */
export interface Issue {
  /** Path inside the item, e.g. `ref.name` or `status.conditions[0].type`. Empty for the item itself. */
  readonly path: string;
  /** What is wrong at that path. */
  readonly message: string;
}

/** Fields every edgesum error may carry, beyond its code and message. */
export interface ErrorDetails {
  readonly issues?: readonly Issue[];
  readonly plugin?: string;
  readonly hook?: string;
  readonly level?: string;
  readonly binding?: string;
  readonly index?: number;
  readonly cause?: unknown;
}

/** Base of every error edgesum raises across a boundary. */
export class EdgesumError extends Error {
  readonly code: ErrorCode;
  readonly hint: string;
  readonly issues: readonly Issue[];
  readonly plugin: string | undefined;
  readonly hook: string | undefined;
  readonly level: string | undefined;
  readonly binding: string | undefined;
  readonly index: number | undefined;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = hints[code];
    this.issues = details.issues ?? [];
    this.plugin = details.plugin;
    this.hook = details.hook;
    this.level = details.level;
    this.binding = details.binding;
    this.index = details.index;
  }

  /** A JSON view for `--json` output, HTTP bodies and audit trails. */
  toJSON(): ErrorView {
    const view: ErrorView = { code: this.code, message: this.message, hint: this.hint };
    if (this.issues.length > 0) view.issues = this.issues;
    for (const key of ['plugin', 'hook', 'level', 'binding', 'index'] as const) {
      const value = this[key];
      if (value !== undefined) (view as unknown as Record<string, unknown>)[key] = value;
    }
    return view;
  }
}

/** The serialized form of an {@link EdgesumError}. */
export interface ErrorView {
  code: ErrorCode;
  message: string;
  hint: string;
  issues?: readonly Issue[];
  plugin?: string;
  hook?: string;
  level?: string;
  binding?: string;
  index?: number;
}

/** Input that failed validation: a report, options, a config or a CLI file. */
export class ValidationError extends EdgesumError {}

/** A plugin could not be resolved, built or loaded. */
export class PluginLoadError extends EdgesumError {}

/** Base of the errors raised while a plugin hook runs. */
export class PluginError extends EdgesumError {}
/** The hook threw; the message carries the guest's message. */
export class PluginThrewError extends PluginError {}
/** The hook ran past its wall-time limit. */
export class PluginTimeoutError extends PluginError {}
/** The hook ran past its memory limit. */
export class PluginMemoryError extends PluginError {}
/** The hook ran past its stack limit. */
export class PluginStackError extends PluginError {}
/** The hook returned something that is not acceptable output (not JSON, too big, wrong shape). */
export class PluginOutputError extends PluginError {}
/** The plugin broke one of the laws its kind must obey (a reducer's partition independence, say). */
export class PluginLawError extends PluginError {}

/** Where a rendering failed: which pattern, which step (customizer) of it, for which target, at which path of the object. */
export interface RenderPlace {
  readonly pattern: string;
  readonly customizer: string;
  readonly target: string;
  /** Path in the object; empty when the failure is not about one path (a timeout, a non-JSON result). */
  readonly path: string;
}

/**
 * A customizer failed for one target: `EDGESUM_CUSTOMIZE`, or the plugin error's own code (a
 * timeout, an output error) with the place it happened. The cause is the plugin error.
 */
export class CustomizeError extends EdgesumError {
  readonly place: RenderPlace;

  constructor(code: ErrorCode, message: string, place: RenderPlace, details: ErrorDetails = {}) {
    super(code, message, details);
    this.place = place;
  }

  override toJSON(): ErrorView & RenderPlace {
    return { ...super.toJSON(), ...this.place };
  }
}

/** A name that does not exist: a binding, a level, a plugin. */
export class NotFoundError extends EdgesumError {}

/** Formats zod-style paths (`['status', 'conditions', 0, 'type']`) as `status.conditions[0].type`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

/** How a log line names a failure: its message, and its catalog code when it has one. */
export function errorFields(error: unknown): { error: string; code?: ErrorCode } {
  const message = error instanceof Error ? error.message : String(error);
  return error instanceof EdgesumError ? { error: message, code: error.code } : { error: message };
}

/** Turns any thrown value into an {@link EdgesumError}, keeping typed ones as they are. */
export function asEdgesumError(error: unknown, fallback: ErrorCode, context: ErrorDetails = {}): EdgesumError {
  if (error instanceof EdgesumError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new EdgesumError(fallback, message, { ...context, cause: error });
}

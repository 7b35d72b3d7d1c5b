import type { CustomizeChange, CustomizeTarget, Decision, Json, LevelInfo, OptionsSchema, PolicyInput, ReadsEntry, StatusReport } from '../contract.js';

/** Where a plugin comes from: how the user named it, and the module file that holds it. */
export interface PluginSource {
  /** As written by the user: `builtin:health`, `./plugins/mine.ts`. */
  readonly spec: string;
  /** Absolute path of the module that default-exports the plugin. */
  readonly entry: string;
}

/** Resource limits of one plugin runtime. Every field has a default; a binding may override any. */
export interface PluginLimits {
  /** Wall time of one hook call (one batch), in milliseconds. */
  readonly timeMs: number;
  /** Heap the runtime may use, in bytes. */
  readonly memoryBytes: number;
  /** Stack the runtime may use, in bytes. */
  readonly stackBytes: number;
  /** Largest serialized result of one call, in bytes. */
  readonly outputBytes: number;
}

/** The limits every binding gets unless it says otherwise. */
export const defaultLimits: PluginLimits = {
  timeMs: 1_000,
  memoryBytes: 64 * 1024 * 1024,
  stackBytes: 128 * 1024,
  outputBytes: 8 * 1024 * 1024,
};

/** What the host knows of a loaded plugin. */
export interface PluginInfo {
  readonly kind: 'reducer' | 'policy' | 'customizer';
  readonly name: string;
  readonly version: string;
  readonly description?: string;
  readonly options?: OptionsSchema;
  readonly reads?: readonly ReadsEntry[];
  /** Whether the reducer implements `remove`. */
  readonly retractable: boolean;
  /** The options for which `remove` is exact (see `Reducer.retractsWhen`); absent means all. */
  readonly retractsWhen?: OptionsSchema;
  /** Whether the customizer declares itself idempotent. */
  readonly idempotent?: boolean;
  /** Content hash of the code that runs (the bundle for sandboxed runners, the module for inline). */
  readonly hash: string;
  readonly source: PluginSource;
}

/** The context of one batch call: the same for every item of the batch. */
export interface CallContext {
  readonly options: Json;
  readonly binding: string;
  readonly level: LevelInfo;
  /** The host clock, RFC 3339. */
  readonly now: string;
}

/** One accumulator to update: retract `remove`, then fold `add`. */
export interface AccUpdate {
  readonly acc: Json;
  readonly remove: readonly StatusReport[];
  readonly add: readonly StatusReport[];
}

/**
 * A loaded reducer. Every method is one boundary crossing for a whole batch, never one per report;
 * each rejects with a `PluginError` subclass (code, plugin, hook, level) when the plugin misbehaves.
 */
export interface ReducerHandle {
  readonly info: PluginInfo;
  /** For each group: `init()` then `add` each report. One accumulator per group. */
  reduce(groups: readonly (readonly StatusReport[])[], call: CallContext): Promise<Json[]>;
  /** For each item: `remove` each retracted report, then `add` each new one. Needs `remove` if any item retracts. */
  update(items: readonly AccUpdate[], call: CallContext): Promise<Json[]>;
  /** For each group: the merge of its accumulators, `init()` for an empty group. */
  merge(groups: readonly (readonly Json[])[], call: CallContext): Promise<Json[]>;
  /** `finish` of each accumulator. */
  finish(accs: readonly Json[], call: CallContext): Promise<Json[]>;
}

/** A loaded rollout policy. */
export interface PolicyHandle {
  readonly info: PluginInfo;
  /** One decision per input, in order. */
  decide(inputs: readonly PolicyInput[], options: Json, level: LevelInfo): Promise<Decision[]>;
}

/** One object to render for one target. */
export interface CustomizeItem {
  readonly object: Json;
  readonly target: CustomizeTarget;
  /** The levels above the target, the center first. */
  readonly chain: readonly CustomizeTarget[];
}

/** The context of one customizer batch: the same for every item. */
export interface CustomizeCall {
  readonly options: Json;
  readonly pattern: string;
  /** The level that renders (for errors and limits), not necessarily the target. */
  readonly level: LevelInfo;
  /** The host clock, RFC 3339. */
  readonly now: string;
}

/** A loaded customizer. Each method is one boundary crossing for the whole batch. */
export interface CustomizerHandle {
  readonly info: PluginInfo;
  /** The rendered object of each item, in order. */
  customize(items: readonly CustomizeItem[], call: CustomizeCall): Promise<Json[]>;
  /** The plugin's own account of each item's changes; `[]` per item when it has no `explain`. */
  explain(items: readonly CustomizeItem[], call: CustomizeCall): Promise<CustomizeChange[][]>;
}

/** Runs plugins. `QuickJsRunner` is the default; `InlineRunner` runs trusted code in-process. */
export interface PluginRunner {
  /** `quickjs` or `inline`: shown by the demo and in summaries. */
  readonly name: string;
  loadReducer(source: PluginSource, limits?: Partial<PluginLimits>): Promise<ReducerHandle>;
  loadPolicy(source: PluginSource, limits?: Partial<PluginLimits>): Promise<PolicyHandle>;
  /** Every edgesum runner has it; optional so a runner written before customizers still runs reducers and policies. */
  loadCustomizer?(source: PluginSource, limits?: Partial<PluginLimits>): Promise<CustomizerHandle>;
  /**
   * How many calls it runs at the same time (its threads); absent means one. A caller with
   * independent work, like a one-shot fold, splits it this many ways so that no thread idles.
   */
  readonly parallelism?: number;
  /** The memory its sandboxes hold right now, in bytes, for the `edgesum_sandbox_memory_bytes` metric; absent for runners without a sandbox. */
  memoryBytes?(): number;
  /** Releases every runtime. The runner is unusable afterwards. */
  dispose(): Promise<void>;
}

/**
 * The public plugin contract of edgesum, published as `edgesum/plugin`.
 *
 * A plugin is a plain object with a `name`, a `version`, an optional JSON Schema for its options and
 * its hooks. Plugins run in a sandbox (QuickJS) with memory, stack and time limits, so a hook sees
 * only its arguments: no `require`, no `process`, no timers, no network. Every value crossing the
 * boundary is JSON: hooks receive JSON and must return JSON.
 *
 * This module holds types and a few pure helpers (`defineReducer`, `definePolicy`, `defineCustomizer`,
 * `customizeFault`, `readPath`) so a plugin that imports it bundles to a few hundred bytes. Built-in
 * plugins import nothing else.
 *
 * @module edgesum/plugin
 */

/** A JSON value: what hooks receive and return. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A JSON object. */
export type JsonObject = { [key: string]: Json };

/**
 * A JSON Schema (draft 2020-12) the host validates a binding's options against before any hook
 * runs. It supports `type`, `enum` and `const` of primitives, `anyOf`, `oneOf`, `allOf`, `not: {}`,
 * `default`, `$ref` only to `#/$defs/<name>` (not recursively), `properties`, `required`,
 * `additionalProperties`, `propertyNames`, `minProperties`/`maxProperties`, `items` (one schema),
 * `minItems`/`maxItems`, `uniqueItems`, `minLength`/`maxLength`, `pattern`, `format` (email, uri,
 * uuid, date-time, date, duration, hostname, ipv4 and ipv6 are checked), `minimum`/`maximum`,
 * `exclusiveMinimum`/`exclusiveMaximum` and `multipleOf`; it refuses `if`/`then`/`else`,
 * `patternProperties`, `contains`, tuples (`prefixItems`, an array of `items`), `dependentSchemas`,
 * `dependentRequired`, `unevaluatedProperties`/`unevaluatedItems` and dynamic references. A
 * `pattern` uses RE2 syntax, which is ECMAScript's without backreferences, lookaround and `\uXXXX`
 * (write `\x{XXXX}`), and is matched in time linear in the string.
 */
export type OptionsSchema = JsonObject;

/** Identifies one object. `namespace` is absent for cluster-scoped objects; `group` is `""` for core. */
export interface ObjectRef {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly namespace?: string | undefined;
  readonly name: string;
}

/** The subset of an object's metadata an edge may send along with its status. */
export interface ReportMetadata {
  readonly generation?: number | undefined;
  readonly deletionTimestamp?: string | null | undefined;
  readonly labels?: Readonly<Record<string, string>> | undefined;
  readonly annotations?: Readonly<Record<string, string>> | undefined;
}

/**
 * What one destination observed of its copy of one object. Reducers receive reports already
 * validated, and only the latest `seq` per (destination, object): duplicates and out-of-order
 * reports never reach a hook.
 */
export interface StatusReport {
  /** The destination (edge cluster) id. */
  readonly destination: string;
  readonly ref: ObjectRef;
  /** Monotonic per (destination, object); the latest wins. */
  readonly seq: number;
  /** When the edge observed the object, RFC 3339. */
  readonly observedAt: string;
  readonly metadata?: ReportMetadata | undefined;
  /** The subset of the object's spec the edge chose to send. */
  readonly spec?: Readonly<JsonObject> | undefined;
  /** The object's status, as the edge saw it; `null` for an object that has none (a ConfigMap, a Namespace without one). */
  readonly status: Json;
}

/** Which level a hook runs at. */
export interface LevelInfo {
  readonly id: string;
  readonly kind: 'center' | 'region' | 'site';
}

/** What every reducer hook receives besides its data. */
export interface ReducerContext<Options = JsonObject> {
  /** The binding's options, already validated against the plugin's `options` schema. */
  readonly options: Options;
  /** The summary binding this call serves. */
  readonly binding: string;
  /** The level the call runs at. Hooks must not change their result by level: partials merge across levels. */
  readonly level: LevelInfo;
  /** The host clock at the start of the batch, RFC 3339. The only clock a hook may read. */
  readonly now: string;
}

/** Fields shared by every plugin. */
export interface PluginMeta {
  /** A stable name, e.g. `health`. Appears in summaries, metrics and errors. */
  readonly name: string;
  /** The plugin's own version (semver). The bundle hash identifies the exact build. */
  readonly version: string;
  /** One line for `edgesum plugin` listings. */
  readonly description?: string;
  /** JSON Schema of the options. Absent means the plugin takes no options (an empty object). */
  readonly options?: OptionsSchema;
}

/**
 * One entry of a reducer's `reads`: a field path, or the field paths the binding's options hold.
 * `option` is an option's name, or a dotted path into the options in which `*` stands for every
 * element of a list or value of an object (`fields.*.path`); `default` is read when nothing is
 * there.
 */
export type ReadsEntry = string | { readonly option: string; readonly default?: string };

/**
 * A reducer folds status reports into a mergeable accumulator, at every level of the hierarchy.
 * Sites fold reports with `add`; regions and the center combine their children's accumulators with
 * `merge`; whoever needs a readable summary calls `finish`.
 *
 * **Laws** (checked by `edgesum plugin check` and the conformance suite):
 * - `merge` is associative and commutative, with `init()` as identity:
 *   `merge(a, merge(b, c)) ≡ merge(merge(a, b), c)`, `merge(a, b) ≡ merge(b, a)`, `merge(init(), a) ≡ a`.
 * - Partition independence: folding all reports with `add` from `init()` gives the same `finish`
 *   as folding any partition of them separately and merging the parts.
 * - `add` is order-insensitive: the same set of reports in any order gives the same `finish`.
 * - If `remove` is given: `remove(add(acc, r), r) ≡ acc` as far as `finish` can tell.
 * - Determinism: same inputs, same outputs. Hooks may read only their arguments and `ctx`
 *   (`ctx.now` is the clock; the sandbox's `Date` is `ctx.now` and its `Math.random` seeded).
 *   An accumulator must not depend on when it was folded or merged, and no hook may draw on
 *   `Math.random`: `edgesum plugin check` runs each hook under another clock and another seed.
 * - Level independence: a hook gives the same result at every level (`ctx.level` is for logs).
 * - Hooks may mutate and return their first argument (the accumulator); they must never mutate a
 *   report or the second accumulator of `merge`.
 * - Accumulators and summaries are JSON and stay bounded in size whatever the number of reports
 *   (keep top-k, not all): the check folds 20 copies of the reports against 10 and compares sizes.
 *
 * @typeParam Options - the validated options type.
 * @typeParam Acc - the accumulator, a JSON value. Declare it with `type Acc = { … }`: an
 *   `interface` has no index signature, so TypeScript cannot prove it is JSON (TS2344); add
 *   `[key: string]: Json;` to an interface that must stay one.
 * @typeParam Summary - the finished summary, a JSON value.
 */
export interface Reducer<Options = JsonObject, Acc extends Json = Json, Summary extends Json = Json> extends PluginMeta {
  /**
   * Field paths of a report this reducer reads (e.g. `status.conditions`, `metadata.generation`),
   * or `{ option: 'field' }` for the path an option holds (`default` when the option is absent).
   * The host sends only these members (a path is kept whole from its first `[n]` index on), so a
   * member not listed is missing from the report a hook sees, and `status` is `null` if not listed.
   * Absent means the whole report. `destination`, `ref`, `seq` and `observedAt` are always sent,
   * but `seq` and `observedAt` count as read only when listed: a report that differs from the one
   * it replaces in nothing else (an edge re-sending the same status) is not folded again, so the
   * accumulator may hold the `seq` and `observedAt` of an earlier copy. List `observedAt` when the
   * summary shows it.
   */
  readonly reads?: readonly ReadsEntry[];
  /** Runs once per partition and merge node. Returns the identity accumulator. */
  init(ctx: ReducerContext<Options>): Acc;
  /** Folds one report into the accumulator. Runs at the level that received the report. */
  add(acc: Acc, report: StatusReport, ctx: ReducerContext<Options>): Acc;
  /**
   * Optional retraction: undoes one earlier `add` of exactly this report. When present, replacing a
   * report costs `remove` + `add` instead of re-folding its partition.
   */
  remove?(acc: Acc, report: StatusReport, ctx: ReducerContext<Options>): Acc;
  /**
   * The options for which `remove` retracts exactly, as a JSON Schema (the subset `options` takes).
   * A binding whose options do not validate against it is treated as if `remove` were absent: the
   * host re-folds a changed report's partition, and the retraction law is not checked for those
   * options. Absent means `remove` is exact for every option. For a reducer that can undo some
   * parts of its accumulator only (a sum can be retracted, a minimum cannot).
   */
  readonly retractsWhen?: OptionsSchema;
  /** Combines two accumulators. Runs at every level. See the laws above. */
  merge(a: Acc, b: Acc, ctx: ReducerContext<Options>): Acc;
  /** Turns an accumulator into the summary clients read. Pure; may run at any level. */
  finish(acc: Acc, ctx: ReducerContext<Options>): Summary;
}

/** The rollout state of one child (a region, a site or a destination) for the rollout's version. */
export type ChildState = 'pending' | 'progressing' | 'succeeded' | 'failed' | 'timed-out' | 'skipped';

/** One child of the deciding level, as a policy sees it. */
export interface PolicyChild {
  readonly id: string;
  readonly labels: Readonly<Record<string, string>>;
  /** The rollout group the child belongs to, by name and position (mandatory groups first). */
  readonly group: { readonly name: string; readonly index: number };
  readonly state: ChildState;
  /** When the child entered `state` for this version, RFC 3339. Absent only while `pending`. */
  readonly since?: string;
  /**
   * What the child reported. A child level: its destinations by rollout state
   * (`{pending, progressing, succeeded, failed, timed-out, skipped}`), or, when the rollout names a
   * summary binding, `{ states, summary }` with that binding's summary of the child. A destination:
   * `{ version, phase }` from its latest report. `null` before the child reported.
   */
  readonly summary: Json;
}

/**
 * What a level may do for a rollout, granted by its parent's decision. A level never has more
 * children started (in flight or finished) than `maxStarted`, and starts none after `until`; it
 * keeps acting on its grant while its parent is unreachable. The center has no grant (`null`).
 */
export interface Grant {
  /** Most children that may be started in total, or null for no limit. */
  readonly maxStarted: number | null;
  /** No child may be started after this time (RFC 3339), or null for no deadline. */
  readonly until: string | null;
}

/** Everything a policy decides from. */
export interface PolicyInput {
  readonly rollout: { readonly id: string; readonly workload: string; readonly version: string; readonly startedAt: string };
  /** The deciding level's id. */
  readonly level: string;
  /** The host clock, RFC 3339. */
  readonly now: string;
  /** What the policy returned as `memo` last time for this rollout at this level, or null. */
  readonly memo: Json;
  /** The grant this level holds from its parent, or null at the center. */
  readonly grant?: Grant | null;
  /** Every child in the rollout's scope, in group order then id order. */
  readonly children: readonly PolicyChild[];
}

/** What a policy decides: which children should be rolling out now, and why. */
export interface Decision {
  readonly action: 'advance' | 'hold' | 'pause' | 'rollback' | 'complete';
  /** Children that should be rolling out now: those in flight and those to start. */
  readonly targets: readonly string[];
  /** Children that ran past their progress deadline. */
  readonly timedOut: readonly string[];
  /** True when failures exceeded the policy's budget. */
  readonly budgetExceeded: boolean;
  /** Ask to be called again after this long even if nothing changes (soak times, deadlines). */
  readonly recheckAfterMs?: number;
  /** For people reading the audit trail. */
  readonly reason: string;
  /** Kept by the host and handed back as `input.memo` next time. */
  readonly memo?: Json;
}

/**
 * A rollout policy: a pure decision function, called at each level per rollout when a child's
 * state or summary changes and when a requested recheck falls due.
 *
 * **Laws** (checked by `checkPolicyConformance` from `edgesum/testing`):
 * - Determinism: the same input and options give the same decision. Read the time from
 *   `input.now`, never the clock; the sandbox's `Date` is `input.now` and its `Math.random` seeded.
 *   The checks decide again with `Date` away from `input.now` and with another seed.
 * - The decision is well formed: `targets` and `timedOut` are ids of `input.children` (never a
 *   skipped one), with no duplicates; `complete` has no targets; `pause` comes with
 *   `budgetExceeded: true`.
 * - Idempotence: the same input with the returned `memo` fed back gives the same decision, so a
 *   level that asks twice (after a restart, say) does the same thing.
 * - No mutation of the input or the options, and a decision that survives a JSON round trip.
 * - Within the grant: the controller refuses a decision that would start more children than the
 *   level's grant allows, or start any after the grant ended; the checks report it as `within-grant`.
 */
export interface Policy<Options = JsonObject> extends PluginMeta {
  decide(input: PolicyInput, options: Options): Decision;
}

/** Declares a reducer plugin. Returns its argument: it exists for type inference. */
export function defineReducer<Options = JsonObject, Acc extends Json = Json, Summary extends Json = Json>(
  reducer: Reducer<Options, Acc, Summary>,
): Reducer<Options, Acc, Summary> {
  return reducer;
}

/** Declares a rollout policy plugin. Returns its argument: it exists for type inference. */
export function definePolicy<Options = JsonObject>(policy: Policy<Options>): Policy<Options> {
  return policy;
}

/**
 * Reads a field path from a JSON-like value: `status.readyReplicas`, `status.conditions[0].type`,
 * `metadata.labels["app.kubernetes.io/version"]`. Returns `undefined` where any step is missing.
 */
export function readPath(value: unknown, path: string): unknown {
  let current: unknown = value;
  let i = 0;
  while (i < path.length) {
    if (current === null || current === undefined) return undefined;
    const segment = nextSegment(path, i);
    if (segment === undefined) return undefined;
    if (segment === null) {
      i++;
      continue;
    }
    i = segment.end;
    const key = segment.index ? Number(segment.key) : segment.key;
    // JSON members only: `constructor`, `__proto__` or an array's `length` are not in the report.
    if (typeof current !== 'object' || !Object.prototype.hasOwnProperty.call(current, key)) return undefined;
    if (Array.isArray(current) && !/^\d+$/.test(String(key))) return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}

/** One step of a field path. */
interface PathSegment {
  readonly key: string;
  /** `[n]`: an index (a quoted `["key"]` is a member). */
  readonly index: boolean;
  /** Where the next step starts. */
  readonly end: number;
}

/** The step of `path` at `i`: `null` for a `.` separator, `undefined` for an unclosed `[`. */
function nextSegment(path: string, i: number): PathSegment | null | undefined {
  const ch = path[i];
  if (ch === '.') return null;
  if (ch === '[') {
    const close = path.indexOf(']', i);
    if (close < 0) return undefined;
    const inner = path.slice(i + 1, close);
    const quoted = inner.startsWith('"') && inner.endsWith('"') && inner.length >= 2;
    return { key: quoted ? inner.slice(1, -1) : inner, index: !quoted, end: close + 1 };
  }
  let end = i;
  while (end < path.length && path[end] !== '.' && path[end] !== '[') end++;
  return { key: path.slice(i, end), index: false, end };
}

/**
 * Where a customizer renders: a level of the hierarchy or one destination. `labels` are the
 * level's or the destination's own labels (a level's are empty unless its topology gives some).
 */
export interface CustomizeTarget {
  readonly id: string;
  readonly kind: 'center' | 'region' | 'site' | 'destination';
  readonly labels: Readonly<Record<string, string>>;
}

/** What `customize` receives besides the object and the target. */
export interface CustomizerContext<Options = JsonObject> {
  /** The step's options, already validated against the plugin's `options` schema. */
  readonly options: Options;
  /** The levels above the target, the center first: `[]` at the center, `[center, region, site]` for a destination. */
  readonly chain: readonly CustomizeTarget[];
  /** The host clock, RFC 3339. Customizers should not depend on it: renderings are compared across levels and time. */
  readonly now: string;
  /** The pattern being rendered, for messages. */
  readonly pattern: string;
}

/** One change a customizer made, for `edgesum customize --explain`. */
export interface CustomizeChange {
  /** The rule that made it, as a person finds it in the options (e.g. `rules[2] eu-canary`). */
  readonly rule: string;
  /** The changed path in the object (`spec.template.spec.containers[0].image`). */
  readonly path: string;
}

/**
 * A customizer renders one object for one target: the mirror of a reducer. A **pattern** names an
 * ordered list of customizers, each bound to a level kind; each level applies the ones bound to its
 * kind to the object it received from its parent and passes the result down, and a site renders the
 * `destination`-bound ones per destination. So the center never renders one copy per destination,
 * and a site cut off from its parent still renders its own.
 *
 * **Laws** (checked by `checkCustomizerLaws` from `edgesum/testing`):
 * - Determinism: the same object, target and context give the same result.
 * - The result is JSON and stays within the output limit.
 * - Level independence: rendering level by level (each level gets its own copy of its parent's
 *   rendering) equals rendering once at the center with the whole chain (siblings share their
 *   parent's rendering). Never mutate `object`: return a new value.
 * - Idempotence, when `idempotent` is declared: `customize(customize(o)) ≡ customize(o)`.
 * - A failure names where: throw `customizeFault(path, message)`, so the host reports the path.
 */
export interface Customizer<Options = JsonObject> extends PluginMeta {
  /** True when applying the customizer twice gives the same object as once. */
  readonly idempotent?: boolean;
  /** Returns `object` as it should be for `target`. Must not modify `object`. */
  customize(object: Json, target: CustomizeTarget, ctx: CustomizerContext<Options>): Json;
  /** Optional: which rule changed which path for `target`, for `--explain`; the host finds the paths itself otherwise. */
  explain?(object: Json, target: CustomizeTarget, ctx: CustomizerContext<Options>): readonly CustomizeChange[];
}

/** Declares a customizer plugin. Returns its argument: it exists for type inference. */
export function defineCustomizer<Options = JsonObject>(customizer: Customizer<Options>): Customizer<Options> {
  return customizer;
}

/**
 * The error a customizer throws for a problem at a path of the object (a missing label, a patch
 * on a path that does not exist): its message is `at <path>: <problem>`, which the host reads back
 * into the error's `path`.
 */
export function customizeFault(path: string, problem: string): Error {
  return new TypeError(`at ${path === '' ? '(root)' : path}: ${problem}`);
}

// ---------------------------------------------------------------------------------------------
// Report projection: the host sends a reducer only the members it declares in `reads`, read as
// `readPath` reads them, so a sandboxed reducer parses a fraction of each report. The reducer
// laws check a reducer's `reads` with this same projection.
// ---------------------------------------------------------------------------------------------

/**
 * The field paths a reducer reads under these validated options, or `undefined` for the whole
 * report: when it declares no `reads`, or an `{ option }` entry names an option whose value is not
 * a path (a projection that guessed would silently drop what the reducer reads).
 */
export function resolveReads(reads: readonly ReadsEntry[] | undefined, options: Json): string[] | undefined {
  if (reads === undefined) return undefined;
  const paths: string[] = [];
  for (const entry of reads) {
    if (typeof entry === 'string') {
      paths.push(entry);
      continue;
    }
    const values = optionValues(options, entry.option);
    if (values.length === 0 && entry.default !== undefined) paths.push(entry.default);
    for (const value of values) {
      if (typeof value !== 'string' || value === '') return undefined;
      paths.push(value);
    }
  }
  return paths;
}

/** Whether a value has members a `ReadsEntry`'s option path can step into. */
function isObjectValue(value: unknown): value is Readonly<Record<string, Json>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The values at an option name, or at a dotted option path with `*` wildcards; absent ones are skipped. */
function optionValues(options: Json, option: string): Json[] {
  if (isObjectValue(options) && Object.hasOwn(options, option)) return [options[option]!];
  let level: Json[] = [options];
  for (const step of option.split('.')) {
    const next: Json[] = [];
    for (const value of level) {
      if (step === '*') {
        if (Array.isArray(value)) next.push(...value);
        else if (isObjectValue(value)) next.push(...Object.values(value));
      } else if (isObjectValue(value) && Object.hasOwn(value, step)) next.push(value[step]!);
    }
    level = next;
  }
  return level;
}

/** The segments of a path as `readPath` walks them; an index segment ends what projection descends into. */
function segmentsOf(path: string): PathSegment[] | undefined {
  const segments: PathSegment[] = [];
  let i = 0;
  while (i < path.length) {
    const segment = nextSegment(path, i);
    if (segment === undefined) return undefined;
    if (segment === null) {
      i++;
      continue;
    }
    segments.push(segment);
    i = segment.end;
  }
  return segments;
}

type Fields = Record<string, unknown>;

function setOwn(target: Fields, key: string, value: unknown): void {
  // Assigning `__proto__` would set the prototype instead of a member.
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

/** Compiled projection of a reducer's reads: one tree of the members to copy. */
export interface Projection {
  readonly paths: readonly string[];
  readonly tree: ReadonlyMap<string, ProjectionNode>;
}
/** `null` copies the whole member; a map copies only its listed members. */
export type ProjectionNode = ReadonlyMap<string, ProjectionNode> | null;

/**
 * Compiles paths into a projection, or `undefined` when one of them cannot be parsed (then the
 * whole report is sent). A path is copied down to its first index: `status.conditions[0].type`
 * sends all of `status.conditions`, so `readPath` sees the same array.
 */
export function compileProjection(paths: readonly string[]): Projection | undefined {
  const root = new Map<string, ProjectionNode>();
  for (const path of paths) {
    const segments = segmentsOf(path);
    if (segments === undefined || segments.length === 0 || segments[0]!.index) return undefined;
    let node = root;
    for (let s = 0; s < segments.length; s++) {
      const { key } = segments[s]!;
      const whole = s === segments.length - 1 || segments[s + 1]!.index;
      const existing = node.get(key);
      if (existing === null) break;
      if (whole) {
        node.set(key, null);
        break;
      }
      const next = existing ?? new Map<string, ProjectionNode>();
      node.set(key, next);
      node = next as Map<string, ProjectionNode>;
    }
  }
  return { paths, tree: root };
}

function projectMembers(source: unknown, tree: ReadonlyMap<string, ProjectionNode>): unknown {
  // Below an array or a scalar the projection cannot pick members: the value goes whole, and
  // `readPath` reads from it what it read from the report.
  if (typeof source !== 'object' || source === null || Array.isArray(source)) return source;
  const target: Fields = {};
  for (const [key, node] of tree) {
    if (!Object.prototype.hasOwnProperty.call(source, key)) continue;
    const value = (source as Fields)[key];
    setOwn(target, key, node === null ? value : projectMembers(value, node));
  }
  return target;
}

/**
 * The projection of a reducer's `reads` under these validated options, or `undefined` for the whole
 * report (see {@link resolveReads} and {@link compileProjection}).
 */
export function readsProjection(reads: readonly ReadsEntry[] | undefined, options: Json): Projection | undefined {
  const paths = resolveReads(reads, options);
  return paths === undefined ? undefined : compileProjection(paths);
}

/** Members of a report every reducer may read, whatever its `reads`: which object, where, and when. */
export const identityFields = ['destination', 'ref', 'seq', 'observedAt'] as const;

/**
 * The report with only the identity fields and the members the projection lists, read as
 * `readPath` reads (own JSON members only). `status` is `null` when not read, as the contract
 * types it for objects without one.
 */
export function projectReport(report: StatusReport, projection: Projection): StatusReport {
  const projected: Fields = { destination: report.destination, ref: report.ref, seq: report.seq, observedAt: report.observedAt, status: null };
  for (const [key, node] of projection.tree) {
    if ((identityFields as readonly string[]).includes(key) || !Object.prototype.hasOwnProperty.call(report, key)) continue;
    const value = (report as unknown as Fields)[key];
    setOwn(projected, key, node === null ? value : projectMembers(value, node));
  }
  return projected as unknown as StatusReport;
}

import { createHash } from 'node:crypto';
import type { CustomizeChange, CustomizeTarget, Json, LevelInfo } from '../contract.js';
import { CustomizeError, EdgesumError, ErrorCodes, PluginOutputError, type RenderPlace } from '../errors.js';
import type { CustomizeItem } from '../ports/plugin-runner.js';
import type { LoadedPattern, PatternStep } from './pattern.js';

/** One target's rendering: the object, or the typed error of the step that failed for it. */
export type RenderOutcome = { readonly ok: true; readonly object: Json } | { readonly ok: false; readonly error: CustomizeError };

/** Where and when a level renders. */
export interface RenderCall {
  /** The level that runs the customizers (for limits and errors); the targets may be below it. */
  readonly level: LevelInfo;
  readonly now: string;
}

/**
 * Applies the steps bound to each item's target kind, in pattern order, to the item's object.
 * Each step is one batch over every item still rendering; a batch that fails is retried item by
 * item, so one target's failure (a missing label) leaves every other target's rendering alone.
 */
export async function applyLevel(pattern: LoadedPattern, items: readonly CustomizeItem[], call: RenderCall): Promise<RenderOutcome[]> {
  const outcomes: RenderOutcome[] = items.map((item) => ({ ok: true, object: item.object }));
  const kinds = new Set(items.map((item) => item.target.kind));
  for (const step of pattern.steps) {
    if (!kinds.has(step.level)) continue;
    const live = items.flatMap((item, i) => (item.target.kind === step.level && outcomes[i]!.ok ? [i] : []));
    if (live.length === 0) continue;
    const batch = live.map((i) => ({ ...items[i]!, object: (outcomes[i] as { object: Json }).object }));
    const results = await runStep(pattern, step, batch, call);
    live.forEach((i, k) => (outcomes[i] = results[k]!));
  }
  return outcomes;
}

async function runStep(pattern: LoadedPattern, step: PatternStep, batch: readonly CustomizeItem[], call: RenderCall): Promise<RenderOutcome[]> {
  const customizeCall = { options: step.options, pattern: pattern.name, level: call.level, now: call.now };
  try {
    const objects = await step.handle.customize(batch, customizeCall);
    return objects.map((object) => ({ ok: true, object }));
  } catch (error) {
    if (batch.length === 1) return [{ ok: false, error: toCustomizeError(error, pattern.name, step.name, batch[0]!.target.id) }];
  }
  return Promise.all(batch.map(async (item) => (await runStep(pattern, step, [item], call))[0]!));
}

const faultPrefix = /(?:^|: )at ([^\s:]+|\(root\)): /;

/** A step's failure for one target, with the path a customizer named through `customizeFault`. */
export function toCustomizeError(error: unknown, pattern: string, customizer: string, target: string): CustomizeError {
  const cause = error instanceof EdgesumError ? error : undefined;
  const message = error instanceof Error ? error.message : String(error);
  const found = faultPrefix.exec(message);
  const path = found === null || found[1] === '(root)' ? '' : found[1]!;
  // A fault the plugin named reads as its own words; anything else keeps the runner's, which say what broke.
  const problem = found === null ? message : message.slice(found.index + found[0].length);
  const place: RenderPlace = { pattern, customizer, target, path };
  const code = cause === undefined || cause.code === ErrorCodes.PluginThrew ? ErrorCodes.Customize : cause.code;
  const at = path === '' ? '' : ` at ${path}`;
  return new CustomizeError(code, `pattern "${pattern}", customizer "${customizer}", target ${target}${at}: ${problem}`, place, {
    ...(cause === undefined ? {} : { plugin: cause.plugin, hook: cause.hook, level: cause.level }),
    issues: [{ path, message: problem }],
    cause: error,
  });
}

/**
 * Renders `object` for the last target of `chain` (center first) in one place: each target of the
 * chain in turn, with the targets above it as its chain. What a center computes when it renders a
 * destination by itself; level by level gives the same (the customizer laws).
 */
export async function renderChain(pattern: LoadedPattern, object: Json, chain: readonly CustomizeTarget[], call: RenderCall): Promise<RenderOutcome> {
  let current: RenderOutcome = { ok: true, object };
  for (let i = 0; i < chain.length && current.ok; i++) {
    current = (await applyLevel(pattern, [{ object: current.object, target: chain[i]!, chain: chain.slice(0, i) }], call))[0]!;
  }
  return current;
}

/** A level or destination of the tree a pattern renders down. */
export interface RenderNode {
  readonly target: CustomizeTarget;
  readonly children?: readonly RenderNode[];
}

/**
 * Renders level by level down a tree: each node applies its kind's steps to what its parent passed
 * down (a JSON copy, as over the wire), then passes its result to its children. Every node of a
 * depth renders in one batch per step. Returns the outcome of every node, by target id; a node
 * that failed passes nothing down, and its subtree is reported with its error.
 */
export async function renderDown(pattern: LoadedPattern, object: Json, root: RenderNode, now: string): Promise<Map<string, RenderOutcome>> {
  const outcomes = new Map<string, RenderOutcome>();
  let depth: { node: RenderNode; received: Json; chain: CustomizeTarget[] }[] = [{ node: root, received: object, chain: [] }];
  while (depth.length > 0) {
    const items = depth.map(({ node, received, chain }) => ({ object: received, target: node.target, chain }));
    const results = await applyLevel(pattern, items, { level: levelOf(depth[0]!.chain, depth[0]!.node.target), now });
    const next: typeof depth = [];
    depth.forEach(({ node, chain }, i) => {
      const outcome = results[i]!;
      outcomes.set(node.target.id, outcome);
      for (const child of node.children ?? []) {
        if (outcome.ok) next.push({ node: child, received: JSON.parse(JSON.stringify(outcome.object)) as Json, chain: [...chain, node.target] });
        else failSubtree(child, outcome, outcomes);
      }
    });
    depth = next;
  }
  return outcomes;
}

function failSubtree(node: RenderNode, outcome: RenderOutcome, outcomes: Map<string, RenderOutcome>): void {
  outcomes.set(node.target.id, outcome);
  for (const child of node.children ?? []) failSubtree(child, outcome, outcomes);
}

/** The level that renders for a target: the site for a destination, else the target itself. */
function levelOf(chain: readonly CustomizeTarget[], target: CustomizeTarget): LevelInfo {
  const level = target.kind === 'destination' ? chain[chain.length - 1] : target;
  return { id: level?.id ?? target.id, kind: level === undefined || level.kind === 'destination' ? 'site' : level.kind };
}

/** Each step's changes for one target, for `--explain`: the changed paths, attributed to the step's rules. */
export interface StepChanges {
  readonly customizer: string;
  readonly target: string;
  readonly changes: readonly CustomizeChange[];
}

/**
 * Renders along `chain` like {@link renderChain} and names what each step changed: every path
 * whose value differs before and after the step, with the rule the customizer's `explain` gives
 * for it (the longest path it names that contains the change), or `(customizer)` without one.
 */
export async function explainChain(pattern: LoadedPattern, object: Json, chain: readonly CustomizeTarget[], call: RenderCall): Promise<{ outcome: RenderOutcome; steps: StepChanges[] }> {
  const steps: StepChanges[] = [];
  let current: Json = object;
  for (let i = 0; i < chain.length; i++) {
    const target = chain[i]!;
    for (const step of pattern.steps.filter((s) => s.level === target.kind)) {
      const item = { object: current, target, chain: chain.slice(0, i) };
      const single: LoadedPattern = { name: pattern.name, steps: [step] };
      const [outcome] = await applyLevel(single, [item], call);
      if (!outcome!.ok) return { outcome: outcome!, steps };
      let notes: readonly CustomizeChange[];
      try {
        notes = checkedNotes((await step.handle.explain([item], { options: step.options, pattern: pattern.name, level: call.level, now: call.now }))[0], step, call);
      } catch (error) {
        return { outcome: { ok: false, error: toCustomizeError(error, pattern.name, step.name, target.id) }, steps };
      }
      const changes = changedPaths(current, outcome!.object).map((path) => ({ rule: ruleFor(path, notes), path }));
      if (changes.length > 0) steps.push({ customizer: step.name, target: target.id, changes });
      current = outcome!.object;
    }
  }
  return { outcome: { ok: true, object: current }, steps };
}

/** What `explain` returned, if it is a list of `{ rule, path }` strings. */
function checkedNotes(notes: unknown, step: PatternStep, call: RenderCall): readonly CustomizeChange[] {
  const valid = Array.isArray(notes) && notes.every((note: unknown) => typeof note === 'object' && note !== null && typeof (note as CustomizeChange).rule === 'string' && typeof (note as CustomizeChange).path === 'string');
  if (!valid) {
    const where = { plugin: step.handle.info.name, hook: 'explain', level: call.level.id };
    throw new PluginOutputError(ErrorCodes.PluginOutput, `${where.plugin}.explain returned something other than a list of { rule, path } strings`, where);
  }
  return notes as CustomizeChange[];
}

function ruleFor(path: string, notes: readonly CustomizeChange[]): string {
  let best: CustomizeChange | undefined;
  for (const note of notes) {
    const contains = note.path === path || note.path === '' || path.startsWith(`${note.path}.`) || path.startsWith(`${note.path}[`);
    if (contains && (best === undefined || note.path.length >= best.path.length)) best = note;
  }
  return best?.rule ?? '(customizer)';
}

/** Paths (`a.b[0].c`) whose values differ between two JSON values: the leaves that changed, appeared or went away. */
export function changedPaths(before: Json, after: Json, path = ''): string[] {
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((key) => (key in before && key in after ? changedPaths(before[key]!, after[key]!, join(path, key)) : [join(path, key)]));
  }
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
    return before.flatMap((value, i) => changedPaths(value, after[i]!, `${path}[${i}]`));
  }
  return canonicalJson(before) === canonicalJson(after) ? [] : [path];
}

function join(path: string, key: string): string {
  const part = /^[A-Za-z_$][\w$-]*$/.test(key) ? key : `[${JSON.stringify(key)}]`;
  return part.startsWith('[') || path === '' ? `${path}${part}` : `${path}.${part}`;
}

function isObject(value: Json): value is { [key: string]: Json } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** JSON with object keys sorted: equal values give equal text whatever their key order. */
export function canonicalJson(value: Json): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isObject(value)) return `{${Object.keys(value).sort().map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key]!)}`).join(',')}}`;
  return JSON.stringify(value);
}

/** The hash a destination reports for what it applied, and the pattern's rendering is compared by: sha256 of the canonical JSON, 16 hex digits. */
export function renderingHash(object: Json): string {
  return createHash('sha256').update(canonicalJson(object)).digest('hex').slice(0, 16);
}

/**
 * The last good rendering of each target: a target whose rendering fails keeps serving the one
 * before, and is reported degraded with the error, while other targets move on.
 */
export class Renderings {
  private readonly last = new Map<string, { object: Json; hash: string }>();

  /** Records an outcome; returns what the target serves now. */
  record(target: string, outcome: RenderOutcome): { object: Json | undefined; hash: string | undefined; degraded?: CustomizeError } {
    if (outcome.ok) {
      const entry = { object: outcome.object, hash: renderingHash(outcome.object) };
      this.last.set(target, entry);
      return entry;
    }
    const kept = this.last.get(target);
    return { object: kept?.object, hash: kept?.hash, degraded: outcome.error };
  }

  get(target: string): { object: Json; hash: string } | undefined {
    return this.last.get(target);
  }

  /** Every target's last good rendering, to store. */
  entries(): Record<string, { object: Json; hash: string }> {
    return Object.fromEntries(this.last);
  }

  /** Takes back what {@link entries} stored; entries whose hash does not match their object are left out. */
  restore(entries: Readonly<Record<string, { object: Json; hash: string }>>): void {
    for (const [target, entry] of Object.entries(entries)) {
      if (renderingHash(entry.object) === entry.hash) this.last.set(target, { object: entry.object, hash: entry.hash });
    }
  }
}

/**
 * Guest side: the shim every plugin runtime evaluates before the plugin's own script. It defines
 * `__edgesum.call(hook, json, items?)`, the one entry point the host calls (the request as JSON
 * text, and the batch's items either in it or apart, already decoded from binary JSON), and runs a
 * whole batch inside the sandbox with the same semantics as the inline runner (`sandbox/inline.ts`).
 * Results and failures leave as one JSON string, serialized here so the host copies out a single
 * string per call.
 *
 * Runs inside QuickJS only. It imports nothing but the plain-data description helper and types.
 */

import type { Customizer, Decision, Policy, PolicyInput, Reducer, ReducerContext, StatusReport } from '../../core/contract.js';
import { describeExport } from '../guest/describe-export.js';
import { jsonFault } from '../guest/json-fault.js';
import type { AccUpdate, CustomizeItem } from '../../core/ports/plugin-runner.js';
import type { RealmControl } from './guest-realm.js';
import { guestGlobal, type GuestFailure, type GuestHook, type GuestRequest } from './protocol.js';

// Captured when the shim is evaluated, before any plugin code runs. The realm is frozen before that
// too; holding them here keeps the shim independent of what hardening covers. (A plugin that
// sabotages the shim some other way only breaks its own results: the host validates every envelope.)
const parseJson = JSON.parse;
const stringifyJson = JSON.stringify;
const parseDate = Date.parse;
const { defineProperty, freeze } = Object;

/** Longest message or stack a failure report carries: a failure must not be a way around the output limit. */
const reportChars = 8 * 1024;

type AnyReducer = Reducer<unknown>;
type AnyPolicy = Policy<unknown>;

/** A failure the shim itself detects (not a plugin throw); plugin code cannot construct one. */
class ShimFailure {
  constructor(readonly problem: GuestFailure) {}
}

/**
 * Hardens the realm and defines the `__edgesum` global, before any plugin code runs: the plugin's
 * script then hands its default export to `__edgesum.install`, once. Hardening first means a
 * plugin cannot change a built-in at all, not even while its module initializes, and lets a
 * runtime be booted this far ahead of need (a warm spare) whatever plugin it later runs.
 */
export function installGuest(realm: RealmControl): void {
  realm.harden();
  let exported: unknown;
  let installed = false;
  const api = freeze({
    call: (hook: GuestHook, json: string, items?: readonly unknown[]): string => answer(exported, realm, hook, json, items),
    install(plugin: unknown): void {
      if (installed) throw new TypeError('the plugin is already installed');
      installed = true;
      exported = plugin;
    },
  });
  defineProperty(globalThis, guestGlobal, { value: api, writable: false, enumerable: false, configurable: false });
}

/** `items`, when given, are the batch's items the host decoded from binary JSON; else they are in `json`. */
function answer(exported: unknown, realm: RealmControl, hook: GuestHook, json: string, items: readonly unknown[] | undefined): string {
  const head = parseJson(json) as GuestRequest;
  const request: GuestRequest = items === undefined ? head : { ...head, items };
  realm.setClock(request.clock);
  realm.reseed(request.seed);
  if (hook === 'describe') return serialize(describeExport(exported), request.outputBytes);
  if (hook === 'decide') return decide(exported as AnyPolicy, realm, request);
  if (hook === 'customize' || hook === 'explain') return customize(exported as Customizer<unknown>, hook, request);

  const reducer = exported as AnyReducer;
  const call = request.call!;
  const ctx: ReducerContext<unknown> = { options: call.options, binding: call.binding, level: call.level, now: call.now };
  let results: unknown[];
  try {
    results = reduceBatch(reducer, hook, request.items, ctx);
  } catch (error) {
    return fail(error instanceof ShimFailure ? error.problem : describeThrown(error));
  }
  return serialize(results, request.outputBytes);
}

function reduceBatch(reducer: AnyReducer, hook: GuestHook, items: readonly unknown[], ctx: ReducerContext<unknown>): unknown[] {
  const results: unknown[] = new Array(items.length);
  for (let i = 0; i < items.length; i++) {
    switch (hook) {
      case 'reduce':
        results[i] = fold(reducer, reducer.init(ctx), [], items[i] as readonly StatusReport[], ctx);
        break;
      case 'update': {
        const item = items[i] as AccUpdate;
        results[i] = fold(reducer, item.acc, item.remove, item.add, ctx);
        break;
      }
      case 'merge': {
        const accs = items[i] as readonly unknown[];
        let acc = accs.length === 0 ? reducer.init(ctx) : accs[0];
        for (let j = 1; j < accs.length; j++) acc = reducer.merge(acc as never, accs[j] as never, ctx);
        results[i] = acc;
        break;
      }
      case 'finish':
        results[i] = reducer.finish(items[i] as never, ctx);
        break;
      default:
        throw new TypeError(`unknown hook ${String(hook)}`);
    }
  }
  return results;
}

function fold(reducer: AnyReducer, acc: unknown, remove: readonly StatusReport[], add: readonly StatusReport[], ctx: ReducerContext<unknown>): unknown {
  const retract = reducer.remove;
  if (remove.length > 0 && typeof retract !== 'function') {
    throw new ShimFailure({ kind: 'no-remove', name: 'Error', message: `${String(reducer.name)} has no remove hook`, stack: '' });
  }
  for (let i = 0; i < remove.length; i++) acc = retract!.call(reducer, acc as never, remove[i]!, ctx);
  for (let i = 0; i < add.length; i++) acc = reducer.add(acc as never, add[i]!, ctx);
  return acc;
}

/** One decision per input, each checked as it is made, in the order the inline runner checks them. */
function decide(policy: AnyPolicy, realm: RealmControl, request: GuestRequest): string {
  const parts: string[] = [];
  for (let i = 0; i < request.items.length; i++) {
    const input = request.items[i] as PolicyInput;
    const clock = parseDate(input.now);
    realm.setClock(Number.isNaN(clock) ? 0 : clock);
    let decision: Decision;
    try {
      decision = policy.decide(input, request.options);
    } catch (error) {
      return fail({ ...describeThrown(error), index: i });
    }
    const text = toJsonText(decision, request.outputBytes);
    if (text instanceof ShimFailure) return fail({ ...text.problem, index: i });
    parts.push(text);
  }
  return `{"ok":true,"value":[${parts.join(',')}]}`;
}

/** Renders each item for its target; `explain` of a customizer without one is `[]` per item. */
function customize(customizer: Customizer<unknown>, hook: 'customize' | 'explain', request: GuestRequest): string {
  const call = request.customize!;
  const results: unknown[] = new Array(request.items.length);
  try {
    for (let i = 0; i < request.items.length; i++) {
      const item = request.items[i] as CustomizeItem;
      const ctx = { options: call.options, chain: item.chain, now: call.now, pattern: call.pattern };
      if (hook === 'customize') results[i] = customizer.customize(item.object, item.target, ctx);
      else results[i] = typeof customizer.explain === 'function' ? customizer.explain(item.object, item.target, ctx) : [];
    }
  } catch (error) {
    return fail(describeThrown(error));
  }
  return serialize(results, request.outputBytes);
}

/** The envelope of a successful call, or of an output failure. */
function serialize(value: unknown, outputBytes: number): string {
  const text = toJsonText(value, outputBytes);
  return text instanceof ShimFailure ? fail(text.problem) : `{"ok":true,"value":${text}}`;
}

/** Mirrors the host's `toJsonOutput`: the same checks, so both runners reject the same results. */
function toJsonText(value: unknown, outputBytes: number): string | ShimFailure {
  const fault = jsonFault(value);
  if (fault !== undefined) return new ShimFailure({ kind: 'output', reason: 'not-json', name: 'TypeError', message: clip(fault), stack: '' });
  let text: string | undefined;
  try {
    text = stringifyJson(value) as string | undefined;
  } catch (error) {
    return new ShimFailure({ kind: 'output', reason: 'not-json', name: errorName(error), message: clip(errorMessage(error)), stack: '' });
  }
  if (text === undefined) return new ShimFailure({ kind: 'output', reason: 'not-a-value', name: typeof value, message: typeof value, stack: '' });
  if (text.length > outputBytes) {
    return new ShimFailure({ kind: 'output', reason: 'too-big', name: 'RangeError', message: 'too big', stack: '', bytes: text.length });
  }
  return text;
}

function fail(problem: GuestFailure): string {
  return stringifyJson({ ok: false, error: problem });
}

/** Describes any thrown value as data, as the inline runner words it: an Error's message, else `String(value)`. */
function describeThrown(error: unknown): GuestFailure {
  return { kind: 'threw', name: errorName(error), message: clip(errorMessage(error)), stack: clip(errorStack(error)) };
}

function clip(text: string): string {
  return text.length > reportChars ? `${text.slice(0, reportChars)}… (${text.length - reportChars} more characters)` : text;
}

function errorName(error: unknown): string {
  try {
    return error instanceof Error ? clip(String(error.name)) : typeof error;
  } catch {
    return 'Error';
  }
}

function errorMessage(error: unknown): string {
  try {
    return error instanceof Error ? String(error.message) : String(error);
  } catch {
    // A thrown object whose toString throws still deserves a report.
    return `(a thrown ${typeof error} that cannot be printed)`;
  }
}

function errorStack(error: unknown): string {
  try {
    const stack = error instanceof Error ? error.stack : undefined;
    return typeof stack === 'string' ? stack : '';
  } catch {
    return '';
  }
}

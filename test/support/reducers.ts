/** Helpers for the tests of reducer plugins: folding, merging, and running a README's example. */
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import type { Json, Reducer, ReducerContext, StatusReport } from '../../core/contract.js';
import { deepFreeze } from '../../core/testing/index.js';

/** Folds reports into a fresh accumulator with `add`, as a site does. */
export function foldWith<Options, Acc extends Json, Summary extends Json>(plugin: Reducer<Options, Acc, Summary>, reports: readonly StatusReport[], ctx: ReducerContext<Options>): Acc {
  return reports.reduce((acc, report) => plugin.add(acc, report, ctx), plugin.init(ctx));
}

/** Merges copies left to right, freezing each right-hand side so a write to it throws. */
export function mergeWith<Options, Acc extends Json, Summary extends Json>(plugin: Reducer<Options, Acc, Summary>, accs: readonly Acc[], ctx: ReducerContext<Options>): Acc {
  if (accs.length === 0) return plugin.init(ctx);
  return accs.slice(1).reduce((acc, next) => plugin.merge(acc, deepFreeze(structuredClone(next)), ctx), structuredClone(accs[0]!));
}

/** The ```json example block of a reducer README: options, reports and the summary they give. */
export interface ReducerReadmeExample<Options> {
  readonly options: Options;
  readonly reports: StatusReport[];
  readonly summary: Json;
}

/**
 * Runs the example of a reducer's README, so the README cannot drift from the code: folds the
 * example's reports (deep-frozen) under its options and finishes.
 *
 * @returns what the reducer gives (`actual`) and what the README shows (`shown`).
 */
export function runReducerReadmeExample<Options, Acc extends Json, Summary extends Json>(plugin: Reducer<Options, Acc, Summary>, readme: URL): { actual: Summary; shown: Json } {
  const block = /```json example\n([\s\S]*?)```/.exec(readFileSync(readme, 'utf8'));
  expect(block, `${readme.pathname} has a json example block`).not.toBeNull();
  const example = JSON.parse(block![1]!) as ReducerReadmeExample<Options>;
  const ctx: ReducerContext<Options> = { options: example.options, binding: 'readme', level: { id: 'site-1', kind: 'site' }, now: '2026-11-24T10:00:00Z' };
  return { actual: plugin.finish(foldWith(plugin, example.reports.map(deepFreeze), ctx), ctx), shown: example.summary };
}

/**
 * The built-in `health` reducer: counts object copies per health state and keeps, per state, the
 * first destinations by name as examples. See README.md for the state rules per kind.
 */
import { defineReducer, type ReducerContext } from '../../core/contract.js';
import { assessHealth, healthStates, type HealthState } from './assess.js';

export { assessHealth, healthStates, type AssessInput, type HealthState } from './assess.js';

/** Options of a `health` binding. */
export interface HealthOptions {
  /** How many example destinations to keep per state, 0 to 100. Default {@link defaultExamples}. */
  readonly examples?: number;
}

/** Examples kept per state when a binding does not say. */
export const defaultExamples = 5;

/** Object copies per state. Every state is always present. */
export type HealthCounts = Record<HealthState, number>;

/**
 * The accumulator: counts per state, and per state the first destinations by name (sorted,
 * without duplicates, at most `examples` long). Both merge exactly, so partials combine at any level.
 */
export type HealthAcc = {
  counts: HealthCounts;
  examples: Record<HealthState, string[]>;
};

/**
 * The summary: all five counts, and example destinations for the states that have any, in state
 * order (`healthy`, `progressing`, `degraded`, `suspended`, `unknown`).
 */
export type HealthSummary = {
  counts: HealthCounts;
  examples: { [state: string]: string[] };
};

type Context = ReducerContext<HealthOptions>;

/** The `health` reducer. */
const health = defineReducer<HealthOptions, HealthAcc, HealthSummary>({
  name: 'health',
  version: '1.0.0',
  description: 'Counts object copies per health state (healthy, progressing, degraded, suspended, unknown) with example destinations.',
  options: {
    type: 'object',
    properties: {
      examples: {
        type: 'integer',
        minimum: 0,
        maximum: 100,
        default: defaultExamples,
        description: 'How many example destinations to keep per state (the first ones by name).',
      },
    },
    additionalProperties: false,
  },
  // What `assessHealth` reads: labels and every other annotation stay on the host.
  reads: ['metadata.generation', 'metadata.deletionTimestamp', 'metadata.annotations["autoscaling.alpha.kubernetes.io/conditions"]', 'spec', 'status'],

  init() {
    return emptyAcc();
  },

  add(acc, report, ctx) {
    const own = repair(acc);
    const state = assessHealth(report);
    own.counts[state] += 1;
    if (typeof report.destination === 'string') insertExample(own.examples[state], report.destination, exampleLimit(ctx));
    return own;
  },

  merge(a, b, ctx) {
    const own = repair(a);
    const limit = exampleLimit(ctx);
    const other = readAcc(b);
    for (const state of healthStates) {
      own.counts[state] += other.counts[state];
      own.examples[state] = firstByName([...own.examples[state], ...other.examples[state]], limit);
    }
    return own;
  },

  finish(acc, ctx) {
    const source = readAcc(acc);
    const limit = exampleLimit(ctx);
    const counts = emptyAcc().counts;
    const examples: HealthSummary['examples'] = {};
    for (const state of healthStates) {
      counts[state] = source.counts[state];
      const kept = firstByName(source.examples[state], limit);
      if (kept.length > 0) examples[state] = kept;
    }
    return { counts, examples };
  },
});

export default health;

function emptyAcc(): HealthAcc {
  return {
    counts: { healthy: 0, progressing: 0, degraded: 0, suspended: 0, unknown: 0 },
    examples: { healthy: [], progressing: [], degraded: [], suspended: [], unknown: [] },
  };
}

function exampleLimit(ctx: Context | undefined): number {
  const value = ctx?.options?.examples;
  if (typeof value !== 'number' || !Number.isInteger(value)) return defaultExamples;
  return Math.min(Math.max(value, 0), 100);
}

/**
 * Keeps the destination if it is among the first `limit` names. The list stays sorted and unique,
 * so the result depends only on the set of destinations seen, never on their order.
 */
function insertExample(examples: string[], destination: string, limit: number): void {
  let at = 0;
  while (at < examples.length && (examples[at] as string) < destination) at++;
  if (at >= limit || examples[at] === destination) return;
  examples.splice(at, 0, destination);
  if (examples.length > limit) examples.length = limit;
}

function firstByName(names: readonly string[], limit: number): string[] {
  const sorted = [...names].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  const kept: string[] = [];
  for (const name of sorted) {
    if (kept.length >= limit) break;
    if (kept[kept.length - 1] !== name) kept.push(name);
  }
  return kept;
}

/**
 * Reads an accumulator that crossed a JSON boundary without trusting its shape, so a foreign or
 * damaged partial degrades to zeros instead of failing the hook. Never mutates its argument.
 */
function readAcc(value: unknown): HealthAcc {
  const acc = emptyAcc();
  const fields = asRecord(value);
  const counts = asRecord(fields?.counts);
  const examples = asRecord(fields?.examples);
  for (const state of healthStates) {
    const n = counts?.[state];
    acc.counts[state] = typeof n === 'number' && Number.isFinite(n) ? n : 0;
    const names = examples?.[state];
    acc.examples[state] = Array.isArray(names) ? names.filter((name): name is string => typeof name === 'string') : [];
  }
  return acc;
}

/** The accumulator itself when well formed (hooks may update it in place), else a repaired copy. */
function repair(acc: HealthAcc): HealthAcc {
  const fields = asRecord(acc);
  const counts = asRecord(fields?.counts);
  const examples = asRecord(fields?.examples);
  const wellFormed = healthStates.every((state) => typeof counts?.[state] === 'number' && Array.isArray(examples?.[state]));
  return wellFormed ? acc : readAcc(acc);
}

function asRecord(value: unknown): Readonly<Record<string, unknown>> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/**
 * The one workload every variant of the benchmark folds: seeded fleet reports, the two reducers and
 * the batch context, plus the check that a variant's finished summaries equal the baseline's.
 */
import { pathToFileURL } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import type { Json, Reducer, ReducerContext, StatusReport } from '../core/contract.js';
import { FilePluginCatalog } from '../core/catalog/index.js';
import { ErrorCodes, PluginOutputError } from '../core/errors.js';
import { fleetReports, fleetTopology } from '../core/sim/fleet.js';
import type { CallContext, PluginSource } from '../sandbox/index.js';

/** The reducers every variant runs, by plugin name, in the order they are folded. */
export const reducerNames = ['health', 'version-histogram'] as const;
export type ReducerName = (typeof reducerNames)[number];

/** The finished summary of each reducer over all reports of a run. */
export type Summaries = Record<ReducerName, Json>;

/** What a run is made of; the same seed and size always give the same reports. */
export interface WorkloadShape {
  /** Reports in the run: two per destination (a Deployment and a Namespace). */
  readonly reports: number;
  readonly seed: number;
}

/** Fixed so that runs on different days fold the same data. */
export const simulatedNow = Date.parse('2025-06-01T12:00:00.000Z');

/** The batch context of every call: default options, so both reducers run as a demo binding would. */
export const callContext: CallContext = {
  options: {},
  binding: 'bench',
  level: { id: 'center', kind: 'center' },
  now: new Date(simulatedNow).toISOString(),
};

/** The same context as the reducer hooks see it when a plugin object is called directly. */
export const reducerContext: ReducerContext<unknown> = { ...callContext };

/**
 * Seeded fleet reports: `fleetReports` over a `fleetTopology` of `reports / 2` destinations, with
 * no silent destinations so the count is exact.
 */
export function makeReports(shape: WorkloadShape): StatusReport[] {
  const destinations = Math.ceil(shape.reports / 2);
  const topology = fleetTopology({ regions: 4, sitesPerRegion: 25, destinations });
  return fleetReports(topology, { seed: shape.seed, now: simulatedNow, silent: 0 }).slice(0, shape.reports);
}

/** Splits `items` into consecutive slices of at most `size`. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The module files of the reducers, as the runners resolve them. */
export function reducerSources(): Record<ReducerName, PluginSource> {
  const catalog = new FilePluginCatalog();
  return { health: catalog.resolve('builtin:health'), 'version-histogram': catalog.resolve('builtin:version-histogram') };
}

/** The reducer objects themselves, imported as trusted code (the native baseline and the oracle). */
export async function importReducers(): Promise<Record<ReducerName, Reducer<unknown>>> {
  const sources = reducerSources();
  const entries = await Promise.all(
    reducerNames.map(async (name) => [name, ((await import(pathToFileURL(sources[name].entry).href)) as { default: Reducer<unknown> }).default] as const),
  );
  return Object.fromEntries(entries) as Record<ReducerName, Reducer<unknown>>;
}

/**
 * Reduces `reports` with the reducer objects directly, in one fold: the oracle that every variant's
 * summaries must equal (the merge laws make the batch split irrelevant).
 */
export function foldDirectly(reducers: Record<ReducerName, Reducer<unknown>>, reports: readonly StatusReport[]): Summaries {
  const out = {} as Summaries;
  for (const name of reducerNames) {
    const reducer = reducers[name];
    let acc = reducer.init(reducerContext);
    for (const report of reports) acc = reducer.add(acc, report, reducerContext);
    out[name] = reducer.finish(acc, reducerContext);
  }
  return out;
}

/** A variant computed something else than the baseline: the run is invalid and stops. */
export class SummaryMismatchError extends PluginOutputError {}

/**
 * Fails the run when a variant's summaries differ from the baseline's: a benchmark whose variants
 * compute different things measures nothing.
 *
 * @throws SummaryMismatchError naming the variant and the first reducer that differs.
 */
export function assertSameSummaries(variant: string, actual: unknown, expected: Summaries): void {
  for (const name of reducerNames) {
    const got = (actual as Partial<Summaries> | undefined)?.[name];
    if (!isDeepStrictEqual(got, expected[name])) {
      throw new SummaryMismatchError(
        ErrorCodes.PluginOutput,
        `bench: ${variant} finished ${name} differently from the inline baseline: got ${clip(JSON.stringify(got))}, expected ${clip(JSON.stringify(expected[name]))}`,
        { plugin: name, hook: 'finish' },
      );
    }
  }
}

function clip(text: string | undefined): string {
  if (text === undefined) return 'nothing';
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

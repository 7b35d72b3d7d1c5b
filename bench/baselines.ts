/**
 * The two baselines every sandboxed variant is compared with: the trusted InlineRunner over report
 * objects, and the plugin objects folding reports that the host parsed from JSON text itself.
 */
import type { Json, Reducer, StatusReport } from '../core/contract.js';
import { InlineRunner, type ReducerHandle } from '../sandbox/index.js';
import { callContext, chunk, reducerContext, reducerNames, reducerSources, type ReducerName, type Summaries } from './workload.js';

/** Loads both reducers into `runner`. */
export async function loadHandles(
  runner: { loadReducer: InlineRunner['loadReducer'] },
  limits?: Parameters<InlineRunner['loadReducer']>[1],
): Promise<Record<ReducerName, ReducerHandle>> {
  const sources = reducerSources();
  const handles = {} as Record<ReducerName, ReducerHandle>;
  for (const name of reducerNames) handles[name] = await runner.loadReducer(sources[name], limits);
  return handles;
}

/**
 * One pass through a runner port: each batch is one `reduce` call per reducer, then one `merge`
 * of all partial accumulators and one `finish`, as a level node folds a backlog.
 */
export async function reduceThroughPort(handles: Record<ReducerName, ReducerHandle>, batches: readonly (readonly StatusReport[])[]): Promise<Summaries> {
  const accs: Record<ReducerName, Json[]> = { health: [], 'version-histogram': [] };
  for (const batch of batches) {
    for (const name of reducerNames) accs[name].push(...(await handles[name].reduce([batch], callContext)));
  }
  return finishAll(handles, accs);
}

/** Merges each reducer's partial accumulators and finishes them. */
export async function finishAll(handles: Record<ReducerName, ReducerHandle>, accs: Record<ReducerName, Json[]>): Promise<Summaries> {
  const out = {} as Summaries;
  for (const name of reducerNames) {
    const [merged] = await handles[name].merge([accs[name]], callContext);
    const [finished] = await handles[name].finish([merged!], callContext);
    out[name] = finished!;
  }
  return out;
}

/** A ready InlineRunner with both reducers loaded; `run` is one timed pass. */
export async function inlineBaseline(reports: readonly StatusReport[], batchSize: number) {
  const runner = new InlineRunner();
  const handles = await loadHandles(runner);
  const batches = chunk(reports, batchSize);
  return {
    run: () => reduceThroughPort(handles, batches),
    dispose: () => runner.dispose(),
  };
}

/**
 * The native ceiling of a host that receives reports as JSON text: `JSON.parse` of each chunk once,
 * then both reducers fold the parsed reports with the plugin objects called directly (no copies, no
 * output checks), and the per-chunk accumulators merge at the end.
 */
export function nativeJsonPass(reducers: Record<ReducerName, Reducer<unknown>>, chunks: readonly string[]): Summaries {
  const accs: Record<ReducerName, Json[]> = { health: [], 'version-histogram': [] };
  for (const text of chunks) {
    const reports = JSON.parse(text) as StatusReport[];
    for (const name of reducerNames) {
      const reducer = reducers[name];
      let acc = reducer.init(reducerContext);
      for (let i = 0; i < reports.length; i++) acc = reducer.add(acc, reports[i]!, reducerContext);
      accs[name].push(acc);
    }
  }
  const out = {} as Summaries;
  for (const name of reducerNames) {
    const reducer = reducers[name];
    let acc = reducer.init(reducerContext);
    for (const partial of accs[name]) acc = reducer.merge(acc, partial, reducerContext);
    out[name] = reducer.finish(acc, reducerContext);
  }
  return out;
}

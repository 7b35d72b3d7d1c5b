/**
 * The guest shim of the peer bundle: the batch protocol of the edgesum guest (one JSON string in,
 * one JSON string out per call, many reports per call) without its QuickJS realm setup. The edgesum
 * shim redefines `Date` and freezes the intrinsics itself, which an SES compartment refuses (lockdown
 * already froze them), so the peers and the bare-QuickJS row share this one instead: the same
 * script, byte for byte, in every engine.
 *
 * Runs inside the sandboxes only: no imports but types.
 */
import type { Reducer, ReducerContext, StatusReport } from '../core/contract.js';

interface PlainRequest {
  readonly call: ReducerContext<unknown>;
  readonly items: readonly unknown[];
}

/** The batch hooks the peer bundle answers, as the edgesum guest names them. */
export type PlainHook = 'reduce' | 'merge' | 'finish';

/** The entry point the host calls: `call(plugin, hook, requestJson)` → `{"ok":true,"value":[...]}` or `{"ok":false,"error":"..."}`. */
export function serve(reducers: Readonly<Record<string, Reducer<unknown>>>): (plugin: string, hook: PlainHook, json: string) => string {
  return (plugin, hook, json) => {
    try {
      const reducer = Object.prototype.hasOwnProperty.call(reducers, plugin) ? reducers[plugin] : undefined;
      if (reducer === undefined) return JSON.stringify({ ok: false, error: `unknown plugin ${plugin}` });
      const request = JSON.parse(json) as PlainRequest;
      const ctx = request.call;
      const items = request.items;
      const results: unknown[] = new Array(items.length);
      for (let i = 0; i < items.length; i++) {
        if (hook === 'reduce') {
          const group = items[i] as readonly StatusReport[];
          let acc = reducer.init(ctx);
          for (let j = 0; j < group.length; j++) acc = reducer.add(acc, group[j]!, ctx);
          results[i] = acc;
        } else if (hook === 'merge') {
          const accs = items[i] as readonly never[];
          let acc = accs.length === 0 ? reducer.init(ctx) : accs[0];
          for (let j = 1; j < accs.length; j++) acc = reducer.merge(acc as never, accs[j]!, ctx);
          results[i] = acc;
        } else {
          results[i] = reducer.finish(items[i] as never, ctx);
        }
      }
      return JSON.stringify({ ok: true, value: results });
    } catch (error) {
      return JSON.stringify({ ok: false, error: error instanceof Error ? error.message : String(error) });
    }
  };
}

import { isDeepStrictEqual } from 'node:util';
import { projectReport, readsProjection, type Json, type ProjectionNode, type ReadsEntry, type StatusReport } from '../contract.js';
import type { AccUpdate, CallContext, ReducerHandle } from '../ports/plugin-runner.js';

/**
 * The handle of a reducer that declares `reads`, sending each report projected to the members it
 * reads under these options, or the handle itself when it reads the whole report. Retracted
 * reports are projected the same way, so `remove` sees exactly what `add` saw.
 */
export function projectingHandle(handle: ReducerHandle, options: Json): ReducerHandle {
  const projection = readsProjection(handle.info.reads, options);
  if (projection === undefined) return handle;
  const project = (reports: readonly StatusReport[]): StatusReport[] => reports.map((report) => projectReport(report, projection));
  return {
    info: handle.info,
    reduce: (groups: readonly (readonly StatusReport[])[], call: CallContext) => handle.reduce(groups.map(project), call),
    update: (items: readonly AccUpdate[], call: CallContext) => handle.update(items.map((item) => ({ acc: item.acc, remove: project(item.remove), add: project(item.add) })), call),
    merge: (groups, call) => handle.merge(groups, call),
    finish: (accs, call) => handle.finish(accs, call),
  };
}

/**
 * For a reducer that declares `reads`: whether two reports of the same (destination, object) look
 * the same to it under these options — equal in every member it reads, `seq` and `observedAt`
 * only when it lists them — so the newer need not be folded again. `undefined` for a reducer
 * that reads the whole report, to which every newer copy is new.
 */
export function readsComparer(reads: readonly ReadsEntry[] | undefined, options: Json): ((a: StatusReport, b: StatusReport) => boolean) | undefined {
  const projection = readsProjection(reads, options);
  if (projection === undefined) return undefined;
  return (a, b) => sameMembers(a, b, projection.tree);
}

type Fields = Record<string, unknown>;

function sameMembers(a: unknown, b: unknown, tree: ReadonlyMap<string, ProjectionNode>): boolean {
  for (const [key, node] of tree) {
    const inA = Object.prototype.hasOwnProperty.call(a, key);
    if (inA !== Object.prototype.hasOwnProperty.call(b, key)) return false;
    if (!inA) continue;
    const x = (a as Fields)[key];
    const y = (b as Fields)[key];
    // Below an array or a scalar a projection sends the value whole, as `projectReport` does.
    const whole = node === null || !isMembers(x) || !isMembers(y);
    if (whole ? !isDeepStrictEqual(x, y) : !sameMembers(x, y, node)) return false;
  }
  return true;
}

function isMembers(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

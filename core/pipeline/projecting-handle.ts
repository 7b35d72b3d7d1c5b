import { compileProjection, projectReport, resolveReads, type Json, type StatusReport } from '../contract.js';
import type { AccUpdate, CallContext, ReducerHandle } from '../ports/plugin-runner.js';

/**
 * The handle of a reducer that declares `reads`, sending each report projected to the members it
 * reads under these options, or the handle itself when it reads the whole report. Retracted
 * reports are projected the same way, so `remove` sees exactly what `add` saw.
 */
export function projectingHandle(handle: ReducerHandle, options: Json): ReducerHandle {
  const paths = resolveReads(handle.info.reads, options);
  const projection = paths === undefined ? undefined : compileProjection(paths);
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

import type { Json, LevelInfo, StatusReport } from '../contract.js';
import { reportKey } from '../model/index.js';
import type { ReducerHandle } from '../ports/plugin-runner.js';
import { checkHookResults } from './json-check.js';

/**
 * The latest report per (destination, object), kept as reports arrive, in first-seen order: the
 * newest `seq` wins; duplicates and stragglers are counted, not kept.
 */
export class LatestReports {
  private readonly byKey = new Map<string, StatusReport>();
  duplicates = 0;
  outOfOrder = 0;

  add(report: StatusReport): void {
    const key = reportKey(report);
    const previous = this.byKey.get(key);
    if (previous !== undefined && report.seq <= previous.seq) {
      if (report.seq === previous.seq) this.duplicates++;
      else this.outOfOrder++;
      return;
    }
    this.byKey.set(key, report);
  }

  get latest(): StatusReport[] {
    return [...this.byKey.values()];
  }
}

/** The latest report per (destination, object) of a whole batch, in first-seen order, with what was dropped. */
export function latestReports(reports: readonly StatusReport[]): { latest: StatusReport[]; duplicates: number; outOfOrder: number } {
  const tracker = new LatestReports();
  for (const report of reports) tracker.add(report);
  return { latest: tracker.latest, duplicates: tracker.duplicates, outOfOrder: tracker.outOfOrder };
}

/** How to run a one-shot reduction. */
export interface ReduceOnceOptions {
  readonly options: Json;
  /** Split the reports round-robin into this many partitions, fold each, then merge. */
  readonly partitions?: number;
  readonly binding?: string;
  readonly level?: LevelInfo;
  readonly now: string;
  /**
   * Most reports in one plugin call, all partitions together (default {@link defaultReduceBatch};
   * at least one report per partition): the reports are folded in several calls, the first
   * `reduce`, each next one an `update` that adds to the accumulators so far, so no single call
   * has to hold the whole input within its limits.
   */
  readonly batch?: number;
}

/** Reports per plugin call of {@link reduceOnce}: well inside the default time and memory limits of one call. */
export const defaultReduceBatch = 2_000;

/**
 * Folds reports with one reducer outside any hierarchy and finishes the result: what
 * `edgesum reduce` prints. By the merge laws the result does not depend on `partitions`. Every
 * result is checked as in a hierarchy: one that is not JSON is `EDGESUM_PLUGIN_OUTPUT`.
 */
export async function reduceOnce(handle: ReducerHandle, reports: readonly StatusReport[], options: ReduceOnceOptions): Promise<Json> {
  const partitions = Math.max(1, options.partitions ?? 1);
  const call = {
    options: options.options,
    binding: options.binding ?? handle.info.name,
    level: options.level ?? { id: 'local', kind: 'site' as const },
    now: options.now,
  };
  const groups: StatusReport[][] = Array.from({ length: partitions }, () => []);
  reports.forEach((report, i) => groups[i % partitions]!.push(report));
  const where = { plugin: handle.info.name, level: call.level.id, binding: call.binding };
  const step = Math.max(1, Math.floor(Math.max(1, options.batch ?? defaultReduceBatch) / partitions));
  const accs = checkHookResults(await handle.reduce(groups.map((group) => group.slice(0, step)), call), partitions, { ...where, hook: 'add' }) as Json[];
  for (let start = step; groups.some((group) => group.length > start); start += step) {
    const open = groups.flatMap((group, i) => (group.length > start ? [i] : []));
    const items = open.map((i) => ({ acc: accs[i]!, remove: [], add: groups[i]!.slice(start, start + step) }));
    const updated = checkHookResults(await handle.update(items, call), items.length, { ...where, hook: 'add' }) as Json[];
    open.forEach((i, k) => (accs[i] = updated[k]!));
  }
  const [merged] = checkHookResults(await handle.merge([accs], call), 1, { ...where, hook: 'merge' }) as Json[];
  const [summary] = checkHookResults(await handle.finish([merged!], call), 1, { ...where, hook: 'finish' }) as Json[];
  return summary!;
}

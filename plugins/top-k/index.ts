/**
 * `top-k`: the k worst reports by a numeric field, e.g. the destinations with the most restarts.
 *
 * Each partial keeps only its own k worst entries under one total order, and the k worst of a union
 * are always among the k worst of its parts, so merging partials is exact and the accumulator stays
 * bounded by k.
 *
 * @module plugins/top-k
 */
import { defineReducer, readPath, type StatusReport } from '../../core/contract.js';

/** Options of `top-k`, as validated against its options schema. */
export interface TopKOptions {
  /** Field path of the numeric value to rank by, e.g. `status.restartCount`. Required. */
  readonly field: string;
  /** How many entries to keep, 1..1000. Default 10. */
  readonly k?: number;
  /** `desc` (default): the largest value is the worst. `asc`: the smallest value is the worst. */
  readonly order?: 'asc' | 'desc';
}

/** One ranked report inside the accumulator. `namespace` is `null` for cluster-scoped objects. */
export type TopKAccEntry = {
  destination: string;
  group: string;
  kind: string;
  namespace: string | null;
  name: string;
  value: number;
  observedAt: string;
};

/** The k worst entries, worst first, and how many reports were ranked or skipped. */
export type TopKAcc = { items: TopKAccEntry[]; considered: number; skipped: number };

/** One entry of the summary. `namespace` is absent for cluster-scoped objects. */
export type TopKItem = {
  destination: string;
  kind: string;
  namespace?: string;
  name: string;
  value: number;
  observedAt: string;
};

/**
 * The finished ranking: `items` worst first; `considered` counts reports with a finite numeric
 * value, `skipped` those without one.
 */
export type TopKSummary = { items: TopKItem[]; considered: number; skipped: number };

const defaultK = 10;
const maxK = 1000;

function limitOf(options: TopKOptions): number {
  const k = options.k;
  return typeof k === 'number' && Number.isInteger(k) && k >= 1 ? Math.min(k, maxK) : defaultK;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Negative when `a` is worse than `b`. Every field takes part, so two entries compare equal only
 * when they are identical, which makes the result independent of arrival order.
 */
function compareEntries(a: TopKAccEntry, b: TopKAccEntry, descending: boolean): number {
  if (a.value !== b.value) return (a.value > b.value) === descending ? -1 : 1;
  return (
    compareText(a.destination, b.destination) ||
    compareText(a.group, b.group) ||
    compareText(a.kind, b.kind) ||
    // Cluster-scoped objects sort before namespaced ones.
    (a.namespace === b.namespace ? 0 : a.namespace === null ? -1 : b.namespace === null ? 1 : compareText(a.namespace, b.namespace)) ||
    compareText(a.name, b.name) ||
    compareText(a.observedAt, b.observedAt)
  );
}

function entryOf(report: StatusReport, value: number): TopKAccEntry {
  const { ref } = report;
  return {
    destination: report.destination,
    group: ref.group,
    kind: ref.kind,
    namespace: typeof ref.namespace === 'string' ? ref.namespace : null,
    name: ref.name,
    // -0 and 0 rank alike; keeping -0 would only differ in memory, not in JSON.
    value: value === 0 ? 0 : value,
    observedAt: report.observedAt,
  };
}

/** Ranks reports by a numeric field and keeps the k worst. */
export default defineReducer<TopKOptions, TopKAcc, TopKSummary>({
  name: 'top-k',
  version: '1.0.0',
  description: 'The k worst reports by a numeric field (largest or smallest first), with ties broken by object identity.',
  options: {
    type: 'object',
    additionalProperties: false,
    required: ['field'],
    properties: {
      field: { type: 'string', minLength: 1, maxLength: 1024 },
      k: { type: 'integer', minimum: 1, maximum: maxK },
      order: { type: 'string', enum: ['desc', 'asc'] },
    },
  },
  // The configured field, and `observedAt`, which each entry shows: a re-sent report with a newer
  // `observedAt` must replace its entry.
  reads: [{ option: 'field' }, 'observedAt'],

  init() {
    return { items: [], considered: 0, skipped: 0 };
  },

  add(acc, report, ctx) {
    const field = ctx.options.field;
    const value = typeof field === 'string' ? readPath(report, field) : undefined;
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      acc.skipped += 1;
      return acc;
    }
    acc.considered += 1;
    const k = limitOf(ctx.options);
    const descending = ctx.options.order !== 'asc';
    const entry = entryOf(report, value);
    const items = acc.items;
    const last = items[items.length - 1];
    if (items.length >= k && last !== undefined && compareEntries(entry, last, descending) >= 0) return acc;
    let low = 0;
    let high = items.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (compareEntries(items[mid]!, entry, descending) <= 0) low = mid + 1;
      else high = mid;
    }
    items.splice(low, 0, entry);
    if (items.length > k) items.length = k;
    return acc;
  },

  merge(a, b, ctx) {
    const descending = ctx.options.order !== 'asc';
    // Copies, so later changes to `a` can never reach into `b`.
    const items = a.items.concat(b.items.map((entry) => ({ ...entry })));
    items.sort((x, y) => compareEntries(x, y, descending));
    a.items = items.slice(0, limitOf(ctx.options));
    a.considered += b.considered;
    a.skipped += b.skipped;
    return a;
  },

  finish(acc) {
    const items = acc.items.map(
      (entry): TopKItem => ({
        destination: entry.destination,
        kind: entry.kind,
        ...(entry.namespace === null ? {} : { namespace: entry.namespace }),
        name: entry.name,
        value: entry.value,
        observedAt: entry.observedAt,
      }),
    );
    return { items, considered: acc.considered, skipped: acc.skipped };
  },
});

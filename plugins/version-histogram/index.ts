/**
 * `version-histogram`: how many destinations run each version of a workload.
 *
 * The accumulator keeps the exact count of every distinct value, so merging and retraction stay
 * exact; the `top` cut-off is applied only when finishing.
 *
 * @module plugins/version-histogram
 */
import { defineReducer, readPath, type StatusReport } from '../../core/contract.js';

/** Options of `version-histogram`, as validated against its options schema. */
export interface VersionHistogramOptions {
  /** Field path of the version. Default `metadata.labels["app.kubernetes.io/version"]`. */
  readonly field?: string;
  /** Label of the bucket for reports without a usable value. Default `"<none>"`. */
  readonly missing?: string;
  /** Show only the `top` most frequent versions and lump the rest as `"<other>"`. Default: show all. */
  readonly top?: number;
}

/** Counts per distinct version, plus the reports that had none. Keys are in no particular order. */
export type VersionHistogramAcc = { versions: { [version: string]: number }; missing: number };

/**
 * The finished histogram. `versions` is ordered by count descending, then by version ascending
 * (UTF-16 code units), with `"<other>"` last when `top` lumps versions together.
 */
export type VersionHistogramSummary = { versions: { [version: string]: number }; total: number };

const defaultField = 'metadata.labels["app.kubernetes.io/version"]';
const defaultMissing = '<none>';
const otherLabel = '<other>';

const hasOwn = (map: object, key: string): boolean => Object.prototype.hasOwnProperty.call(map, key);

function countOf(map: { [key: string]: number }, key: string): number {
  // Keys are data, so `constructor` or `toString` must not resolve to Object.prototype members.
  if (!hasOwn(map, key)) return 0;
  const count = map[key];
  return typeof count === 'number' && Number.isFinite(count) && count > 0 ? count : 0;
}

function setCount(map: { [key: string]: number }, key: string, count: number): void {
  if (count <= 0) {
    delete map[key];
    return;
  }
  // Plain assignment to `__proto__` would replace the prototype instead of storing a count.
  if (key === '__proto__') Object.defineProperty(map, key, { value: count, writable: true, enumerable: true, configurable: true });
  else map[key] = count;
}

/** The bucket a report falls in, or `undefined` when it has no usable version. */
function versionOf(report: StatusReport, field: string): string | undefined {
  const value = readPath(report, field);
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : undefined;
  if (typeof value === 'boolean') return String(value);
  return undefined;
}

function compareBuckets(a: [string, number], b: [string, number]): number {
  if (a[1] !== b[1]) return b[1] - a[1];
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

/** Counts destinations per observed version of a workload. */
export default defineReducer<VersionHistogramOptions, VersionHistogramAcc, VersionHistogramSummary>({
  name: 'version-histogram',
  version: '1.0.0',
  description: 'Counts destinations per observed version (a label or any field), most frequent first.',
  options: {
    type: 'object',
    additionalProperties: false,
    properties: {
      field: { type: 'string', minLength: 1, maxLength: 1024 },
      missing: { type: 'string', minLength: 1, maxLength: 256 },
      top: { type: 'integer', minimum: 1, maximum: 1000 },
    },
  },
  // Only the configured field; `ref` and `destination` are always sent.
  reads: [{ option: 'field', default: defaultField }],

  init() {
    return { versions: {}, missing: 0 };
  },

  add(acc, report, ctx) {
    const version = versionOf(report, ctx.options.field ?? defaultField);
    if (version === undefined) acc.missing += 1;
    else setCount(acc.versions, version, countOf(acc.versions, version) + 1);
    return acc;
  },

  remove(acc, report, ctx) {
    const version = versionOf(report, ctx.options.field ?? defaultField);
    // A retraction of something never added is a host bug; ignoring it keeps counts non-negative.
    if (version === undefined) acc.missing = Math.max(0, acc.missing - 1);
    else setCount(acc.versions, version, countOf(acc.versions, version) - 1);
    return acc;
  },

  merge(a, b) {
    for (const version of Object.keys(b.versions)) {
      setCount(a.versions, version, countOf(a.versions, version) + countOf(b.versions, version));
    }
    a.missing += b.missing;
    return a;
  },

  finish(acc, ctx) {
    const missingLabel = ctx.options.missing ?? defaultMissing;
    const totals: { [version: string]: number } = {};
    for (const version of Object.keys(acc.versions)) setCount(totals, version, countOf(acc.versions, version));
    // A real version spelled like the missing label shares its bucket rather than hiding it.
    setCount(totals, missingLabel, countOf(totals, missingLabel) + acc.missing);

    const buckets = Object.keys(totals).map((version): [string, number] => [version, countOf(totals, version)]);
    buckets.sort(compareBuckets);
    const top = ctx.options.top;
    const shown = top !== undefined && buckets.length > top ? buckets.slice(0, top) : buckets;

    const versions: { [version: string]: number } = {};
    let total = 0;
    for (const [version, count] of shown) {
      setCount(versions, version, count);
      total += count;
    }
    let other = 0;
    for (let i = shown.length; i < buckets.length; i++) other += buckets[i]![1];
    if (other > 0) setCount(versions, otherLabel, countOf(versions, otherLabel) + other);
    return { versions, total: total + other };
  },
});

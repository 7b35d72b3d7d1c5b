/**
 * The accumulator of `aggregate` and the four operations on it. Every part of it merges exactly:
 * counts add, exact sums add their partials, minima and maxima take the smaller or larger; the row
 * limit is applied only when finishing. So folding all reports at once, or any partition of them
 * merged in any order and tree shape, finishes to the same JSON, byte for byte.
 *
 * @module plugins/aggregate/accumulator
 */
import { readPath } from '../../core/contract.js';
import { isSummand, roundExact, sumExact } from './exact-sum.js';
import { passesFilter } from './filter.js';
import { compareTuples, decodeKey, encodeKey, groupValueOf, type GroupValue } from './group-key.js';
import { hasOwn } from './json-value.js';
import type { AggregatePlan, FieldOp, FieldPlan } from './options.js';

/** AVG's state: how many numbers were averaged and their exact sum as canonical partials. */
export type AvgAcc = { n: number; sum: number[] };

/**
 * One field's state within a group, by op: COUNT a count; SUM the exact sum as canonical partials
 * (see `exact-sum.ts`); AVG an {@link AvgAcc}; MIN and MAX the extreme so far, or `null`.
 */
export type FieldAcc = number | number[] | AvgAcc | null;

/** The state of one group: one {@link FieldAcc} per field name. */
export type GroupAcc = { [field: string]: FieldAcc };

/** Values a field skipped: `missing` (absent or null) and `nonNumeric` (present but not usable by the op). */
export type SkipCounts = { missing: number; nonNumeric: number };

/**
 * The accumulator. `groups` is keyed by the JSON text of the group tuple (e.g. `["shop",null]`,
 * `[]` without group-by), in no particular order. `considered` counts reports folded in,
 * `filteredOut` those the filter rejected; `skipped` counts per field over all groups. `sizes`
 * counts the reports in each group, so that `remove` drops a group with its last report.
 */
export type AggregateAcc = {
  considered: number;
  filteredOut: number;
  skipped: { [field: string]: SkipCounts };
  groups: { [key: string]: GroupAcc };
  sizes: { [key: string]: number };
};

/** A row's group: each group-by name with its stringified value, or `null`. */
export type RowGroup = { [name: string]: GroupValue };

/**
 * One row of the summary: `group`, then each field by name (sorted): COUNT and SUM a number,
 * AVG, MIN and MAX a number or `null` when the group had no usable number.
 */
export type AggregateRow = { group: RowGroup; [field: string]: number | null | RowGroup };

/**
 * The summary. `rows` in group order (see `group-key.ts`), at most `limit` of them; `groups` is the
 * number of groups before the limit, `truncated` whether rows were cut. `skipped` has every field.
 */
export type AggregateSummary = {
  rows: AggregateRow[];
  groups: number;
  truncated: boolean;
  skipped: { [field: string]: SkipCounts };
  filteredOut: number;
  considered: number;
};

/** A count read from an accumulator: a non-negative safe integer, else 0 (a malformed value must not turn into NaN). */
function countOf(value: unknown): number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? value : 0;
}

function listOf(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

function extremeOf(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function own<T>(map: { [key: string]: T } | undefined, key: string): T | undefined {
  return map !== undefined && hasOwn(map, key) ? map[key] : undefined;
}

function emptyField(op: FieldOp): FieldAcc {
  switch (op) {
    case 'COUNT':
      return 0;
    case 'SUM':
      return [];
    case 'AVG':
      return { n: 0, sum: [] };
    default:
      return null;
  }
}

function emptyGroup(plan: AggregatePlan): GroupAcc {
  const group: GroupAcc = {};
  for (const field of plan.fields) group[field.name] = emptyField(field.op);
  return group;
}

function skipsOf(acc: AggregateAcc, name: string): SkipCounts {
  const found = own(acc.skipped, name);
  if (found !== undefined && typeof found === 'object' && found !== null) return found;
  const fresh = { missing: 0, nonNumeric: 0 };
  acc.skipped[name] = fresh;
  return fresh;
}

/** The identity accumulator: nothing considered, every field's skip counts at zero, no groups. */
export function initAcc(plan: AggregatePlan): AggregateAcc {
  const skipped: { [field: string]: SkipCounts } = {};
  for (const field of plan.fields) skipped[field.name] = { missing: 0, nonNumeric: 0 };
  return { considered: 0, filteredOut: 0, skipped, groups: {}, sizes: {} };
}

function sizesOf(acc: AggregateAcc): { [key: string]: number } {
  if (typeof acc.sizes !== 'object' || acc.sizes === null || Array.isArray(acc.sizes)) acc.sizes = {};
  return acc.sizes;
}

function addValue(acc: AggregateAcc, group: GroupAcc, field: FieldPlan, report: unknown): void {
  const current = own(group, field.name);
  if (field.op === 'COUNT' && field.path === undefined) {
    group[field.name] = countOf(current) + 1;
    return;
  }
  const value = field.path === undefined ? undefined : readPath(report, field.path);
  if (value === undefined || value === null) {
    skipsOf(acc, field.name).missing++;
    return;
  }
  if (field.op === 'COUNT') {
    group[field.name] = countOf(current) + 1;
    return;
  }
  if (typeof value !== 'number' || !Number.isFinite(value) || ((field.op === 'SUM' || field.op === 'AVG') && !isSummand(value))) {
    skipsOf(acc, field.name).nonNumeric++;
    return;
  }
  // 0 and -0 compare equal, so which one MIN/MAX kept would depend on arrival order; JSON has no -0 either.
  const x = value === 0 ? 0 : value;
  switch (field.op) {
    case 'SUM':
      group[field.name] = sumExact(listOf(current), [x]);
      return;
    case 'AVG': {
      const avg = typeof current === 'object' && current !== null && !Array.isArray(current) ? current : { n: 0, sum: [] };
      group[field.name] = { n: countOf(avg.n) + 1, sum: sumExact(listOf(avg.sum), [x]) };
      return;
    }
    case 'MIN': {
      const min = extremeOf(current);
      group[field.name] = min === null || x < min ? x : min;
      return;
    }
    case 'MAX': {
      const max = extremeOf(current);
      group[field.name] = max === null || x > max ? x : max;
      return;
    }
  }
}

/** Folds one report into `target` (mutated and returned, or replaced when it is not an accumulator). The report is only read. */
export function addReport(target: AggregateAcc, report: unknown, plan: AggregatePlan): AggregateAcc {
  const acc = isAcc(target) ? target : initAcc(plan);
  acc.considered = countOf(acc.considered) + 1;
  if (!passesFilter(report, plan.filter)) {
    acc.filteredOut = countOf(acc.filteredOut) + 1;
    return acc;
  }
  const key = encodeKey(plan.groupBy.map((column) => groupValueOf(readPath(report, column.path))));
  let group = own(acc.groups, key);
  if (group === undefined || typeof group !== 'object' || group === null) {
    group = emptyGroup(plan);
    acc.groups[key] = group;
  }
  const sizes = sizesOf(acc);
  sizes[key] = countOf(own(sizes, key)) + 1;
  for (const field of plan.fields) addValue(acc, group, field, report);
  return acc;
}

/** What {@link addValue} folded in for one field, taken out again; MIN and MAX are left alone (see `retractsWhen`). */
function removeValue(acc: AggregateAcc, group: GroupAcc, field: FieldPlan, report: unknown): void {
  const current = own(group, field.name);
  const value = field.path === undefined ? undefined : readPath(report, field.path);
  if (field.path !== undefined && (value === undefined || value === null)) {
    skipsOf(acc, field.name).missing--;
    return;
  }
  if (field.op === 'COUNT') {
    group[field.name] = countOf(current) - 1;
    return;
  }
  if (typeof value !== 'number' || !Number.isFinite(value) || ((field.op === 'SUM' || field.op === 'AVG') && !isSummand(value))) {
    skipsOf(acc, field.name).nonNumeric--;
    return;
  }
  // Exact sums make the retraction exact: adding -x to the partials gives the canonical partials of the sum without x.
  const minus = value === 0 ? 0 : -value;
  if (field.op === 'SUM') group[field.name] = sumExact(listOf(current), [minus]);
  else if (field.op === 'AVG') {
    const avg = avgOf(current);
    group[field.name] = { n: avg.n - 1, sum: sumExact(avg.sum, [minus]) };
  }
}

/**
 * Takes one report that {@link addReport} folded into `target` out again (mutated and returned). Exact
 * for COUNT, SUM and AVG; the reducer declares it only for options without MIN or MAX.
 */
export function removeReport(target: AggregateAcc, report: unknown, plan: AggregatePlan): AggregateAcc {
  if (!isAcc(target)) return target;
  const acc = target;
  acc.considered = countOf(acc.considered) - 1;
  if (!passesFilter(report, plan.filter)) {
    acc.filteredOut = countOf(acc.filteredOut) - 1;
    return acc;
  }
  const key = encodeKey(plan.groupBy.map((column) => groupValueOf(readPath(report, column.path))));
  const group = own(acc.groups, key);
  if (group === undefined || typeof group !== 'object' || group === null) return acc;
  for (const field of plan.fields) removeValue(acc, group, field, report);
  const sizes = sizesOf(acc);
  const left = countOf(own(sizes, key)) - 1;
  if (left > 0) sizes[key] = left;
  else {
    delete sizes[key];
    delete acc.groups[key];
  }
  return acc;
}

function avgOf(value: unknown): { n: number; sum: readonly unknown[] } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { n: 0, sum: [] };
  const avg = value as { n?: unknown; sum?: unknown };
  return { n: countOf(avg.n), sum: listOf(avg.sum) };
}

/** Combines two states of one field into a fresh value that shares nothing with either. */
function mergeField(op: FieldOp, a: unknown, b: unknown): FieldAcc {
  switch (op) {
    case 'COUNT':
      return countOf(a) + countOf(b);
    case 'SUM':
      return sumExact(listOf(a), listOf(b));
    case 'AVG': {
      const left = avgOf(a);
      const right = avgOf(b);
      return { n: left.n + right.n, sum: sumExact(left.sum, right.sum) };
    }
    case 'MIN':
    case 'MAX': {
      const left = extremeOf(a);
      const right = extremeOf(b);
      if (left === null) return right;
      if (right === null) return left;
      return op === 'MIN' ? Math.min(left, right) : Math.max(left, right);
    }
  }
}

/** Whether a value has the accumulator's shape, so hooks can replace a foreign one instead of failing on it. */
export function isAcc(value: unknown): value is AggregateAcc {
  if (typeof value !== 'object' || value === null) return false;
  const acc = value as Partial<AggregateAcc>;
  return typeof acc.groups === 'object' && acc.groups !== null && typeof acc.skipped === 'object' && acc.skipped !== null;
}

/**
 * Merges `b` into `a` (mutated and returned, or replaced when it is not an accumulator at all).
 * `b` is only read, and nothing of `b` is shared with the result, so later folds into the result
 * cannot reach back into `b`.
 */
export function mergeAcc(a: AggregateAcc, b: AggregateAcc, plan: AggregatePlan): AggregateAcc {
  const out = isAcc(a) ? a : initAcc(plan);
  if (!isAcc(b)) return out;
  out.considered = countOf(out.considered) + countOf(b.considered);
  out.filteredOut = countOf(out.filteredOut) + countOf(b.filteredOut);
  for (const field of plan.fields) {
    const left = own(out.skipped, field.name);
    const right = own(b.skipped, field.name);
    out.skipped[field.name] = {
      missing: countOf(left?.missing) + countOf(right?.missing),
      nonNumeric: countOf(left?.nonNumeric) + countOf(right?.nonNumeric),
    };
  }
  const sizes = sizesOf(out);
  const bSizes = typeof b.sizes === 'object' && b.sizes !== null ? b.sizes : {};
  for (const key of Object.keys(bSizes)) sizes[key] = countOf(own(sizes, key)) + countOf(own(bSizes, key));
  for (const key of Object.keys(b.groups)) {
    const right = b.groups[key];
    if (typeof right !== 'object' || right === null) continue;
    const found = own(out.groups, key);
    const left = typeof found === 'object' && found !== null ? found : undefined;
    const merged: GroupAcc = left ?? {};
    for (const field of plan.fields) merged[field.name] = mergeField(field.op, own(left, field.name), own(right, field.name));
    out.groups[key] = merged;
  }
  return out;
}

function finishField(op: FieldOp, value: unknown): number | null {
  switch (op) {
    case 'COUNT':
      return countOf(value);
    case 'SUM':
      return roundExact(sumExact(listOf(value), []));
    case 'AVG': {
      const avg = avgOf(value);
      if (avg.n === 0) return null;
      const mean = roundExact(sumExact(avg.sum, [])) / avg.n;
      // A tiny negative sum over a large count underflows to -0, which JSON would print as 0 anyway.
      return mean === 0 ? 0 : mean;
    }
    case 'MIN':
    case 'MAX':
      return extremeOf(value);
  }
}

/** The summary of `acc` (only read): sorted rows, the row limit, and the counters. */
export function finishAcc(acc: AggregateAcc, plan: AggregatePlan): AggregateSummary {
  const valid = isAcc(acc);
  const groups = valid ? acc.groups : {};
  const entries: { tuple: GroupValue[]; state: GroupAcc }[] = [];
  for (const key of Object.keys(groups)) {
    const tuple = decodeKey(key, plan.groupBy.length);
    const state = groups[key];
    if (tuple !== undefined && typeof state === 'object' && state !== null) entries.push({ tuple, state });
  }
  // Without group-by the input is one group even when empty, as in SQL's `SELECT COUNT(*) FROM t`.
  if (plan.groupBy.length === 0 && entries.length === 0) entries.push({ tuple: [], state: emptyGroup(plan) });
  entries.sort((x, y) => compareTuples(x.tuple, y.tuple));
  const shown = plan.limit !== undefined && entries.length > plan.limit ? entries.slice(0, plan.limit) : entries;
  const rows = shown.map(({ tuple, state }) => {
    const group: RowGroup = {};
    plan.groupBy.forEach((column, i) => {
      group[column.name] = tuple[i] ?? null;
    });
    const row: AggregateRow = { group };
    for (const field of plan.fields) row[field.name] = finishField(field.op, own(state, field.name));
    return row;
  });
  const skipped: { [field: string]: SkipCounts } = {};
  for (const field of plan.fields) {
    const counts = valid ? own(acc.skipped, field.name) : undefined;
    skipped[field.name] = { missing: countOf(counts?.missing), nonNumeric: countOf(counts?.nonNumeric) };
  }
  return {
    rows,
    groups: entries.length,
    truncated: shown.length < entries.length,
    skipped,
    filteredOut: valid ? countOf(acc.filteredOut) : 0,
    considered: valid ? countOf(acc.considered) : 0,
  };
}

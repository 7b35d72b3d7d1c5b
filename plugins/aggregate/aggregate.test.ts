import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Json, LevelInfo, ReducerContext, StatusReport } from '../../core/contract.js';
import { reducerRetractsWith } from '../../core/pipeline/index.js';
import { addExact, canonicalExact, maxSummand, roundExact, sumExact } from './exact-sum.js';
import aggregate, { type AggregateAcc, type AggregateOptions, type AggregateSummary } from './index.js';
import { fieldNamePattern, groupNamePattern } from './options.js';

const here = dirname(fileURLToPath(import.meta.url));
const site: LevelInfo = { id: 'site-1', kind: 'site' };
const center: LevelInfo = { id: 'center', kind: 'center' };

function ctxOf(options: AggregateOptions, level: LevelInfo = site): ReducerContext<AggregateOptions> {
  return { options, binding: 'agg', level, now: '2026-11-24T10:00:00Z' };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const member of Object.values(value)) deepFreeze(member);
  }
  return value;
}

type ReportShape = {
  destination?: string;
  kind?: string;
  namespace?: string | undefined;
  labels?: Record<string, string>;
  status?: Json;
  spec?: Record<string, Json>;
};

/** A Deployment report as an edge sends it; `namespace: undefined` makes it cluster-scoped. */
function report(shape: ReportShape = {}): StatusReport {
  const ref: Record<string, string> = { group: 'apps', version: 'v1', kind: shape.kind ?? 'Deployment', name: 'web' };
  const namespace = 'namespace' in shape ? shape.namespace : 'shop';
  if (namespace !== undefined) ref.namespace = namespace;
  return {
    destination: shape.destination ?? 'edge-0042',
    ref: ref as unknown as StatusReport['ref'],
    seq: 17,
    observedAt: '2026-11-24T10:00:00Z',
    metadata: shape.labels === undefined ? { generation: 3 } : { generation: 3, labels: shape.labels },
    spec: shape.spec ?? { replicas: 3 },
    status: shape.status === undefined ? { observedGeneration: 3, readyReplicas: 3 } : shape.status,
  };
}

/** A report whose `status.x` is `value`, or has no `x` at all for `'<missing>'`. */
function withX(value: Json | '<missing>', destination = 'edge-0042'): StatusReport {
  return report({ destination, status: value === '<missing>' ? { other: 1 } : { x: value } });
}

function fold(options: AggregateOptions, reports: readonly StatusReport[], level: LevelInfo = site): AggregateAcc {
  const ctx = ctxOf(options, level);
  let acc = aggregate.init(ctx);
  for (const r of reports) acc = aggregate.add(acc, deepFreeze(r), ctx);
  return acc;
}

function summarize(options: AggregateOptions, reports: readonly StatusReport[]): AggregateSummary {
  return aggregate.finish(fold(options, reports), ctxOf(options));
}

function merge(options: AggregateOptions, a: AggregateAcc, b: AggregateAcc, level: LevelInfo = site): AggregateAcc {
  return aggregate.merge(a, deepFreeze(b), ctxOf(options, level));
}

/** The exact value of a double in units of 2^-1074, the smallest subnormal. */
function toUnits(x: number): bigint {
  if (x === 0) return 0n;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const exponent = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  const magnitude = exponent === 0 ? fraction : (fraction | (1n << 52n)) << BigInt(exponent - 1);
  return bits >> 63n === 1n ? -magnitude : magnitude;
}

/** Rounds units of 2^-1074 to the nearest double, ties to even: an independent reference for fsum. */
function fromUnits(units: bigint): number {
  if (units === 0n) return 0;
  const magnitude = units < 0n ? -units : units;
  const length = magnitude.toString(2).length;
  let value: number;
  if (length <= 53) {
    value = Number(magnitude) * 2 ** -1074;
  } else {
    const shift = length - 53;
    let mantissa = magnitude >> BigInt(shift);
    const rest = magnitude - (mantissa << BigInt(shift));
    const half = 1n << BigInt(shift - 1);
    if (rest > half || (rest === half && (mantissa & 1n) === 1n)) mantissa += 1n;
    const exponent = shift - 1074;
    value = Number(mantissa) * 2 ** Math.min(exponent, 900) * 2 ** Math.max(exponent - 900, 0);
  }
  return units < 0n ? -value : value;
}

function referenceSum(values: readonly number[]): number {
  return fromUnits(values.reduce((sum, x) => sum + toUnits(x), 0n));
}

function partialsOf(values: readonly number[]): number[] {
  const partials: number[] = [];
  for (const x of values) addExact(partials, x);
  return partials;
}

/** Cuts `items` into `parts` lists by the given assignment. */
function partition<T>(items: readonly T[], assignment: readonly number[], parts: number): T[][] {
  const out: T[][] = Array.from({ length: parts }, () => []);
  items.forEach((item, i) => out[(assignment[i] ?? 0) % parts]!.push(item));
  return out;
}

/** Merges accumulators pairwise in the order `picks` chooses: a random tree shape, not a left fold. */
function mergeTree(options: AggregateOptions, accs: AggregateAcc[], picks: readonly number[]): AggregateAcc {
  const pool = accs.slice();
  let step = 0;
  while (pool.length > 1) {
    const i = (picks[step++ % Math.max(picks.length, 1)] ?? 0) % pool.length;
    const [a] = pool.splice(i, 1);
    const j = (picks[step++ % Math.max(picks.length, 1)] ?? 0) % pool.length;
    const [b] = pool.splice(j, 1);
    pool.push(merge(options, a!, b!, center));
  }
  return pool[0] ?? aggregate.init(ctxOf(options));
}

const allOps: AggregateOptions = {
  fields: {
    copies: { op: 'COUNT' },
    withX: { op: 'COUNT', path: 'status.x' },
    sum: { op: 'SUM', path: 'status.x' },
    avg: { op: 'AVG', path: 'status.x' },
    min: { op: 'MIN', path: 'status.x' },
    max: { op: 'MAX', path: 'status.x' },
  },
};

function readmeBlock(info: string): string {
  const readme = readFileSync(join(here, 'README.md'), 'utf8');
  const match = new RegExp('```' + info + '\\n([\\s\\S]*?)\\n```').exec(readme);
  if (match === null) expect.unreachable(`README.md has no \`\`\`${info} block`);
  return match![1]!;
}

describe('aggregate options schema', () => {
  const schema = z.fromJSONSchema(aggregate.options!);

  const accepted: [string, unknown][] = [
    ['the README example', JSON.parse(readmeBlock('json options'))],
    ['a single COUNT', { fields: { n: { op: 'COUNT' } } }],
    ['COUNT with a path', { fields: { n: { op: 'COUNT', path: 'status.readyReplicas' } } }],
    ['every numeric op', { fields: { s: { op: 'SUM', path: 'a' }, a: { op: 'AVG', path: 'a' }, lo: { op: 'MIN', path: 'a' }, hi: { op: 'MAX', path: 'a' } } }],
    ['bracketed and indexed paths', { groupBy: [{ name: 'v', path: 'metadata.labels["app.kubernetes.io/version"]' }, { name: 't', path: 'status.conditions[0].type' }], fields: { n: { op: 'COUNT' } } }],
    ['report fields as paths', { filter: [{ path: 'destination', op: '==', value: 'edge-1' }, { path: 'ref.kind', op: 'in', value: ['Deployment', 'StatefulSet'] }], fields: { n: { op: 'COUNT' } } }],
    [
      'every filter op',
      {
        filter: [
          { path: 'a', op: '==', value: { any: ['json'] } },
          { path: 'a', op: '!=', value: null },
          { path: 'a', op: '<', value: 3 },
          { path: 'a', op: '<=', value: 'm' },
          { path: 'a', op: '>', value: -1.5 },
          { path: 'a', op: '>=', value: 0 },
          { path: 'a', op: 'in', value: [1, '1', null] },
          { path: 'a', op: 'exists' },
          { path: 'a', op: 'notExists' },
        ],
        fields: { n: { op: 'COUNT' } },
      },
    ],
    ['a limit of 1', { fields: { n: { op: 'COUNT' } }, limit: 1 }],
  ];

  it.each(accepted)('accepts %s', (_name, options) => {
    expect(schema.safeParse(options).success).toBe(true);
  });

  const rejected: [string, unknown][] = [
    ['no fields', {}],
    ['empty fields', { fields: {} }],
    ['SUM without a path', { fields: { s: { op: 'SUM' } } }],
    ['an unknown op', { fields: { m: { op: 'MEDIAN', path: 'a' } } }],
    ['an unknown field key', { fields: { n: { op: 'COUNT', where: 'a' } } }],
    ['a field named group', { fields: { group: { op: 'COUNT' } } }],
    ['a field named __proto__', JSON.parse('{"fields":{"__proto__":{"op":"COUNT"}}}')],
    ['a field name starting with a digit', { fields: { '1n': { op: 'COUNT' } } }],
    ['an unknown top-level key', { fields: { n: { op: 'COUNT' } }, select: [] }],
    ['limit 0', { fields: { n: { op: 'COUNT' } }, limit: 0 }],
    ['a fractional limit', { fields: { n: { op: 'COUNT' } }, limit: 1.5 }],
    ['in without an array', { filter: [{ path: 'a', op: 'in', value: 'x' }], fields: { n: { op: 'COUNT' } } }],
    ['exists with a value', { filter: [{ path: 'a', op: 'exists', value: true }], fields: { n: { op: 'COUNT' } } }],
    ['an ordering against an object', { filter: [{ path: 'a', op: '<', value: { x: 1 } }], fields: { n: { op: 'COUNT' } } }],
    ['== without a value', { filter: [{ path: 'a', op: '==' }], fields: { n: { op: 'COUNT' } } }],
    ['an unknown filter op', { filter: [{ path: 'a', op: '~=', value: 'x' }], fields: { n: { op: 'COUNT' } } }],
    ['a group-by without a path', { groupBy: [{ name: 'v' }], fields: { n: { op: 'COUNT' } } }],
    ['a group-by name with a space', { groupBy: [{ name: 'my v', path: 'a' }], fields: { n: { op: 'COUNT' } } }],
    ['an empty path', { fields: { s: { op: 'SUM', path: '' } } }],
    ['a path with an empty step', { fields: { s: { op: 'SUM', path: 'status..x' } } }],
    ['a path with a non-numeric index', { fields: { s: { op: 'SUM', path: 'status.conditions[a]' } } }],
  ];

  it.each(rejected)('rejects %s', (_name, options) => {
    expect(schema.safeParse(options).success).toBe(false);
  });

  it('excludes exactly __proto__ from names, and group from field names, as the lookahead patterns they replace did', () => {
    const before = { group: /^(?!__proto__$)[A-Za-z_][A-Za-z0-9_-]{0,63}$/, field: /^(?!__proto__$|group$)[A-Za-z_][A-Za-z0-9_-]{0,63}$/ };
    const now = { group: new RegExp(groupNamePattern), field: new RegExp(fieldNamePattern) };
    const char = fc.constantFrom(..."_protguaZ1-. é");
    const nearWord = fc
      .tuple(fc.constantFrom('__proto__', 'group'), fc.nat(9), char, fc.constantFrom('keep', 'replace', 'insert', 'delete'))
      .map(([word, at, c, edit]) => (edit === 'keep' ? word : word.slice(0, at) + (edit === 'delete' ? '' : c) + word.slice(edit === 'insert' ? at : at + 1)));
    const long = fc.tuple(fc.constantFrom('a', '_', 'g', '__', 'gr'), fc.integer({ min: 0, max: 66 })).map(([head, n]) => head + 'x'.repeat(n));
    let accepted = 0;
    fc.assert(
      fc.property(fc.oneof(nearWord, long, fc.string({ unit: char, maxLength: 12 })), (name) => {
        if (before.field.test(name)) accepted++;
        expect(now.group.test(name), name).toBe(before.group.test(name));
        expect(now.field.test(name), name).toBe(before.field.test(name));
      }),
      { seed: 53, numRuns: 20_000 },
    );
    expect(accepted).toBeGreaterThan(2_000);
  });
});

describe('aggregate', () => {
  it('computes the README example', () => {
    const options = JSON.parse(readmeBlock('json options')) as AggregateOptions;
    const reports = readmeBlock('jsonl reports')
      .split('\n')
      .map((line) => JSON.parse(line) as StatusReport);
    const expected = JSON.parse(readmeBlock('json summary')) as AggregateSummary;
    expect(JSON.stringify(summarize(options, reports))).toBe(JSON.stringify(expected));
  });

  it('counts reports per group', () => {
    const options: AggregateOptions = { groupBy: [{ name: 'ns', path: 'ref.namespace' }], fields: { n: { op: 'COUNT' } } };
    const summary = summarize(options, [report(), report({ namespace: 'shop' }), report({ namespace: 'web' }), report({ namespace: undefined })]);
    expect(summary.rows).toEqual([
      { group: { ns: null }, n: 1 },
      { group: { ns: 'shop' }, n: 2 },
      { group: { ns: 'web' }, n: 1 },
    ]);
    expect(summary.groups).toBe(3);
  });

  it('gives one row of zeros and nulls for empty input without group-by', () => {
    const summary = summarize(allOps, []);
    expect(summary).toEqual({
      rows: [{ group: {}, avg: null, copies: 0, max: null, min: null, sum: 0, withX: 0 }],
      groups: 1,
      truncated: false,
      skipped: {
        avg: { missing: 0, nonNumeric: 0 },
        copies: { missing: 0, nonNumeric: 0 },
        max: { missing: 0, nonNumeric: 0 },
        min: { missing: 0, nonNumeric: 0 },
        sum: { missing: 0, nonNumeric: 0 },
        withX: { missing: 0, nonNumeric: 0 },
      },
      filteredOut: 0,
      considered: 0,
    });
  });

  it('gives no rows for empty input with group-by', () => {
    const summary = summarize({ ...allOps, groupBy: [{ name: 'd', path: 'destination' }] }, []);
    expect(summary.rows).toEqual([]);
    expect(summary.groups).toBe(0);
  });

  it('gives one row of zeros and nulls when the filter rejects every report', () => {
    const options: AggregateOptions = { ...allOps, filter: [{ path: 'ref.kind', op: '==', value: 'StatefulSet' }] };
    const summary = summarize(options, [withX(1), withX(2)]);
    expect(summary.rows).toEqual([{ group: {}, avg: null, copies: 0, max: null, min: null, sum: 0, withX: 0 }]);
    expect(summary.filteredOut).toBe(2);
    expect(summary.considered).toBe(2);
  });

  it('skips null values and counts them as missing', () => {
    const summary = summarize(allOps, [withX(null), withX(4)]);
    expect(summary.rows[0]).toMatchObject({ copies: 2, withX: 1, sum: 4, avg: 4, min: 4, max: 4 });
    expect(summary.skipped.sum).toEqual({ missing: 1, nonNumeric: 0 });
    expect(summary.skipped.withX).toEqual({ missing: 1, nonNumeric: 0 });
  });

  it('skips absent values and counts them as missing', () => {
    const summary = summarize(allOps, [withX('<missing>'), withX('<missing>'), withX(2)]);
    expect(summary.rows[0]).toMatchObject({ copies: 3, withX: 1, sum: 2, avg: 2 });
    expect(summary.skipped.avg).toEqual({ missing: 2, nonNumeric: 0 });
  });

  const nonNumeric: [string, Json][] = [
    ['a numeric string', '3'],
    ['an empty string', ''],
    ['a boolean', true],
    ['an object', { value: 3 }],
    ['an array', [3]],
  ];

  it.each(nonNumeric)('skips %s in SUM, AVG, MIN and MAX and counts it as nonNumeric', (_name, value) => {
    const summary = summarize(allOps, [withX(value), withX(5)]);
    expect(summary.rows[0]).toMatchObject({ copies: 2, withX: 2, sum: 5, avg: 5, min: 5, max: 5 });
    for (const field of ['sum', 'avg', 'min', 'max']) expect(summary.skipped[field]).toEqual({ missing: 0, nonNumeric: 1 });
    expect(summary.skipped.withX).toEqual({ missing: 0, nonNumeric: 0 });
  });

  it.each([NaN, Infinity, -Infinity])('counts the non-finite number %s as nonNumeric and keeps the accumulator JSON', (value) => {
    const acc = fold(allOps, [withX(value as number), withX(1)]);
    expect(JSON.parse(JSON.stringify(acc))).toEqual(acc);
    expect(aggregate.finish(acc, ctxOf(allOps)).skipped.sum).toEqual({ missing: 0, nonNumeric: 1 });
  });

  it('counts magnitudes above 1e290 as nonNumeric for SUM and AVG but not for MIN and MAX', () => {
    const summary = summarize(allOps, [withX(1e300), withX(-1e300), withX(maxSummand), withX(1)]);
    expect(summary.rows[0]).toMatchObject({ sum: maxSummand + 1, min: -1e300, max: 1e300 });
    expect(summary.skipped.sum).toEqual({ missing: 0, nonNumeric: 2 });
    expect(summary.skipped.min).toEqual({ missing: 0, nonNumeric: 0 });
  });

  it('gives SUM 0 and AVG, MIN and MAX null for a group without numbers', () => {
    const options: AggregateOptions = { ...allOps, groupBy: [{ name: 'd', path: 'destination' }] };
    const summary = summarize(options, [withX('n/a', 'edge-1'), withX(null, 'edge-1'), withX(2, 'edge-2')]);
    expect(summary.rows).toEqual([
      { group: { d: 'edge-1' }, avg: null, copies: 2, max: null, min: null, sum: 0, withX: 1 },
      { group: { d: 'edge-2' }, avg: 2, copies: 1, max: 2, min: 2, sum: 2, withX: 1 },
    ]);
  });

  it('counts non-null values of any type when COUNT has a path', () => {
    const summary = summarize(allOps, [withX(1), withX('x'), withX({}), withX([]), withX(false), withX(null), withX('<missing>')]);
    expect(summary.rows[0]).toMatchObject({ copies: 7, withX: 5 });
    expect(summary.skipped.withX).toEqual({ missing: 2, nonNumeric: 0 });
  });

  it('reads -0 as 0 so MIN and MAX do not depend on arrival order', () => {
    for (const values of [
      [0, -0],
      [-0, 0],
      [-0, -0],
    ]) {
      const acc = fold(allOps, values.map((v) => withX(v)));
      const row = aggregate.finish(acc, ctxOf(allOps)).rows[0]!;
      for (const field of ['sum', 'avg', 'min', 'max']) expect(Object.is(row[field], 0)).toBe(true);
      expect(Object.is((acc.groups['[]']!.min as number), 0)).toBe(true);
    }
  });

  const sums: [string, number[], number][] = [
    ['ten times 0.1', Array<number>(10).fill(0.1), 1],
    ['a value hidden between cancelling giants', [1e100, 1, -1e100, 1], 2],
    ['Python fsum case 1e-100', [1e100, 1.0, -1e100, 1e-100, 1e50, -1.0, -1e50], 1e-100],
    ['a half-way case rounding down', [2 ** 53, -0.5, -(2 ** -54)], 2 ** 53 - 1],
    ['a half-way case broken by a tiny value', [2 ** 53, 1.0, 2 ** -100], 2 ** 53 + 2],
    ['the harmonic series to 1000', Array.from({ length: 1000 }, (_, i) => 1 / (i + 1)), 7.485470860550345],
  ];

  it.each(sums)('sums %s exactly, correctly rounded once', (_name, values, expected) => {
    const summary = summarize(allOps, values.map((v) => withX(v)));
    expect(summary.rows[0]!.sum).toBe(expected);
    expect(summary.rows[0]!.avg).toBe(expected / values.length);
  });

  it('gives the same SUM whatever order the values arrive in', () => {
    const forward = summarize(allOps, [0.1, 0.2, 0.3].map((v) => withX(v)));
    const backward = summarize(allOps, [0.3, 0.2, 0.1].map((v) => withX(v)));
    expect(0.1 + 0.2 + 0.3).not.toBe(0.3 + 0.2 + 0.1);
    expect(forward.rows[0]!.sum).toBe(0.6);
    expect(JSON.stringify(forward)).toBe(JSON.stringify(backward));
  });

  describe('filter', () => {
    type Row = { op: string; value?: Json; holds: [Json | '<missing>', boolean][] };
    const table: Row[] = [
      { op: '==', value: 3, holds: [[3, true], ['3', false], [4, false], ['<missing>', false]] },
      { op: '==', value: null, holds: [[null, true], ['<missing>', true], [0, false], ['', false]] },
      { op: '==', value: { a: 1, b: [1, 2] }, holds: [[{ b: [1, 2], a: 1 }, true], [{ a: 1, b: [2, 1] }, false]] },
      { op: '!=', value: 'x', holds: [['x', false], ['y', true], ['<missing>', true], [null, true]] },
      { op: '<', value: 3, holds: [[2, true], [3, false], ['2', false], ['<missing>', false], [null, false]] },
      { op: '<=', value: 3, holds: [[3, true], [3.5, false], [-10, true]] },
      { op: '>', value: 'b', holds: [['c', true], ['b', false], ['B', false], ['ba', true], [3, false]] },
      { op: '>=', value: 0, holds: [[0, true], [-1, false], [true, false]] },
      { op: 'in', value: ['a', 1, null], holds: [['a', true], [1, true], ['1', false], ['<missing>', true], ['b', false]] },
      { op: 'exists', holds: [[0, true], ['', true], [false, true], [null, false], ['<missing>', false]] },
      { op: 'notExists', holds: [[null, true], ['<missing>', true], [0, false], [[], false]] },
    ];
    const cases = table.flatMap((row) =>
      row.holds.map(([actual, holds]) => {
        const name = `${row.op}${row.value === undefined ? '' : ` ${JSON.stringify(row.value)}`} ${holds ? 'keeps' : 'drops'} ${actual === '<missing>' ? 'a missing value' : JSON.stringify(actual)}`;
        return [name, row, actual, holds] as const;
      }),
    );

    it.each(cases)('%s', (_name, row, actual, holds) => {
      const condition = row.value === undefined ? { path: 'status.x', op: row.op } : { path: 'status.x', op: row.op, value: row.value };
      const options = { filter: [condition], fields: { n: { op: 'COUNT' } } } as AggregateOptions;
      const summary = summarize(options, [withX(actual)]);
      expect(summary.rows[0]!.n).toBe(holds ? 1 : 0);
      expect(summary.filteredOut).toBe(holds ? 0 : 1);
    });

    it('requires every condition to hold', () => {
      const options: AggregateOptions = {
        filter: [
          { path: 'ref.kind', op: '==', value: 'Deployment' },
          { path: 'destination', op: 'in', value: ['edge-1', 'edge-2'] },
        ],
        fields: { n: { op: 'COUNT' } },
      };
      const summary = summarize(options, [report({ destination: 'edge-1' }), report({ destination: 'edge-3' }), report({ destination: 'edge-2', kind: 'StatefulSet' })]);
      expect(summary).toMatchObject({ rows: [{ n: 1 }], filteredOut: 2, considered: 3 });
    });

    it('keeps cluster-scoped objects for != on ref.namespace', () => {
      const options: AggregateOptions = { filter: [{ path: 'ref.namespace', op: '!=', value: 'kube-system' }], fields: { n: { op: 'COUNT' } } };
      const summary = summarize(options, [report({ namespace: undefined }), report({ namespace: 'kube-system' }), report()]);
      expect(summary.rows[0]!.n).toBe(2);
    });
  });

  describe('groupBy', () => {
    it('groups by a bracketed label path, with missing labels under null', () => {
      const options: AggregateOptions = { groupBy: [{ name: 'version', path: 'metadata.labels["app.kubernetes.io/version"]' }], fields: { n: { op: 'COUNT' } } };
      const summary = summarize(options, [report({ labels: { 'app.kubernetes.io/version': 'v2' } }), report(), report({ labels: {} })]);
      expect(summary.rows).toEqual([
        { group: { version: null }, n: 2 },
        { group: { version: 'v2' }, n: 1 },
      ]);
    });

    it('groups by stringified values, so "3" and 3 share a group', () => {
      const options: AggregateOptions = { groupBy: [{ name: 'x', path: 'status.x' }], fields: { n: { op: 'COUNT' } } };
      const summary = summarize(options, [withX(3), withX('3'), withX(true), withX('true'), withX(null), withX('<missing>'), withX(-0), withX(0)]);
      expect(summary.rows).toEqual([
        { group: { x: null }, n: 2 },
        { group: { x: '0' }, n: 2 },
        { group: { x: '3' }, n: 2 },
        { group: { x: 'true' }, n: 2 },
      ]);
    });

    it('groups objects by canonical JSON, whatever their key order', () => {
      const options: AggregateOptions = { groupBy: [{ name: 'x', path: 'status.x' }], fields: { n: { op: 'COUNT' } } };
      const summary = summarize(options, [withX({ b: 2, a: 1 }), withX({ a: 1, b: 2 }), withX([1, { d: null, c: 'x' }])]);
      expect(summary.rows).toEqual([
        { group: { x: '[1,{"c":"x","d":null}]' }, n: 1 },
        { group: { x: '{"a":1,"b":2}' }, n: 2 },
      ]);
    });

    it('orders rows by tuple: null first, then strings by UTF-16 code unit', () => {
      const options: AggregateOptions = {
        groupBy: [
          { name: 'a', path: 'status.a' },
          { name: 'b', path: 'status.b' },
        ],
        fields: { n: { op: 'COUNT' } },
      };
      const tuples: [Json, Json][] = [['b', 'x'], ['a', null], ['B', 'x'], ['10', 'x'], ['9', 'x'], [null, 'z'], ['a', 'a'], ['é', 'x']];
      const summary = summarize(options, tuples.map(([a, b]) => report({ status: { a, b } })));
      expect(summary.rows.map((row) => row.group)).toEqual([
        { a: null, b: 'z' },
        { a: '10', b: 'x' },
        { a: '9', b: 'x' },
        { a: 'B', b: 'x' },
        { a: 'a', b: null },
        { a: 'a', b: 'a' },
        { a: 'b', b: 'x' },
        { a: 'é', b: 'x' },
      ]);
    });

    it('keeps the first column of a repeated group-by name', () => {
      const options: AggregateOptions = {
        groupBy: [
          { name: 'd', path: 'destination' },
          { name: 'd', path: 'ref.kind' },
        ],
        fields: { n: { op: 'COUNT' } },
      };
      const summary = summarize(options, [report({ destination: 'edge-1' }), report({ destination: 'edge-1', kind: 'StatefulSet' })]);
      expect(summary.rows).toEqual([{ group: { d: 'edge-1' }, n: 2 }]);
    });
  });

  describe('limit', () => {
    const options: AggregateOptions = { groupBy: [{ name: 'd', path: 'destination' }], fields: { n: { op: 'COUNT' } }, limit: 2 };
    const reports = ['edge-5', 'edge-3', 'edge-1', 'edge-4', 'edge-2', 'edge-1'].map((destination) => report({ destination }));

    it('keeps the first rows by group order and reports the total and the cut', () => {
      const summary = summarize(options, reports);
      expect(summary.rows).toEqual([
        { group: { d: 'edge-1' }, n: 2 },
        { group: { d: 'edge-2' }, n: 1 },
      ]);
      expect(summary).toMatchObject({ groups: 5, truncated: true });
    });

    it('does not truncate when every group fits', () => {
      const summary = summarize({ ...options, limit: 5 }, reports);
      expect(summary).toMatchObject({ groups: 5, truncated: false });
      expect(summary.rows).toHaveLength(5);
    });

    it('applies only in finish, so merged parts still find the first groups overall', () => {
      const left = fold(options, reports.filter((r) => r.destination !== 'edge-1'));
      const right = fold(options, reports.filter((r) => r.destination === 'edge-1'));
      expect(Object.keys(left.groups)).toHaveLength(4);
      const merged = aggregate.finish(merge(options, left, right), ctxOf(options));
      expect(JSON.stringify(merged)).toBe(JSON.stringify(summarize(options, reports)));
    });
  });

  describe('laws', () => {
    const options: AggregateOptions = { ...allOps, groupBy: [{ name: 'd', path: 'destination' }] };
    const a = () => fold(options, [withX(0.1, 'edge-1'), withX(2, 'edge-2'), withX('x', 'edge-1')]);
    const b = () => fold(options, [withX(0.2, 'edge-1'), withX(null, 'edge-3')]);
    const c = () => fold(options, [withX(0.3, 'edge-1'), withX(-7, 'edge-2'), withX(1e-300, 'edge-3')]);
    const finish = (acc: AggregateAcc) => JSON.stringify(aggregate.finish(acc, ctxOf(options)));

    it('has init() as identity of merge', () => {
      expect(merge(options, aggregate.init(ctxOf(options)), a())).toEqual(a());
      expect(merge(options, a(), aggregate.init(ctxOf(options)))).toEqual(a());
    });

    it('merges commutatively', () => {
      expect(merge(options, a(), b())).toEqual(merge(options, b(), a()));
      expect(finish(merge(options, a(), c()))).toBe(finish(merge(options, c(), a())));
    });

    it('merges associatively', () => {
      const left = merge(options, merge(options, a(), b()), c());
      const right = merge(options, a(), merge(options, b(), c()));
      expect(left).toEqual(right);
      expect(finish(left)).toBe(finish(right));
    });

    it('never mutates the second accumulator of merge, nor shares state with it', () => {
      const second = deepFreeze(b());
      const snapshot = JSON.stringify(second);
      const merged = merge(options, aggregate.init(ctxOf(options)), second);
      // A fold into the result must not reach back into `second`: frozen, it would throw.
      aggregate.add(merged, report({ destination: 'edge-1', status: { x: 5 } }), ctxOf(options));
      aggregate.merge(merged, c(), ctxOf(options));
      expect(JSON.stringify(second)).toBe(snapshot);
    });

    it('never mutates reports', () => {
      const reports = deepFreeze([withX(1), withX('x'), withX(null)]);
      const snapshot = JSON.stringify(reports);
      expect(() => fold(options, reports)).not.toThrow();
      expect(JSON.stringify(reports)).toBe(snapshot);
    });

    it('does not mutate the accumulator in finish', () => {
      const acc = deepFreeze(merge(options, a(), c()));
      expect(() => aggregate.finish(acc, ctxOf(options))).not.toThrow();
    });

    it('gives the same summary at every level', () => {
      const reports = [withX(1, 'edge-1'), withX(2.5, 'edge-2')];
      expect(aggregate.finish(fold(options, reports, center), ctxOf(options, center))).toEqual(aggregate.finish(fold(options, reports), ctxOf(options)));
    });

  });

  describe('remove', () => {
    const exact: AggregateOptions = {
      filter: [{ path: 'ref.kind', op: '==', value: 'Deployment' }],
      groupBy: [{ name: 'd', path: 'destination' }],
      fields: { n: { op: 'COUNT' }, xs: { op: 'COUNT', path: 'status.x' }, sum: { op: 'SUM', path: 'status.x' }, avg: { op: 'AVG', path: 'status.x' } },
    };
    const retract = (options: AggregateOptions, acc: AggregateAcc, r: StatusReport) => aggregate.remove!(acc, deepFreeze(r), ctxOf(options));
    const values: Json[] = [0.1, 0.2, 1e16, -3, 'x', null, 7, 1e-300];

    it('takes each report out of COUNT, SUM, AVG and the skip counts, giving the accumulator of the others (its groups in another order)', () => {
      const reports = [...values.map((x, i) => withX(x, `edge-${i % 3}`)), report({ kind: 'StatefulSet' }), withX('<missing>', 'edge-1')];
      reports.forEach((r, i) => {
        const rest = reports.filter((_, j) => j !== i);
        expect(retract(exact, fold(exact, reports), r)).toEqual(fold(exact, rest));
      });
    });

    it('drops a group with its last report, so the summary no longer counts it', () => {
      const options: AggregateOptions = { groupBy: [{ name: 'd', path: 'destination' }], fields: { sum: { op: 'SUM', path: 'status.x' } } };
      const acc = retract(options, fold(options, [withX(0, 'edge-1'), withX(2, 'edge-2')]), withX(0, 'edge-1'));
      expect(aggregate.finish(acc, ctxOf(options))).toMatchObject({ groups: 1, rows: [{ group: { d: 'edge-2' }, sum: 2 }] });
    });

    it('retracts exactly after merges too: removing from a merged accumulator equals merging without the report', () => {
      const left = [withX(0.1, 'edge-1'), withX(0.7, 'edge-2')];
      const right = [withX(0.2, 'edge-1'), withX(1e16, 'edge-3')];
      const merged = merge(exact, fold(exact, left), fold(exact, right));
      expect(retract(exact, merged, right[1]!)).toEqual(merge(exact, fold(exact, left), fold(exact, right.slice(0, 1))));
    });

    it('is declared exact only for options without MIN or MAX, so the host re-folds for those', () => {
      const accepts = (options: AggregateOptions) => reducerRetractsWith(aggregate, options as unknown as Json);
      expect(accepts(exact)).toBe(true);
      expect(accepts({ fields: { lo: { op: 'MIN', path: 'status.x' }, n: { op: 'COUNT' } } })).toBe(false);
      expect(accepts({ fields: { hi: { op: 'MAX', path: 'status.x' } } })).toBe(false);
    });
  });

  describe('partition independence', () => {
    const value = fc.oneof(
      { weight: 4, arbitrary: fc.integer({ min: -5, max: 50 }) },
      { weight: 4, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }) },
      { weight: 2, arbitrary: fc.constantFrom(0.1, 0.2, 0.3, 1e16, -1e16, 2 ** 53, 2 ** -1074, -0, 1e300) },
      { weight: 1, arbitrary: fc.constantFrom<Json | '<missing>'>(null, '<missing>', '3', true, { n: 1 }) },
    );
    const reportArb = fc
      .record({
        destination: fc.constantFrom('edge-1', 'edge-2', 'edge-3', 'edge-4'),
        kind: fc.constantFrom('Deployment', 'StatefulSet', 'Namespace'),
        version: fc.option(fc.constantFrom('v1', 'v2', 'v10'), { nil: undefined }),
        x: value,
        phase: fc.constantFrom('Running', 'Pending', 3, null),
      })
      .map(({ destination, kind, version, x, phase }) =>
        report({
          destination,
          kind,
          ...(kind === 'Namespace' ? { namespace: undefined } : {}),
          ...(version === undefined ? {} : { labels: { 'app.kubernetes.io/version': version } }),
          status: x === '<missing>' ? { phase } : { phase, x },
        }),
      );
    const optionSets: AggregateOptions[] = [
      allOps,
      { ...allOps, groupBy: [{ name: 'd', path: 'destination' }] },
      {
        ...allOps,
        filter: [
          { path: 'ref.kind', op: '!=', value: 'Namespace' },
          { path: 'status.phase', op: 'exists' },
        ],
        groupBy: [
          { name: 'v', path: 'metadata.labels["app.kubernetes.io/version"]' },
          { name: 'ns', path: 'ref.namespace' },
        ],
        limit: 3,
      },
      { ...allOps, filter: [{ path: 'status.x', op: '>=', value: 0 }], groupBy: [{ name: 'p', path: 'status.phase' }], limit: 1 },
    ];

    it('folds any partition, merged in any tree shape, to the same JSON as one fold', () => {
      fc.assert(
        fc.property(
          fc.constantFrom(...optionSets),
          fc.array(reportArb, { maxLength: 40 }),
          fc.integer({ min: 1, max: 6 }),
          fc.array(fc.nat(), { minLength: 40, maxLength: 40 }),
          fc.array(fc.nat(), { minLength: 1, maxLength: 12 }),
          (options, reports, parts, assignment, picks) => {
            const flat = fold(options, reports);
            const accs = partition(reports, assignment, parts).map((part) => fold(options, [...part].reverse()));
            const merged = mergeTree(options, accs, picks);
            expect(merged).toEqual(flat);
            expect(JSON.stringify(aggregate.finish(merged, ctxOf(options, center)))).toBe(JSON.stringify(aggregate.finish(flat, ctxOf(options))));
            expect(JSON.parse(JSON.stringify(merged))).toEqual(merged);
          },
        ),
        { seed: 20261124, numRuns: 300 },
      );
    });
  });

  describe('exact sums', () => {
    const anyDouble = fc.double({ noNaN: true, noDefaultInfinity: true, min: -maxSummand, max: maxSummand });
    const mixed = fc.oneof(
      anyDouble,
      fc.double({ noNaN: true, min: -1, max: 1 }),
      fc.integer({ min: -1100, max: 960 }).map((e) => 2 ** e),
      fc.integer({ min: -1100, max: 960 }).map((e) => -(2 ** e)),
      fc.constantFrom(0.1, 0.2, 0.3, 1e16, -1e16, 1, -1, 2 ** -1074),
    );

    it('rounds the exact sum correctly, as an exact BigInt reference does', () => {
      fc.assert(
        fc.property(fc.array(mixed, { maxLength: 30 }), (values) => {
          expect(roundExact(partialsOf(values))).toBe(referenceSum(values));
        }),
        { seed: 1997, numRuns: 2000 },
      );
    });

    it('gives the same canonical partials for any partition, merged in any order', () => {
      fc.assert(
        fc.property(
          fc.array(mixed, { maxLength: 30 }),
          fc.integer({ min: 1, max: 5 }),
          fc.array(fc.nat(), { minLength: 30, maxLength: 30 }),
          (values, parts, assignment) => {
            const flat = canonicalExact(partialsOf(values));
            const merged = partition(values, assignment, parts)
              .map((part) => canonicalExact(partialsOf(part.reverse())))
              .reduceRight<number[]>((acc, part) => sumExact(part, acc), []);
            expect(merged).toEqual(flat);
            expect(merged.every((x) => Number.isFinite(x) && x !== 0)).toBe(true);
            expect(roundExact(merged)).toBe(referenceSum(values));
          },
        ),
        { seed: 1997, numRuns: 1000 },
      );
    });
  });

  it('imports nothing but the plugin contract and its siblings, and reads no clock or randomness', () => {
    for (const file of readdirSync(here).filter((name) => name.endsWith('.ts') && !name.endsWith('.test.ts'))) {
      const source = readFileSync(join(here, file), 'utf8');
      for (const [, specifier] of source.matchAll(/(?:import|export)[^'";]*from\s+'([^']+)'/g)) {
        expect(specifier === '../../core/contract.js' || /^\.\/[a-z-]+\.js$/.test(specifier!), `${file} imports ${specifier}`).toBe(true);
      }
      expect(source).not.toMatch(/Date\.now|new Date|Math\.random|process\.|require\(|throw new Error/);
    }
  });
});

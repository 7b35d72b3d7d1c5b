/**
 * `npm run bench -- --suite scale`: the rows of issue 11 (one node keeps up with 100,000
 * destinations). Each hierarchy variant runs in a child process of its own (`scale-child.ts`) so
 * its peak RSS is its own; each row is compared with a baseline measured in the same run, every
 * variant's summaries must equal its inline baseline's, and times are per 1M reports (extrapolated
 * linearly in `--quick`, which runs a tenth of the fleet). See bench/README.md.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import type { Json, Reducer, StatusReport } from '../core/contract.js';
import { ManualClock } from '../core/clock/index.js';
import { FilePluginCatalog } from '../core/catalog/index.js';
import { EdgesumError, ErrorCodes } from '../core/errors.js';
import { reportKey } from '../core/model/index.js';
import { reduceCommand } from '../cli/reduce.js';
import { PooledRunner, QuickJsRunner } from '../sandbox/index.js';
import { defaultLimits } from '../sandbox/index.js';
import { coldStarts } from './quickjs.js';
import type { Outcome, Target } from './rows.js';
import type { ScaleJob, ScaleReply, ScaleResult } from './scale-child.js';
import { scaleNow, scaleTopology, sliceCount, sliceReports, type ScaleShape } from './scale-workload.js';
import { childReply } from './child.js';
import { progress } from './timing.js';
import { importReducers, reducerContext, SummaryMismatchError } from './workload.js';

/** How big a scale run is. */
export interface ScalePlan {
  readonly shape: ScaleShape;
  readonly ticks: number;
  readonly changes: number;
  /** Reports in the `edgesum reduce` file. */
  readonly reduceReports: number;
  readonly childTimeoutMs: number;
}

export const scaleFullPlan: ScalePlan = {
  shape: { destinations: 100_000, regions: 100, sitesPerRegion: 10, objects: 10, seed: 0x5ca1e },
  ticks: 3,
  changes: 100,
  reduceReports: 200_000,
  childTimeoutMs: 3_600_000,
};

export const scaleQuickPlan: ScalePlan = {
  ...scaleFullPlan,
  shape: { ...scaleFullPlan.shape, destinations: 10_000, regions: 10 },
  reduceReports: 20_000,
  childTimeoutMs: 900_000,
};

/** The targets, on rows normalized to the full fleet (1M reports, 100k destinations). */
export const scaleTargets: Target[] = [
  { name: '1M reports, health, QuickJS ≤ 10 s', subject: ['health-quickjs', 'health-quickjs-pool'], bound: 10, kind: 'value-at-most', unit: 's/1M' },
  { name: '1M reports, health, QuickJS ≤ 2 GiB', subject: ['health-quickjs-peak-rss'], bound: 2048, kind: 'value-at-most', unit: 'MiB' },
  { name: '1M reports, every built-in, inline ≤ 10 s', subject: ['all-inline'], bound: 10, kind: 'value-at-most', unit: 's/1M' },
  { name: '1M reports, every built-in, inline ≤ 2 GiB', subject: ['all-inline-peak-rss'], bound: 2048, kind: 'value-at-most', unit: 'MiB' },
  { name: '1M reports, every built-in, QuickJS ≤ 30 s', subject: ['all-quickjs', 'all-quickjs-pool'], bound: 30, kind: 'value-at-most', unit: 's/1M' },
  { name: '1M reports, every built-in, QuickJS ≤ 2 GiB', subject: ['all-quickjs-peak-rss'], bound: 2048, kind: 'value-at-most', unit: 'MiB' },
  { name: 'ingest alone, health ≤ 4 s per 1M', subject: ['ingest-health'], bound: 4, kind: 'value-at-most', unit: 's/1M' },
  { name: 'ingest alone, every built-in ≤ 4 s per 1M', subject: ['ingest-all'], bound: 4, kind: 'value-at-most', unit: 's/1M' },
  { name: 'steady state, every built-in, QuickJS ≤ 25% of a core', subject: ['steady-all-quickjs'], bound: 25, kind: 'value-at-most', unit: '% core' },
  { name: 'one change, health: p99 ≤ 5 ms', subject: ['change-p99-health-quickjs'], bound: 5, kind: 'value-at-most', unit: 'ms' },
  { name: 'one change, every built-in: p99 ≤ 5 ms', subject: ['change-p99-all-quickjs'], bound: 5, kind: 'value-at-most', unit: 'ms' },
  { name: 'one change re-folds ≤ 0.1% of reports', subject: ['change-refolded-all-quickjs'], bound: 0.1, kind: 'value-at-most', unit: '%' },
  { name: 'worker pool on 2 cores ≥ 1.7×', subject: ['pool-speedup'], bound: 1.7, kind: 'value-at-least', unit: '×' },
  { name: 'plugin cold start ≤ 1 ms', subject: ['cold-start'], bound: 1, kind: 'value-at-most', unit: 'ms' },
  { name: 'center inbound ≤ 0.1% of raw report bytes', subject: ['center-inbound'], bound: 0.1, kind: 'value-at-most', unit: '%' },
  { name: 'edgesum reduce ≥ 0.25× native JSON.parse + fold', subject: ['reduce-file-quickjs', 'reduce-file-quickjs-pool'], against: 'reduce-file-native', bound: 0.25, kind: 'ratio-at-least', unit: '×' },
];

export const scaleSuiteOrder = ['input', 'scale', 'ingest', 'steady', 'change', 'pool', 'cold-start', 'wire', 'reduce'];

/** The hierarchy variants, baselines first: a variant's summaries are checked against `expect`'s. */
const variants: readonly (Omit<ScaleJob, 'shape' | 'ticks' | 'changes'> & { expect?: string; steady: boolean })[] = [
  { variant: 'health-inline', runner: 'inline', bindings: 'health', steady: true },
  { variant: 'health-quickjs', runner: 'quickjs', bindings: 'health', expect: 'health-inline', steady: true },
  { variant: 'health-quickjs-pool', runner: 'quickjs-pool', bindings: 'health', expect: 'health-inline', steady: false },
  { variant: 'all-inline', runner: 'inline', bindings: 'all', steady: true },
  { variant: 'all-quickjs', runner: 'quickjs', bindings: 'all', expect: 'all-inline', steady: true },
  { variant: 'all-quickjs-pool', runner: 'quickjs-pool', bindings: 'all', expect: 'all-inline', steady: false },
];

function runChild(job: ScaleJob, timeoutMs: number): Promise<ScaleReply> {
  const child = fork(fileURLToPath(new URL('./scale-child.ts', import.meta.url)), [], {
    execArgv: [...process.execArgv, '--max-old-space-size=6144'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
  });
  return childReply<ScaleReply>(child, job, job.variant, timeoutMs);
}

/** The `p`th percentile (0–100) of `values`, nearest rank; NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function median(values: readonly number[]): number {
  return percentile(values, 50);
}

const mib = (bytes: number) => bytes / (1024 * 1024);

/**
 * Native floors measured in this process: a JSON round trip of every report (what validation's copy
 * costs at the least) with the latest kept in a Map, and the same plus folding `health` over it.
 */
async function nativeFloors(shape: ScaleShape, health: Reducer<unknown>): Promise<{ copyMs: number; foldMs: number; reports: number; summary: Json }> {
  const topology = scaleTopology(shape);
  let copyMs = 0;
  let foldMs = 0;
  let reports = 0;
  const latest = new Map<string, StatusReport>();
  let acc = health.init(reducerContext);
  for (let slice = 0; slice < sliceCount(shape); slice++) {
    const batch = sliceReports(topology, shape, slice);
    const text = JSON.stringify(batch);
    const start = performance.now();
    const parsed = JSON.parse(text) as StatusReport[];
    for (const report of parsed) latest.set(reportKey(report), report);
    const copied = performance.now();
    for (const report of parsed) acc = health.add(acc, report, reducerContext);
    foldMs += performance.now() - copied;
    copyMs += copied - start;
    reports += parsed.length;
  }
  return { copyMs, foldMs: copyMs + foldMs, reports, summary: health.finish(acc, reducerContext) as Json };
}

/** `edgesum reduce` of a JSONL file through QuickJS with default limits, and native `JSON.parse` + fold of the same file. */
async function reduceFile(plan: ScalePlan, health: Reducer<unknown>): Promise<Outcome[]> {
  const dir = mkdtempSync(join(tmpdir(), 'edgesum-scale-'));
  try {
    const shape = { ...plan.shape, destinations: Math.ceil(plan.reduceReports / plan.shape.objects) };
    const topology = scaleTopology(shape);
    const lines: string[] = [];
    for (let slice = 0; slice < sliceCount(shape); slice++) for (const report of sliceReports(topology, shape, slice)) lines.push(JSON.stringify(report));
    const file = join(dir, 'reports.jsonl');
    writeFileSync(file, `${lines.join('\n')}\n`);
    lines.length = 0;

    const nativeStart = performance.now();
    const text = await readFile(file, 'utf8');
    let acc = health.init(reducerContext);
    let count = 0;
    for (const line of text.split('\n')) {
      if (line === '') continue;
      acc = health.add(acc, JSON.parse(line) as StatusReport, reducerContext);
      count++;
    }
    const expected = health.finish(acc, reducerContext) as Json;
    const nativeMs = performance.now() - nativeStart;

    const rows: Outcome[] = [{ suite: 'reduce', name: 'reduce-file-native', value: (count * 1000) / nativeMs, unit: 'reports/s' }];
    for (const make of [() => new QuickJsRunner({ limits: defaultLimits }), () => new PooledRunner({ limits: defaultLimits })]) {
      const runner = make();
      let out = '';
      let err = '';
      const start = performance.now();
      let code: number;
      try {
        code = await reduceCommand(
          { reducer: 'builtin:health', reports: file, partitions: '1', json: true },
          {
            runner,
            catalog: new FilePluginCatalog(),
            clock: new ManualClock(scaleNow),
            output: { out: (t) => (out += t), err: (t) => (err += t), interactive: false },
            stdin: (async function* () {})(),
          },
        );
      } finally {
        await runner.dispose();
      }
      const ms = performance.now() - start;
      if (code !== 0) throw new EdgesumError(ErrorCodes.Internal, `edgesum reduce --runner ${runner.name} exited ${code}: ${err.slice(0, 300)}`);
      if (!isDeepStrictEqual(JSON.parse(out), expected)) throw new SummaryMismatchError(ErrorCodes.PluginOutput, `bench: edgesum reduce --runner ${runner.name} finished health differently from the native fold`);
      rows.push({ suite: 'reduce', name: `reduce-file-${runner.name}`, value: (count * 1000) / ms, unit: 'reports/s', compare: ['reduce-file-native'] });
    }
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs `body`; a failure becomes a skipped row naming why, except a summary mismatch, which stops the run. */
async function attempt(suite: string, name: string, body: () => Promise<Outcome[]>): Promise<Outcome[]> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof SummaryMismatchError) throw error;
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    progress(`${name}: skipped — ${reason}`);
    return [{ suite, name, reason }];
  }
}

export async function measureScale(plan: ScalePlan): Promise<Outcome[]> {
  const { shape } = plan;
  const fullDestinations = scaleFullPlan.shape.destinations;
  const reducers = await importReducers();
  progress(`scale: ${shape.destinations.toLocaleString('en-US')} destinations × ${shape.objects} objects, ${shape.regions} regions, ${shape.regions * shape.sitesPerRegion} sites`);
  const native = await nativeFloors(shape, reducers.health);
  const perMillion = 1_000_000 / native.reports;
  const seconds = (ms: number) => (ms * perMillion) / 1000;
  const outcomes: Outcome[] = [
    { suite: 'input', name: 'reports', value: native.reports, unit: 'reports' },
    { suite: 'input', name: 'destinations', value: shape.destinations, unit: 'destinations' },
    { suite: 'scale', name: 'native-fold', value: seconds(native.foldMs), unit: 's/1M' },
    { suite: 'ingest', name: 'native-copy', value: seconds(native.copyMs), unit: 's/1M' },
  ];
  progress(`native: JSON round trip + Map ${seconds(native.copyMs).toFixed(2)} s/1M, + health fold ${seconds(native.foldMs).toFixed(2)} s/1M`);

  const results = new Map<string, ScaleResult>();
  for (const variant of variants) {
    outcomes.push(
      ...(await attempt('scale', variant.variant, async () => {
        progress(`${variant.variant}: running (${variant.runner}, ${variant.bindings === 'health' ? 'health only' : 'every built-in'})`);
        const reply = await runChild({ ...variant, shape, ticks: variant.steady ? plan.ticks : 0, changes: variant.steady ? plan.changes : 0 }, plan.childTimeoutMs);
        if (reply.type === 'failed') throw new EdgesumError(ErrorCodes.Internal, reply.reason);
        const expected = variant.expect === undefined ? undefined : results.get(variant.expect);
        if (expected !== undefined && !isDeepStrictEqual(reply.summaries, expected.summaries)) {
          throw new SummaryMismatchError(ErrorCodes.PluginOutput, `bench: ${variant.variant} finished its summaries differently from ${variant.expect}`);
        }
        if (variant.variant === 'health-inline' && !isDeepStrictEqual((reply.summaries as Record<string, { value: Json }>).health?.value, native.summary)) {
          throw new SummaryMismatchError(ErrorCodes.PluginOutput, 'bench: health-inline finished health differently from the native fold');
        }
        results.set(variant.variant, reply);
        const total = seconds(reply.ingestMs + reply.settleMs);
        progress(
          `${variant.variant}: ${total.toFixed(1)} s/1M (ingest ${seconds(reply.ingestMs).toFixed(1)}, settle ${seconds(reply.settleMs).toFixed(1)}), peak RSS ${mib(reply.maxRssBytes).toFixed(0)} MiB` +
            (reply.changeMs.length > 0 ? `, change p99 ${percentile(reply.changeMs, 99).toFixed(1)} ms` : '') +
            (reply.tickCpuMs.length > 0 ? `, tick CPU ${median(reply.tickCpuMs).toFixed(0)} ms` : ''),
        );
        const compare = variant.expect === undefined ? ['native-fold'] : [variant.expect, 'native-fold'];
        const rows: Outcome[] = [
          { suite: 'scale', name: variant.variant, value: total, unit: 's/1M', compare },
          { suite: 'scale', name: `${variant.variant}-peak-rss`, value: mib(reply.maxRssBytes), unit: 'MiB', ...(variant.expect === undefined ? {} : { compare: [`${variant.expect}-peak-rss`] }) },
        ];
        if (variant.runner === 'inline') rows.push({ suite: 'ingest', name: `ingest-${variant.bindings}`, value: seconds(reply.ingestMs), unit: 's/1M', compare: ['native-copy'] });
        if (reply.tickCpuMs.length > 0) {
          // A tick is 30 s of the full fleet's reports; a smaller fleet sends proportionally fewer.
          const share = (median(reply.tickCpuMs) / 30_000) * 100 * (fullDestinations / shape.destinations);
          rows.push({ suite: 'steady', name: `steady-${variant.variant}`, value: share, unit: '% core', ...(variant.expect === undefined ? {} : { compare: [`steady-${variant.expect}`] }) });
        }
        if (reply.changeMs.length > 0) {
          const base = variant.expect === undefined ? {} : { compare: [`change-p99-${variant.expect}`] };
          rows.push(
            { suite: 'change', name: `change-p99-${variant.variant}`, value: percentile(reply.changeMs, 99), unit: 'ms', ...base },
            { suite: 'change', name: `change-p50-${variant.variant}`, value: median(reply.changeMs), unit: 'ms' },
            { suite: 'change', name: `change-refolded-${variant.variant}`, value: (median(reply.changeRefolded) / reply.reports) * 100, unit: '%' },
            { suite: 'change', name: `change-calls-${variant.variant}`, value: median(reply.changeCalls), unit: 'calls' },
          );
        }
        if (variant.variant === 'health-quickjs') {
          rows.push({ suite: 'wire', name: 'center-inbound', value: (reply.centerInboundBytes / reply.rawBytes) * 100, unit: '%' });
          rows.push({ suite: 'wire', name: 'center-inbound-bytes', value: reply.centerInboundBytes, unit: 'bytes' });
        }
        if (variant.variant === 'health-quickjs-pool') {
          const single = results.get('health-quickjs');
          if (single !== undefined) rows.push({ suite: 'pool', name: 'pool-speedup', value: (single.ingestMs + single.settleMs) / (reply.ingestMs + reply.settleMs), unit: '×' });
        }
        return rows;
      })),
    );
  }

  outcomes.push(
    ...(await attempt('cold-start', 'cold-start', async () => {
      // Loads spaced by idle time find the warm spare booted; back to back, each waits for the one still booting.
      const { inThread, spaced, backToBack, noSpare } = await coldStarts(defaultLimits, 10);
      progress(`cold start: loadReducer(health) ${spaced.toFixed(2)} ms (${inThread.toFixed(2)} ms in-thread, ${backToBack.toFixed(2)} ms back to back, ${noSpare.toFixed(2)} ms without a spare)`);
      return [
        { suite: 'cold-start', name: 'cold-start-in-thread', value: inThread, unit: 'ms' },
        { suite: 'cold-start', name: 'cold-start', value: spaced, unit: 'ms', compare: ['cold-start-in-thread'] },
        { suite: 'cold-start', name: 'cold-start-back-to-back', value: backToBack, unit: 'ms', compare: ['cold-start'] },
        { suite: 'cold-start', name: 'cold-start-no-spare', value: noSpare, unit: 'ms', compare: ['cold-start'] },
      ];
    })),
  );

  progress(`edgesum reduce of a ${plan.reduceReports.toLocaleString('en-US')}-report file`);
  outcomes.push(...(await attempt('reduce', 'reduce-file-quickjs', () => reduceFile(plan, reducers.health))));
  return outcomes;
}

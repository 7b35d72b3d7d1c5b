/**
 * `npm run bench [-- --quick] [-- --json]`: every variant folds the same seeded reports with the
 * same two reducers in one run, each variant's finished summaries must equal the inline baseline's,
 * and the result is a table (or, with `--json`, exactly a JSON array of rows on stdout).
 * See bench/README.md for what each row means.
 */
import { parseArgs } from 'node:util';
import type { StatusReport } from '../core/contract.js';
import { EdgesumError, ErrorCodes } from '../core/errors.js';
import { bundlePlugin, defaultLimits, newReleaseModule, type PluginLimits } from '../sandbox/index.js';
import { inlineBaseline, nativeJsonPass } from './baselines.js';
import { buildPlainBundle, plainPass } from './plain-bundle.js';
import { peerOutcomes, runPeer, type PeerName } from './peers.js';
import { QuickJsPool, twoThreadControl } from './pool.js';
import { bootBare, encodeBinaryChunks, guestDecodeOnly, guestParseOnly, measureRuntimes, plainInvoker, runnerBatched, runnerPerReport, wholeGuestScript, coldStarts } from './quickjs.js';
import { judge, renderTable, sandboxCompare, throughputBaselines, toRows, type Measurement, type Outcome, type Target } from './rows.js';
import { measureScale, scaleFullPlan, scaleQuickPlan, scaleSuiteOrder, scaleTargets } from './scale.js';
import { fastestOf, perSecond, progress } from './timing.js';
import {
  assertSameSummaries,
  chunk,
  foldDirectly,
  importReducers,
  makeReports,
  reducerNames,
  reducerSources,
  SummaryMismatchError,
  type ReducerName,
} from './workload.js';

const usage = `usage: npm run bench [-- --suite sandbox|scale] [-- --quick] [-- --json]
  --suite  sandbox (the default: one reducer pass through every sandbox) or scale (issue 11: a
           whole hierarchy at 100,000 destinations, each variant in a child process)
  --quick  a tenth of the work (sandbox: 10,000 reports; scale: 10,000 destinations)
  --json   print exactly a JSON array of {suite,name,value,unit,baseline,ratio} on stdout`;

/** How big a run is; everything else is the same in both modes. */
interface Plan {
  readonly reports: number;
  readonly seed: number;
  /** Reports per JSON text chunk of the native baseline (the issue fixes it at 10k). */
  readonly nativeChunk: number;
  /** Reports per call of the text-in sandboxes (bare QuickJS, isolated-vm, SES) and of the pool. */
  readonly sandboxBatch: number;
  /** Batch sizes of the QuickJsRunner rows. */
  readonly runnerBatches: readonly number[];
  /** Reports of the one-call-per-report row (its rate is scaled, not extrapolated: reports/s). */
  readonly perReport: number;
  /** Runtimes created by the cold-start rows. */
  readonly runtimes: number;
  /** Passes of the fast in-process rows; the fastest counts. */
  readonly fastRuns: number;
  /** Passes of the sandboxed rows. */
  readonly slowRuns: number;
  readonly poolWorkers: number;
  /** Loop iterations of each thread of the two-thread control (about half a second). */
  readonly controlIterations: number;
  readonly peerTimeoutMs: number;
}

const fullPlan: Plan = {
  reports: 100_000,
  seed: 0x5eed,
  nativeChunk: 10_000,
  sandboxBatch: 1_000,
  runnerBatches: [1_000, 10_000],
  perReport: 10_000,
  runtimes: 100,
  fastRuns: 5,
  slowRuns: 2,
  poolWorkers: 2,
  controlIterations: 100_000_000,
  peerTimeoutMs: 600_000,
};

const quickPlan: Plan = { ...fullPlan, reports: 10_000, perReport: 1_000, runtimes: 25, fastRuns: 3, slowRuns: 1, controlIterations: 30_000_000, peerTimeoutMs: 120_000 };

/**
 * Limits on, as the runner's defaults, except the wall time of one call: the interrupt handler runs
 * the same whatever the bound, and a 10k-report batch on a busy two-core machine must not time out.
 */
const benchLimits: PluginLimits = { ...defaultLimits, timeMs: 30_000 };

const targets: Target[] = [
  {
    name: 'sandboxed ≥ 1.0× isolated-vm batched',
    subject: fullPlan.runnerBatches.map(runnerName),
    against: 'isolated-vm-batched',
    bound: 1,
    kind: 'ratio-at-least',
    unit: '×',
  },
  {
    name: 'sandboxed ≥ 0.5× native JSON parse + fold',
    subject: fullPlan.runnerBatches.map(runnerName),
    against: 'native-json',
    bound: 0.5,
    kind: 'ratio-at-least',
    unit: '×',
  },
  { name: 'cold start ≤ 1 ms', subject: ['quickjs-runner-loadReducer'], bound: 1, kind: 'value-at-most', unit: 'ms' },
];

/** Runtimes kept alive at once to see the heap grow (a fresh module starts with 16 MiB, about 60 runtimes). */
const memoryRuntimes = 120;

const suiteOrder = ['input', 'machine', 'baseline', 'quickjs', 'bound', 'peers', 'cold-start', 'memory'];

function batchLabel(batch: number): string {
  return batch >= 1000 ? `${batch / 1000}k` : String(batch);
}

function runnerName(batch: number): string {
  return `quickjs-batched-${batchLabel(batch)}`;
}

/** The same batches through the engine on this thread: what `QuickJsRunner` costs without its worker thread and watchdog. */
function inThreadName(batch: number): string {
  return `quickjs-in-thread-${batchLabel(batch)}`;
}

function throughput(suite: string, name: string, count: number, ms: number, compare: readonly string[]): Measurement {
  const measurement: Measurement = { suite, name, value: perSecond(count, ms), unit: 'reports/s', compare };
  progress(`${name}: ${Math.round(measurement.value).toLocaleString('en-US')} reports/s`);
  return measurement;
}

/**
 * Runs one variant; a variant that fails (a limit breached, a build that broke) becomes a skipped row
 * with the reason, so one broken variant does not hide the others. A summary mismatch stops the run.
 */
async function attempt(suite: string, name: string, body: () => Promise<Outcome[]>): Promise<Outcome[]> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof SummaryMismatchError) throw error;
    const reason = error instanceof EdgesumError ? `${error.code}: ${error.message}` : error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    progress(`${name}: skipped — ${reason}`);
    return [{ suite, name, reason }];
  }
}

async function measure(plan: Plan): Promise<Outcome[]> {
  progress(`generating ${plan.reports.toLocaleString('en-US')} seeded fleet reports`);
  const reports = makeReports({ reports: plan.reports, seed: plan.seed });
  const nativeChunks = chunk(reports, plan.nativeChunk).map((batch) => JSON.stringify(batch));
  const sandboxChunks = chunk(reports, plan.sandboxBatch).map((batch) => JSON.stringify(batch));
  const bytes = nativeChunks.reduce((sum, text) => sum + Buffer.byteLength(text), 0);
  const reducers = await importReducers();
  const oracle = foldDirectly(reducers, reports);
  const outcomes: Outcome[] = [
    { suite: 'input', name: 'reports', value: reports.length, unit: 'reports' },
    { suite: 'input', name: 'json-bytes-per-report', value: bytes / reports.length, unit: 'bytes' },
  ];

  // Baselines first: every other row is judged against them, and inline defines the expected output.
  const inline = await inlineBaseline(reports, plan.nativeChunk);
  const inlineTimed = await fastestOf(plan.fastRuns, inline.run);
  await inline.dispose();
  assertSameSummaries('inline', inlineTimed.result, oracle);
  const expected = inlineTimed.result;
  outcomes.push(throughput('baseline', 'inline', reports.length, inlineTimed.ms, ['native-json']));

  const native = await fastestOf(plan.fastRuns, () => nativeJsonPass(reducers, nativeChunks));
  assertSameSummaries('native-json', native.result, expected);
  outcomes.push(throughput('baseline', 'native-json', reports.length, native.ms, ['inline']));

  // Each product row right after its in-thread twin, so both see the same load on a shared machine.
  for (const batch of plan.runnerBatches) {
    for (const [name, kind, compare] of [
      [inThreadName(batch), 'in-thread', sandboxCompare],
      [runnerName(batch), 'quickjs', [...sandboxCompare, inThreadName(batch)]],
    ] as const) {
      outcomes.push(
        ...(await attempt('quickjs', name, async () => {
          const variant = await runnerBatched(reports, batch, benchLimits, kind);
          try {
            const timed = await fastestOf(plan.slowRuns, variant.run);
            assertSameSummaries(name, timed.result, expected);
            return [throughput('quickjs', name, reports.length, timed.ms, compare)];
          } finally {
            await variant.dispose();
          }
        })),
      );
    }
  }

  const control = await twoThreadControl(plan.controlIterations);
  progress(`two-thread control: ${control.toFixed(2)}× (pure JS in two worker threads vs one, right now)`);
  outcomes.push({ suite: 'machine', name: 'two-thread-speedup-control', value: control, unit: '×' });
  outcomes.push(
    ...(await attempt('quickjs', `quickjs-pool-${plan.poolWorkers}w`, async () => {
      const name = `quickjs-pool-${plan.poolWorkers}w`;
      const pool = await QuickJsPool.start(plan.poolWorkers, benchLimits);
      try {
        await pool.warm(sandboxChunks.slice(0, Math.max(1, Math.floor(sandboxChunks.length / 10))));
        const timed = await fastestOf(plan.slowRuns, () => pool.run(sandboxChunks));
        assertSameSummaries(name, timed.result, expected);
        return [throughput('quickjs', name, reports.length, timed.ms, [...sandboxCompare, runnerName(plan.sandboxBatch)])];
      } finally {
        await pool.close();
      }
    })),
  );

  const subset = reports.slice(0, plan.perReport);
  for (const [name, kind, compare] of [
    ['quickjs-in-thread-per-report', 'in-thread', [...throughputBaselines, inThreadName(plan.sandboxBatch)]],
    ['quickjs-per-report', 'quickjs', [...throughputBaselines, runnerName(plan.sandboxBatch), 'quickjs-in-thread-per-report']],
  ] as const) {
    outcomes.push(
      ...(await attempt('quickjs', name, async () => {
        const variant = await runnerPerReport(subset, benchLimits, kind);
        try {
          const timed = await fastestOf(1, variant.run);
          assertSameSummaries(name, timed.result, foldDirectly(reducers, subset));
          return [throughput('quickjs', name, subset.length, timed.ms, compare)];
        } finally {
          await variant.dispose();
        }
      })),
    );
  }

  const plainBundle = await buildPlainBundle();
  const sources = reducerSources();
  const guestBundles = {} as Record<ReducerName, string>;
  // The shim and the plugin's script as one: what a runtime evaluates when no spare was booted ahead.
  for (const name of reducerNames) guestBundles[name] = wholeGuestScript(await bundlePlugin(sources[name]));
  const module = await newReleaseModule();

  outcomes.push(
    ...(await attempt('quickjs', 'quickjs-bare-plain-bundle', async () => {
      const bare = bootBare(module, benchLimits);
      const { invoke, dispose } = plainInvoker(bare, plainBundle);
      try {
        plainPass(invoke, sandboxChunks.slice(0, Math.max(1, Math.floor(sandboxChunks.length / 10))));
        const timed = await fastestOf(plan.slowRuns, () => plainPass(invoke, sandboxChunks));
        assertSameSummaries('quickjs-bare-plain-bundle', timed.result, expected);
        return [throughput('quickjs', 'quickjs-bare-plain-bundle', reports.length, timed.ms, sandboxCompare)];
      } finally {
        dispose();
        bare.dispose();
      }
    })),
  );

  const nodeParse = await fastestOf(plan.fastRuns, () => {
    let parsed = 0;
    for (const text of sandboxChunks) parsed += (JSON.parse(text) as StatusReport[]).length;
    return parsed;
  });
  outcomes.push(throughput('bound', 'node-json-parse-only', nodeParse.result, nodeParse.ms, ['native-json']));
  outcomes.push(
    ...(await attempt('bound', 'quickjs-json-parse-only', async () => {
      const bare = bootBare(module, benchLimits);
      try {
        guestParseOnly(bare, sandboxChunks.slice(0, 1));
        const timed = await fastestOf(plan.slowRuns, () => guestParseOnly(bare, sandboxChunks));
        return [throughput('bound', 'quickjs-json-parse-only', timed.result, timed.ms, ['native-json', 'node-json-parse-only'])];
      } finally {
        bare.dispose();
      }
    })),
  );
  outcomes.push(
    ...(await attempt('bound', 'quickjs-binary-json-decode-only', async () => {
      const bare = bootBare(module, benchLimits);
      try {
        const binaries = encodeBinaryChunks(bare, sandboxChunks);
        guestDecodeOnly(bare, binaries.slice(0, 1));
        const timed = await fastestOf(plan.slowRuns, () => guestDecodeOnly(bare, binaries));
        if (timed.result !== reports.length) {
          throw new SummaryMismatchError(ErrorCodes.PluginOutput, `bench: binary JSON decoded ${timed.result} reports of ${reports.length}`);
        }
        return [throughput('bound', 'quickjs-binary-json-decode-only', timed.result, timed.ms, ['native-json', 'quickjs-json-parse-only'])];
      } finally {
        bare.dispose();
      }
    })),
  );

  outcomes.push(
    ...(await attempt('cold-start', 'quickjs-runtime+guest-bundle', async () => {
      const empty = measureRuntimes(module, benchLimits, plan.runtimes);
      // A fresh module, so that the heap growth it shows is the runtimes' alone (WebAssembly memory never shrinks).
      const guest = measureRuntimes(await newReleaseModule(), benchLimits, Math.max(plan.runtimes, memoryRuntimes), { code: guestBundles.health, filename: 'edgesum-plugin.js' });
      const plain = measureRuntimes(module, benchLimits, plan.runtimes, { code: plainBundle, filename: 'bench-peer.js' });
      const loads = Math.max(5, Math.floor(plan.runtimes / 5));
      const { inThread: loadInThread, spaced: load, backToBack, noSpare } = await coldStarts(benchLimits, loads);
      progress(`cold start: runtime ${empty.medianMs.toFixed(3)} ms, + guest bundle ${guest.medianMs.toFixed(3)} ms, loadReducer ${load.toFixed(3)} ms (back to back ${backToBack.toFixed(3)} ms, no spare ${noSpare.toFixed(3)} ms)`);
      const heap: Outcome = Number.isNaN(guest.heapBytesPerRuntime)
        ? { suite: 'memory', name: 'quickjs-heap-growth-per-runtime', reason: 'the WebAssembly heap grew fewer than twice' }
        : { suite: 'memory', name: 'quickjs-heap-growth-per-runtime', value: guest.heapBytesPerRuntime, unit: 'bytes' };
      return [
        { suite: 'cold-start', name: 'quickjs-runtime+context', value: empty.medianMs, unit: 'ms' },
        { suite: 'cold-start', name: 'quickjs-runtime+guest-bundle', value: guest.medianMs, unit: 'ms' },
        { suite: 'cold-start', name: 'quickjs-runtime+plain-bundle', value: plain.medianMs, unit: 'ms' },
        { suite: 'cold-start', name: 'quickjs-in-thread-loadReducer', value: loadInThread, unit: 'ms' },
        { suite: 'cold-start', name: 'quickjs-runner-loadReducer', value: load, unit: 'ms', compare: ['quickjs-in-thread-loadReducer'] },
        { suite: 'cold-start', name: 'quickjs-runner-loadReducer-back-to-back', value: backToBack, unit: 'ms', compare: ['quickjs-runner-loadReducer'] },
        { suite: 'cold-start', name: 'quickjs-runner-loadReducer-no-spare', value: noSpare, unit: 'ms', compare: ['quickjs-runner-loadReducer'] },
        heap,
        { suite: 'memory', name: 'quickjs-memory-used-per-runtime', value: guest.usedBytesPerRuntime, unit: 'bytes' },
      ];
    })),
  );

  // Peers last and one at a time, so no child competes with another variant for the two cores.
  for (const peer of ['isolated-vm', 'ses', 'cel-js'] as const satisfies readonly PeerName[]) {
    progress(`${peer}: starting its child process`);
    const reply = await runPeer(
      {
        peer,
        reports: plan.reports,
        seed: plan.seed,
        batch: plan.sandboxBatch,
        runtimes: plan.runtimes,
        plainBundle,
        guestBundles,
        memoryBytes: benchLimits.memoryBytes,
        timeMs: benchLimits.timeMs,
        runs: plan.slowRuns,
      },
      plan.peerTimeoutMs,
    );
    if (reply.type === 'result') {
      for (const [variant, summaries] of Object.entries(reply.summaries)) assertSameSummaries(variant, summaries, expected);
      if (reply.predicate !== undefined && reply.predicate.cel !== reply.predicate.js) {
        throw new SummaryMismatchError(ErrorCodes.PluginOutput, `bench: cel-js accepted ${reply.predicate.cel} reports, the same predicate in JS ${reply.predicate.js}`);
      }
      for (const outcome of reply.outcomes) if ('value' in outcome && outcome.unit === 'reports/s') progress(`${outcome.name}: ${Math.round(outcome.value).toLocaleString('en-US')} reports/s`);
    }
    outcomes.push(...peerOutcomes(peer, reply));
  }
  return outcomes;
}

async function main(): Promise<number> {
  let options: { json: boolean; quick: boolean; help: boolean; suite: string };
  try {
    const { values } = parseArgs({
      options: {
        json: { type: 'boolean', default: false },
        quick: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        suite: { type: 'string', default: 'sandbox' },
      },
      strict: true,
    });
    options = { json: values.json === true, quick: values.quick === true, help: values.help === true, suite: values.suite ?? 'sandbox' };
    if (options.suite !== 'sandbox' && options.suite !== 'scale') throw new TypeError(`unknown --suite "${options.suite}"`);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${usage}\n`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const scale = options.suite === 'scale';
  const started = performance.now();
  const outcomes = scale ? await measureScale(options.quick ? scaleQuickPlan : scaleFullPlan) : await measure(options.quick ? quickPlan : fullPlan);
  const order = scale ? scaleSuiteOrder : suiteOrder;
  const ordered = outcomes
    .map((outcome, index) => ({ outcome, index }))
    .sort((a, b) => order.indexOf(a.outcome.suite) - order.indexOf(b.outcome.suite) || a.index - b.index)
    .map(({ outcome }) => outcome);
  const { rows: targetRows, verdict } = judge(ordered, scale ? scaleTargets : targets);
  const rows = [...toRows(ordered), ...targetRows];
  progress(`done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  if (options.json) {
    process.stdout.write(`${JSON.stringify(rows)}\n`);
    process.stderr.write(`${verdict}\n`);
  } else {
    process.stdout.write(`${renderTable(rows)}\n\n${verdict}\n`);
  }
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const text = error instanceof EdgesumError ? `${error.code}: ${error.message}\n${error.hint}` : error instanceof Error ? (error.stack ?? error.message) : String(error);
    process.stderr.write(`bench failed: ${text}\n`);
    process.exitCode = 1;
  },
);

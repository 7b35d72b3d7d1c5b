/**
 * One variant of the scale suite in a process of its own, so its peak RSS is its own: builds the
 * hierarchy, ingests every slice, settles, then (when asked) runs steady-state ticks and single
 * changed reports, and replies with its timings, counters and the center's summaries.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Json, StatusReport } from '../core/contract.js';
import { ManualClock } from '../core/clock/index.js';
import { createHierarchy, runnerNamed } from '../app/container.js';
import type { PartialMessage } from '../core/transport/index.js';
import { InProcessBus } from '../core/transport/in-process.js';
import type { AccUpdate, CallContext, PluginLimits, PluginRunner, PluginSource, ReducerHandle } from '../sandbox/index.js';
import type { RunnerName } from '../app/container.js';
import { deploymentStatus } from '../core/sim/fleet.js';
import { EdgesumError, ErrorCodes } from '../core/errors.js';
import { jsonBytes, scaleBindings, scaleNow, scaleTopology, sliceCount, sliceDestinations, sliceReports, type BindingSet, type ScaleShape } from './scale-workload.js';

/** What the parent asks a child to run. */
export interface ScaleJob {
  readonly variant: string;
  readonly runner: RunnerName;
  readonly bindings: BindingSet;
  readonly shape: ScaleShape;
  /** Steady-state ticks after the first settle: every destination re-reports once per 30 s tick. */
  readonly ticks: number;
  /** Single changed reports, each ingested and settled alone. */
  readonly changes: number;
  /** Only ingest and store: no settle, no summaries (the ingest-alone rows). */
  readonly ingestOnly?: boolean;
}

/** What a child measured. */
export interface ScaleResult {
  readonly type: 'result';
  readonly reports: number;
  readonly rawBytes: number;
  readonly ingestMs: number;
  readonly settleMs: number;
  /** Peak RSS of the child once the 1M reports are settled and summarized, before the steady-state ticks. */
  readonly maxRssBytes: number;
  readonly centerInboundBytes: number;
  /** CPU time (all threads) of each steady-state tick. */
  readonly tickCpuMs: number[];
  /** Wall time of each single change, ingest to the center's summaries reflecting it. */
  readonly changeMs: number[];
  /** Reports handed to `reduce`/`update` per change, summed over bindings and levels. */
  readonly changeRefolded: number[];
  /** Plugin calls per change. */
  readonly changeCalls: number[];
  readonly summaries: Json;
}

export type ScaleReply = ScaleResult | { readonly type: 'failed'; readonly reason: string };

/** Counts the reports and calls that cross into the plugins: how much work a change costs. */
class CountingRunner implements PluginRunner {
  reports = 0;
  calls = 0;
  constructor(private readonly inner: PluginRunner) {}
  get name(): string {
    return this.inner.name;
  }
  async loadReducer(source: PluginSource, limits?: Partial<PluginLimits>): Promise<ReducerHandle> {
    const handle = await this.inner.loadReducer(source, limits);
    return {
      info: handle.info,
      reduce: (groups: readonly (readonly StatusReport[])[], call: CallContext) => {
        this.calls++;
        for (const group of groups) this.reports += group.length;
        return handle.reduce(groups, call);
      },
      update: (items: readonly AccUpdate[], call: CallContext) => {
        this.calls++;
        for (const item of items) this.reports += item.remove.length + item.add.length;
        return handle.update(items, call);
      },
      merge: (groups, call) => {
        this.calls++;
        return handle.merge(groups, call);
      },
      finish: (accs, call) => {
        this.calls++;
        return handle.finish(accs, call);
      },
    };
  }
  loadPolicy(source: PluginSource, limits?: Partial<PluginLimits>) {
    return this.inner.loadPolicy(source, limits);
  }
  memoryBytes(): number {
    return this.inner.memoryBytes?.() ?? 0;
  }
  dispose(): Promise<void> {
    return this.inner.dispose();
  }
}

/** The in-process bus, counting the JSON bytes of every partial that reaches the center. */
class CountingBus extends InProcessBus {
  centerBytes = 0;
  override async sendPartial(to: string, message: PartialMessage): Promise<void> {
    if (to === 'center') this.centerBytes += Buffer.byteLength(JSON.stringify(message));
    await super.sendPartial(to, message);
  }
}

async function run(job: ScaleJob): Promise<ScaleResult> {
  const { shape } = job;
  const clock = new ManualClock(scaleNow);
  const topology = scaleTopology(shape);
  const runner = new CountingRunner(runnerNamed(job.runner, { timeMs: 60_000 }));
  const bus = new CountingBus();
  const hierarchy = await createHierarchy({ topology, bindings: scaleBindings(job.bindings) }, { clock, runner, transport: bus });
  try {
    let reports = 0;
    let rawBytes = 0;
    let ingestMs = 0;
    const slices = sliceCount(shape);
    for (let slice = 0; slice < slices; slice++) {
      const batch = sliceReports(topology, shape, slice);
      reports += batch.length;
      if (slice % 10 === 0) rawBytes += jsonBytes(batch) * Math.min(10, slices - slice);
      const start = performance.now();
      const result = hierarchy.ingest(batch);
      ingestMs += performance.now() - start;
      if ((slice + 1) % Math.max(1, Math.floor(slices / 10)) === 0) process.stderr.write(`[bench] ${job.variant}: ingested ${reports.toLocaleString('en-US')} reports\n`);
      if (result.accepted !== batch.length) throw new EdgesumError(ErrorCodes.Internal, `slice ${slice}: ${result.accepted} of ${batch.length} accepted`);
    }
    const result = { type: 'result' as const, reports, rawBytes, ingestMs, tickCpuMs: [] as number[], changeMs: [] as number[], changeRefolded: [] as number[], changeCalls: [] as number[] };
    if (job.ingestOnly === true) {
      return { ...result, settleMs: 0, maxRssBytes: process.resourceUsage().maxRSS * 1024, centerInboundBytes: 0, summaries: null };
    }
    process.stderr.write(`[bench] ${job.variant}: settling\n`);
    const settleStart = performance.now();
    await hierarchy.settle();
    const settleMs = performance.now() - settleStart;
    const summaries = (await hierarchy.summaries()) as unknown as Json;
    const maxRssBytes = process.resourceUsage().maxRSS * 1024;
    const centerInboundBytes = bus.centerBytes;

    // Steady state: each destination sends its `web` report again once per tick, a new seq and observedAt.
    for (let tick = 0; tick < job.ticks; tick++) {
      clock.advance(30_000);
      const cpu = process.cpuUsage();
      for (let slice = 0; slice < slices; slice++) {
        const again = sliceReports(topology, shape, slice, 2 + tick, clock.now()).filter((_, i) => i % shape.objects === 0);
        hierarchy.ingest(again);
      }
      await hierarchy.settle();
      const used = process.cpuUsage(cpu);
      result.tickCpuMs.push((used.user + used.system) / 1000);
    }

    // One changed report at a time: a destination's `web` copy turns failing or progressing, always
    // to a status other than the one it had (a copy that changed nothing `health` reads folds
    // nothing and would measure no work at all).
    const statuses = [deploymentStatus({ generation: 3, ready: 1, updated: 3, failing: true }), deploymentStatus({ generation: 3, ready: 2, updated: 3, failing: false })];
    const stride = Math.max(1, Math.floor(shape.destinations / Math.max(1, job.changes)));
    for (let i = 0; i < job.changes; i++) {
      clock.advance(10);
      const slice = Math.floor((i * stride) / sliceDestinations) % slices;
      const web = sliceReports(topology, shape, slice, 1_000 + i, clock.now())[((i * stride) % sliceDestinations) * shape.objects]!;
      const status = [statuses[i % 2]!, statuses[(i + 1) % 2]!].find((candidate) => !isDeepStrictEqual(candidate, web.status))!;
      const changed: StatusReport = { ...web, status };
      const refolded = runner.reports;
      const calls = runner.calls;
      const start = performance.now();
      hierarchy.ingest([changed]);
      await hierarchy.settle();
      await hierarchy.summaries();
      result.changeMs.push(performance.now() - start);
      result.changeRefolded.push(runner.reports - refolded);
      result.changeCalls.push(runner.calls - calls);
    }
    return { ...result, settleMs, maxRssBytes, centerInboundBytes, summaries };
  } finally {
    await hierarchy.dispose();
  }
}

process.once('message', (job: ScaleJob) => {
  run(job).then(
    (result) => process.send!(result, () => process.exit(0)),
    (error: unknown) => process.send!({ type: 'failed', reason: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }, () => process.exit(0)),
  );
});

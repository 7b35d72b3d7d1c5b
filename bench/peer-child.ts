/**
 * A peer's child process (see `peers.ts`): receives one {@link PeerJob}, measures, sends one
 * {@link PeerReply} and exits. The peers are imported by name at run time, with the few types used
 * here declared locally, so the repository type-checks without `bench/node_modules`.
 */
import type { StatusReport } from '../core/contract.js';
import { plainEntryScript, plainGlobal, plainPass, type PlainInvoke } from './plain-bundle.js';
import type { PeerJob, PeerReply } from './peers.js';
import type { Measurement, Outcome } from './rows.js';
import { throughputBaselines } from './rows.js';
import { fastestOf, perSecond } from './timing.js';
import { chunk, makeReports, reducerNames, type ReducerName, type Summaries } from './workload.js';
import { median } from './quickjs.js';

interface IvmReference {
  applySync(receiver: undefined, args: readonly unknown[], options?: { timeout?: number }): unknown;
  release(): void;
}
interface IvmContext {
  evalSync(code: string, options?: { filename?: string; timeout?: number; reference?: boolean }): unknown;
  release(): void;
}
interface IvmIsolate {
  createContextSync(): IvmContext;
  getHeapStatisticsSync(): { used_heap_size: number };
  dispose(): void;
}
interface IvmModule {
  Isolate: new (options: { memoryLimit: number }) => IvmIsolate;
}
interface SesCompartment {
  evaluate(code: string): unknown;
}
interface SesGlobals {
  lockdown(options?: Record<string, string>): void;
  Compartment: new (options: { __options__: true; globals?: Record<string, unknown> }) => SesCompartment;
}
interface CelModule {
  parse(expression: string): (context: Record<string, unknown>) => unknown;
}

/** The CEL counterpart of a per-object readiness check; `has()` keeps reports without replicas (Namespaces) false. */
export const readyExpression =
  'has(spec.replicas) && has(status.readyReplicas) && status.readyReplicas >= spec.replicas && status.observedGeneration >= metadata.generation';

const mib = 1024 * 1024;

async function load<T>(specifier: string): Promise<T> {
  // A variable specifier keeps tsc from resolving the package, which may not be installed.
  const module = (await import(specifier)) as { default?: T } & T;
  return module.default ?? module;
}

/** The chunks that warm a sandbox's JIT before it is timed: a tenth of the run, as for the QuickJS rows. */
function warmup(chunks: readonly string[]): readonly string[] {
  return chunks.slice(0, Math.max(1, Math.floor(chunks.length / 10)));
}

function texts(reports: readonly StatusReport[], size: number): string[] {
  return chunk(reports, size).map((batch) => JSON.stringify(batch));
}

async function isolatedVm(job: PeerJob, reports: readonly StatusReport[]): Promise<PeerReply> {
  const ivm = await load<IvmModule>('isolated-vm');
  const chunks = texts(reports, job.batch);
  const outcomes: Outcome[] = [];
  const summaries: Record<string, Summaries> = {};
  const newIsolate = () => new ivm.Isolate({ memoryLimit: Math.max(8, Math.round(job.memoryBytes / mib)) });

  // Both reducers in one isolate, the peer bundle, one call per chunk and reducer.
  const isolate = newIsolate();
  try {
    const context = isolate.createContextSync();
    context.evalSync(job.plainBundle, { filename: 'bench-peer.js', timeout: job.timeMs });
    const fn = context.evalSync(`(p, h, j) => ${plainGlobal}.call(p, h, j)`, { reference: true }) as IvmReference;
    const invoke: PlainInvoke = (plugin, hook, json) => fn.applySync(undefined, [plugin, hook, json], { timeout: job.timeMs }) as string;
    plainPass(invoke, warmup(chunks));
    const timed = await fastestOf(job.runs, () => plainPass(invoke, chunks));
    summaries['isolated-vm-batched'] = timed.result;
    outcomes.push(throughput('isolated-vm-batched', reports.length, timed.ms, throughputBaselines));
  } finally {
    isolate.dispose();
  }

  // One isolate per reducer evaluating the sandbox's own guest bundle, as QuickJS runs it.
  const isolates: IvmIsolate[] = [];
  try {
    const fns = {} as Record<ReducerName, IvmReference>;
    for (const name of reducerNames) {
      const own = newIsolate();
      isolates.push(own);
      const context = own.createContextSync();
      context.evalSync(job.guestBundles[name], { filename: 'edgesum-plugin.js', timeout: job.timeMs });
      fns[name] = context.evalSync('(h, j) => __edgesum.call(h, j)', { reference: true }) as IvmReference;
    }
    const invoke: PlainInvoke = (plugin, hook, json) => fns[plugin].applySync(undefined, [hook, json], { timeout: job.timeMs }) as string;
    plainPass(invoke, warmup(chunks));
    const timed = await fastestOf(job.runs, () => plainPass(invoke, chunks));
    summaries['isolated-vm-guest-bundle'] = timed.result;
    outcomes.push(throughput('isolated-vm-guest-bundle', reports.length, timed.ms, throughputBaselines));
  } finally {
    for (const own of isolates) own.dispose();
  }

  const times: number[] = [];
  const used: number[] = [];
  for (let i = 0; i < job.runtimes; i++) {
    const start = performance.now();
    const own = newIsolate();
    own.createContextSync().evalSync(job.guestBundles.health, { filename: 'edgesum-plugin.js', timeout: job.timeMs });
    times.push(performance.now() - start);
    used.push(own.getHeapStatisticsSync().used_heap_size);
    own.dispose();
  }
  outcomes.push({ suite: 'cold-start', name: 'isolated-vm-isolate+guest-bundle', value: median(times), unit: 'ms' });
  outcomes.push({ suite: 'memory', name: 'isolated-vm-heap-used-per-isolate', value: median(used), unit: 'bytes' });
  return { type: 'result', outcomes, summaries };
}

async function ses(job: PeerJob, reports: readonly StatusReport[]): Promise<PeerReply> {
  const chunks = texts(reports, job.batch);
  await import('ses' as string);
  const { lockdown, Compartment } = globalThis as unknown as SesGlobals;
  const outcomes: Outcome[] = [];
  const summaries: Record<string, Summaries> = {};
  // Everything this process needs is imported above: from here on the realm's intrinsics are frozen.
  const locked = performance.now();
  lockdown({ errorTaming: 'unsafe', consoleTaming: 'unsafe', stackFiltering: 'verbose', overrideTaming: 'severe' });
  outcomes.push({ suite: 'cold-start', name: 'ses-lockdown', value: performance.now() - locked, unit: 'ms' });

  const plain = new Compartment({ __options__: true, globals: {} });
  const fn = plain.evaluate(plainEntryScript(job.plainBundle)) as PlainInvoke;
  plainPass(fn, warmup(chunks));
  const timed = await fastestOf(job.runs, () => plainPass(fn, chunks));
  summaries['ses-batched'] = timed.result;
  outcomes.push(throughput('ses-batched', reports.length, timed.ms, throughputBaselines));

  try {
    const fns = {} as Record<ReducerName, (hook: string, json: string) => string>;
    for (const name of reducerNames) {
      const own = new Compartment({ __options__: true, globals: {} });
      fns[name] = own.evaluate(`${job.guestBundles[name]}\n;(h, j) => __edgesum.call(h, j)`) as (hook: string, json: string) => string;
    }
    const invoke: PlainInvoke = (plugin, hook, json) => fns[plugin](hook, json);
    plainPass(invoke, warmup(chunks));
    const guest = await fastestOf(job.runs, () => plainPass(invoke, chunks));
    summaries['ses-guest-bundle'] = guest.result;
    outcomes.push(throughput('ses-guest-bundle', reports.length, guest.ms, throughputBaselines));
  } catch (error) {
    // The edgesum guest freezes and redefines intrinsics itself, which lockdown already froze.
    outcomes.push({ suite: 'peers', name: 'ses-guest-bundle', reason: `the edgesum guest bundle does not evaluate under SES lockdown (${(error as Error).message}); ses-batched runs the plain bundle` });
  }

  const times: number[] = [];
  for (let i = 0; i < job.runtimes; i++) {
    const start = performance.now();
    new Compartment({ __options__: true, globals: {} }).evaluate(plainEntryScript(job.plainBundle));
    times.push(performance.now() - start);
  }
  outcomes.push({ suite: 'cold-start', name: 'ses-compartment+bundle', value: median(times), unit: 'ms' });
  return { type: 'result', outcomes, summaries };
}

async function celJs(job: PeerJob, reports: readonly StatusReport[]): Promise<PeerReply> {
  const cel = await load<CelModule>('@marcbachmann/cel-js');
  const program = cel.parse(readyExpression);
  const pass = () => {
    let ready = 0;
    for (const report of reports) if (program({ metadata: report.metadata ?? {}, spec: report.spec ?? {}, status: report.status }) === true) ready++;
    return ready;
  };
  pass();
  const timed = await fastestOf(Math.max(3, job.runs), pass);
  let js = 0;
  for (const report of reports) {
    const spec = (report.spec ?? {}) as { replicas?: unknown };
    const status = report.status as { readyReplicas?: unknown; observedGeneration?: number };
    const generation = report.metadata?.generation ?? 0;
    if (typeof spec.replicas === 'number' && typeof status.readyReplicas === 'number' && status.readyReplicas >= spec.replicas && (status.observedGeneration ?? 0) >= generation) js++;
  }
  return {
    type: 'result',
    outcomes: [throughput('cel-js-per-report', reports.length, timed.ms, throughputBaselines)],
    summaries: {},
    predicate: { cel: timed.result, js },
  };
}

function throughput(name: string, count: number, ms: number, compare: readonly string[]): Measurement {
  return { suite: 'peers', name, value: perSecond(count, ms), unit: 'reports/s', compare };
}

async function main(job: PeerJob): Promise<PeerReply> {
  try {
    const reports = makeReports({ reports: job.reports, seed: job.seed });
    if (job.peer === 'isolated-vm') return await isolatedVm(job, reports);
    if (job.peer === 'ses') return await ses(job, reports);
    return await celJs(job, reports);
  } catch (error) {
    return { type: 'failed', reason: `${job.peer} failed: ${error instanceof Error ? error.message : String(error)}` };
  }
}

process.once('message', (job: PeerJob) => {
  void main(job).then((reply) => process.send!(reply, () => process.exit(0)));
});

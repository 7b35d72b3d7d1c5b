/**
 * `npx tsx bench/profile.ts [--reports N] [--batch N]`: where the time of the QuickJS engine's
 * batched path goes (the engine on this thread: `QuickJsRunner` runs the same in a worker thread,
 * which a profile of this thread would not see). Two views, both printed as tables on stdout:
 *
 * 1. A V8 CPU profile (the inspector's sampler, the same data as `node --cpu-prof`) of the timed
 *    pass alone, self time grouped by what runs: the QuickJS interpreter (WebAssembly; the release
 *    build has no function names, so it is one group), emscripten's glue (the UTF-8 encoding of every
 *    request string into the WebAssembly heap), the runner's host code, the host's GC.
 * 2. Inside the guest, which the profile cannot split: the same requests timed step by step on a
 *    bare runtime (copy in, `JSON.parse`, fold with the plain shim, fold with the edgesum guest shim).
 */
import { Session } from 'node:inspector/promises';
import { parseArgs } from 'node:util';
import type { Profiler } from 'node:inspector';
import { bundlePlugin, defaultLimits, newReleaseModule, type PluginLimits } from '../sandbox/index.js';
import { encodeBinaryJson } from '../sandbox/quickjs/binary-json.js';
import { buildPlainBundle, plainRequest } from './plain-bundle.js';
import { bootBare, guestParseOnly, plainInvoker, runnerBatched, wholeGuestScript } from './quickjs.js';
import { fastestOf, perSecond, progress } from './timing.js';
import { callContext, chunk, makeReports, reducerNames, reducerSources } from './workload.js';

const limits: PluginLimits = { ...defaultLimits, timeMs: 30_000 };

function group(frame: Profiler.ProfileNode['callFrame']): string | undefined {
  const file = frame.url.split('/').pop() ?? '';
  if (frame.functionName === '(idle)' || frame.functionName === '(program)') return undefined;
  if (frame.functionName.startsWith('wasm-function')) return 'QuickJS interpreter (WebAssembly)';
  if (frame.functionName === '(garbage collector)') return 'host GC';
  if (file.startsWith('emscripten-module')) return 'emscripten glue (UTF-8 copies of strings in and out)';
  if (/^(plugin-sandbox|in-thread|wasm-host|failures|binary-json)\.ts$/.test(file)) return 'runner host code (binary JSON encoding of the items, envelope parse, checks)';
  if (frame.url.includes('quickjs-emscripten')) return 'quickjs-emscripten handles and calls';
  return 'other host code (bench loop, promises)';
}

async function profileRunner(reports: ReturnType<typeof makeReports>, batch: number): Promise<void> {
  const variant = await runnerBatched(reports, batch, limits, 'in-thread');
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 200 });
    await session.post('Profiler.start');
    const start = performance.now();
    await variant.run();
    const ms = performance.now() - start;
    const { profile } = await session.post('Profiler.stop');
    const byId = new Map(profile.nodes.map((node) => [node.id, node]));
    const self = new Map<string, number>();
    const deltas = profile.timeDeltas ?? [];
    (profile.samples ?? []).forEach((id, index) => {
      const name = group(byId.get(id)!.callFrame);
      if (name !== undefined) self.set(name, (self.get(name) ?? 0) + (deltas[index] ?? 0) / 1000);
    });
    const total = [...self.values()].reduce((sum, value) => sum + value, 0);
    process.stdout.write(`QuickJS engine, batches of ${batch}: ${reports.length} reports in ${ms.toFixed(0)} ms = ${Math.round(perSecond(reports.length, ms))} reports/s\n`);
    process.stdout.write(`self time by group (CPU profile of the timed pass, ${total.toFixed(0)} ms sampled):\n`);
    for (const [name, value] of [...self.entries()].sort((a, b) => b[1] - a[1])) {
      process.stdout.write(`  ${((100 * value) / total).toFixed(1).padStart(5)}%  ${value.toFixed(0).padStart(6)} ms  ${name}\n`);
    }
  } finally {
    session.disconnect();
    await variant.dispose();
  }
}

async function splitGuest(reports: ReturnType<typeof makeReports>, batch: number): Promise<void> {
  const callJson = JSON.stringify(callContext);
  const requests = chunk(reports, batch).map((part) => plainRequest(callJson, `[${JSON.stringify(part)}]`));
  const binaries = chunk(reports, batch).map((part) => encodeBinaryJson([part])!);
  const module = await newReleaseModule();
  const bare = bootBare(module, limits);
  const plain = plainInvoker(bare, await buildPlainBundle());
  const steps: [string, () => void][] = [
    ['host JSON.stringify of the report objects (runner only)', () => chunk(reports, batch).forEach((part) => JSON.stringify({ call: callContext, items: [part] }))],
    ['copy of the request into WebAssembly (newString)', () => requests.forEach((text) => bare.context.newString(text).dispose())],
    ['copy + guest JSON.parse', () => guestParseOnly(bare, requests)],
    ['host encodeBinaryJson of the report objects (runner)', () => chunk(reports, batch).forEach((part) => encodeBinaryJson([part]))],
    [
      'copy of the binary items into WebAssembly + guest decodeBinaryJSON',
      () =>
        binaries.forEach((bytes) => {
          const buffer = bare.context.newArrayBuffer(bytes.buffer as ArrayBuffer);
          bare.context.decodeBinaryJSON(buffer).dispose();
          buffer.dispose();
        }),
    ],
  ];
  for (const name of reducerNames) steps.push([`copy + parse + fold ${name} (plain shim)`, () => requests.forEach((text) => plain.invoke(name, 'reduce', text))]);
  const guests: { dispose(): void }[] = [];
  for (const name of reducerNames) {
    const bundle = await bundlePlugin(reducerSources()[name]);
    const guest = bootBare(module, limits, { code: wholeGuestScript(bundle), filename: bundle.filename });
    const fn = guest.context.unwrapResult(guest.context.evalCode('(h, j) => __edgesum.call(h, j)'));
    // Handles go before their runtime: QuickJS asserts that a freed runtime holds no objects.
    guests.push(fn, guest);
    steps.push([
      `copy + parse + fold ${name} (edgesum guest shim, hardened realm)`,
      () =>
        requests.forEach((text) => {
          const hook = guest.context.newString('reduce');
          const json = guest.context.newString(text);
          guest.context.unwrapResult(guest.context.callFunction(fn, guest.context.undefined, hook, json)).dispose();
          hook.dispose();
          json.dispose();
        }),
    ]);
  }
  process.stdout.write(`\ninside the guest, per report (bare runtime, limits on, batches of ${batch}, fastest of 3):\n`);
  for (const [name, step] of steps) {
    step();
    const { ms } = await fastestOf(3, step);
    process.stdout.write(`  ${((ms * 1000) / reports.length).toFixed(2).padStart(6)} µs  ${name}\n`);
  }
  plain.dispose();
  bare.dispose();
  for (const guest of guests) guest.dispose();
}

const { values } = parseArgs({ options: { reports: { type: 'string', default: '50000' }, batch: { type: 'string', default: '1000' } } });
const reports = makeReports({ reports: Number(values.reports), seed: 0x5eed });
const batch = Number(values.batch);
progress(`profiling ${reports.length} reports in batches of ${batch}`);
await profileRunner(reports, batch);
await splitGuest(reports.slice(0, Math.min(reports.length, 20_000)), batch);

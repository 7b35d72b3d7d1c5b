/**
 * Measures the QuickJS builds the runner can use, through its engine (`InThreadQuickJsRunner`), and prints a Markdown
 * table for `bench/README.md` (section "QuickJS build"). Run: `npx tsx sandbox/quickjs/measure-builds.ts`.
 * Sync builds only: the runner never suspends a guest call.
 */
import ngReleaseSync from '@jitl/quickjs-ng-wasmfile-release-sync';
import { newQuickJSWASMModuleFromVariant, RELEASE_SYNC, type QuickJSSyncVariant } from 'quickjs-emscripten';
import type { StatusReport } from '../../core/contract.js';
import { callAt, fixture, report } from '../fixtures/reports.js';
import { InlineRunner } from '../inline.js';
import { InThreadQuickJsRunner } from './in-thread.js';
import type { QuickJsModuleFactory } from './wasm-host.js';

const builds: readonly (readonly [string, QuickJSSyncVariant])[] = [
  ['Bellard QuickJS, release-sync', RELEASE_SYNC],
  ['quickjs-ng, release-sync', ngReleaseSync as unknown as QuickJSSyncVariant],
];

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function timed(times: number, body: () => Promise<unknown>): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < times; i++) {
    const start = performance.now();
    await body();
    samples.push(performance.now() - start);
  }
  return median(samples);
}

async function measure(variant: QuickJSSyncVariant): Promise<Record<string, number>> {
  const newModule: QuickJsModuleFactory = () => newQuickJSWASMModuleFromVariant(variant);
  const instantiate = await timed(5, newModule);
  const call = callAt();
  const reports: StatusReport[] = Array.from({ length: 1000 }, (_, i) =>
    report(`edge-${i}`, { replicas: 3, readyReplicas: i % 7 === 0 ? 1 : 3, conditions: [{ type: 'Available', status: i % 7 === 0 ? 'False' : 'True', reason: `R${i % 3}` }] }),
  );

  const runner = new InThreadQuickJsRunner({ newModule, limits: { timeMs: 10_000 } });
  const counter = await runner.loadReducer(fixture('ready-count'));
  // Warm the WebAssembly JIT before timing steady-state numbers.
  for (let i = 0; i < 20; i++) await counter.reduce([reports.slice(0, 50)], call);
  const boot = await timed(15, () => runner.loadReducer(fixture('ready-count')));
  const bootZod = await timed(3, () => runner.loadReducer(fixture('with-zod')));
  const one = await timed(1000, () => counter.reduce([reports.slice(0, 1)], call));
  const thousand = await timed(60, () => counter.reduce([reports], call));
  const merge = await timed(60, async () => counter.merge([await counter.reduce(Array.from({ length: 100 }, (_, i) => reports.slice(i * 10, i * 10 + 10)), call)], call));
  await runner.dispose();

  const limited = new InThreadQuickJsRunner({ newModule, limits: { timeMs: 100 } });
  const spin = await limited.loadReducer({ spec: 'spin', entry: new URL('../../test/hostile/plugins/spin.ts', import.meta.url).pathname });
  const timeout = await timed(3, () => spin.reduce([[report('edge', { attack: true })]], call).catch(() => undefined));
  await limited.dispose();
  const inline = new InlineRunner();
  const reference = await inline.loadReducer(fixture('ready-count'));
  const inlineThousand = await timed(20, () => reference.reduce([reports], call));
  return { instantiate, boot, bootZod, one, thousand, merge, timeout, inlineThousand };
}

// `--only <n>` measures one build, so each can run in a fresh process.
const only = process.argv.indexOf('--only');
const selected = only < 0 ? builds : builds.filter((_, i) => i === Number(process.argv[only + 1]));
const rows: string[] = [];
const header = only < 0 || process.argv.includes('--header');
for (const [name, variant] of selected) {
  const m = await measure(variant);
  const f = (ms: number) => ms.toFixed(ms < 10 ? 2 : 1);
  rows.push(`| ${name} | ${f(m.instantiate!)} | ${f(m.boot!)} | ${f(m.bootZod!)} | ${f(m.one!)} | ${f(m.thousand!)} | ${f(m.merge!)} | ${f(m.timeout!)} | ${f(m.inlineThousand!)} |`);
}
if (header) console.log('All times in ms, medians. Columns: instantiate module; load plugin (bundle cached: runtime, bundle evaluation, hardening, describe); the same for a plugin bundling zod (800 KB); reduce 1 report; reduce 1000 reports; reduce 100 groups of 10 then merge them; a `while(true)` stopped under a 100 ms limit; inline runner, reduce 1000 reports.');
if (header) console.log('');
if (header) console.log('| build | instantiate | load | load zod | reduce 1 | reduce 1000 | 100×10 + merge | 100 ms timeout | inline 1000 |');
if (header) console.log('|---|---|---|---|---|---|---|---|---|');
for (const row of rows) console.log(row);

/**
 * `npx tsx bench/runner-rows.ts [--reports N] [--rounds N]`: only the QuickJS runner rows of the
 * sandbox suite (`quickjs-in-thread-1k`/`-10k`, `quickjs-batched-1k`/`-10k`, `quickjs-per-report`
 * on a tenth of the reports), each the fastest of `rounds` passes taken in turn, one pass of every
 * row per round, so that a busy moment on a shared box hits every row alike. For comparing one
 * lever against the commit before it in alternating runs; prints one JSON object on stdout.
 */
import { parseArgs } from 'node:util';
import { defaultLimits, type PluginLimits } from '../sandbox/index.js';
import { runnerBatched, runnerPerReport } from './quickjs.js';
import { perSecond, progress } from './timing.js';
import { makeReports } from './workload.js';

const { values } = parseArgs({ options: { reports: { type: 'string', default: '20000' }, rounds: { type: 'string', default: '5' } } });
const reports = makeReports({ reports: Number(values.reports), seed: 0x5eed });
const perReport = reports.slice(0, Math.ceil(reports.length / 10));
const limits: PluginLimits = { ...defaultLimits, timeMs: 30_000 };

const rows = [
  { name: 'quickjs-in-thread-1k', count: reports.length, variant: await runnerBatched(reports, 1_000, limits, 'in-thread') },
  { name: 'quickjs-in-thread-10k', count: reports.length, variant: await runnerBatched(reports, 10_000, limits, 'in-thread') },
  { name: 'quickjs-batched-1k', count: reports.length, variant: await runnerBatched(reports, 1_000, limits) },
  { name: 'quickjs-batched-10k', count: reports.length, variant: await runnerBatched(reports, 10_000, limits) },
  { name: 'quickjs-per-report', count: perReport.length, variant: await runnerPerReport(perReport, limits) },
];
const best = new Map<string, number>();
for (let round = 0; round < Number(values.rounds); round++) {
  progress(`round ${round + 1} of ${values.rounds}`);
  for (const { name, variant } of rows) {
    const start = performance.now();
    await variant.run();
    const ms = performance.now() - start;
    best.set(name, Math.min(best.get(name) ?? Number.POSITIVE_INFINITY, ms));
  }
}
for (const { variant } of rows) await variant.dispose();
process.stdout.write(`${JSON.stringify(Object.fromEntries(rows.map(({ name, count }) => [name, Math.round(perSecond(count, best.get(name)!))])))}\n`);

/**
 * `npx tsx bench/scale-one.ts <variant> <runner> <health|all> [destinations] [ticks] [changes]`:
 * one hierarchy variant of the scale suite alone (no steady-state ticks or single changes unless
 * asked), for comparing one lever's time and peak RSS without the whole suite.
 * `npx tsx bench/scale-one.ts cold-start` runs the suite's cold-start rows alone.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { RunnerName } from '../app/container.js';
import { defaultLimits } from '../sandbox/index.js';
import { coldStarts } from './quickjs.js';
import { percentile } from './scale.js';
import type { ScaleJob, ScaleReply } from './scale-child.js';
import type { BindingSet } from './scale-workload.js';

const [variant = 'all-quickjs', runner = 'quickjs', bindings = 'all', destinations = '100000', ticks = '0', changes = '0'] = process.argv.slice(2);
if (variant === 'cold-start') {
  const { inThread, spaced, backToBack, noSpare } = await coldStarts(defaultLimits, 10);
  process.stdout.write(`cold-start: ${spaced.toFixed(2)} ms (in-thread ${inThread.toFixed(2)} ms, back to back ${backToBack.toFixed(2)} ms, no spare ${noSpare.toFixed(2)} ms)\n`);
  process.exit(0);
}
const count = Number(destinations);
const job: ScaleJob = {
  variant,
  runner: runner as RunnerName,
  bindings: bindings as BindingSet,
  shape: { destinations: count, regions: Math.max(1, Math.round(count / 1000)), sitesPerRegion: 10, objects: 10, seed: 0x5ca1e },
  ticks: Number(ticks),
  changes: Number(changes),
};
const child = fork(fileURLToPath(new URL('./scale-child.ts', import.meta.url)), [], { execArgv: [...process.execArgv, '--max-old-space-size=6144'], serialization: 'advanced' });
child.on('message', (reply: ScaleReply) => {
  if (reply.type === 'failed') process.stdout.write(`${variant}: failed: ${reply.reason}\n`);
  else {
    process.stdout.write(`${variant}: ingest ${(reply.ingestMs / 1000).toFixed(1)} s, settle ${(reply.settleMs / 1000).toFixed(1)} s, peak RSS ${(reply.maxRssBytes / 2 ** 20).toFixed(0)} MiB\n`);
    // A tick's CPU time as a share of one core over the 30 s it stands for, scaled to 100k destinations as the suite does.
    if (reply.tickCpuMs.length > 0) process.stdout.write(`  steady: ${reply.tickCpuMs.map((ms) => `${((ms / 30_000) * 100 * (100_000 / count)).toFixed(1)}%`).join(' ')} of a core per tick at 100k destinations\n`);
    if (reply.changeMs.length > 0) process.stdout.write(`  change: p50 ${percentile(reply.changeMs, 50).toFixed(1)} ms, p99 ${percentile(reply.changeMs, 99).toFixed(1)} ms, calls p50 ${percentile(reply.changeCalls, 50)}\n`);
  }
  child.kill();
});
child.send(job);

/**
 * `npx tsx --cpu-prof bench/scale-profile.ts [ingest|settle|change] [health|all] [inline|quickjs]`:
 * one scale variant at a tenth of the fleet under V8's profiler, and the self time by function of
 * the phase asked for; how the profiles in bench/README.md were taken.
 */
import { ManualClock } from '../core/clock/index.js';
import { createHierarchy, runnerNamed, type RunnerName } from '../app/container.js';
import { deploymentStatus } from '../core/sim/fleet.js';
import { scaleBindings, scaleNow, scaleTopology, sliceCount, sliceReports, type BindingSet } from './scale-workload.js';
import { Session } from 'node:inspector/promises';

const [phase = 'ingest', bindings = 'health', runnerName = 'inline'] = process.argv.slice(2);
const shape = { destinations: 10_000, regions: 10, sitesPerRegion: 10, objects: 10, seed: 0x5ca1e };
const clock = new ManualClock(scaleNow);
const topology = scaleTopology(shape);
const hierarchy = await createHierarchy({ topology, bindings: scaleBindings(bindings as BindingSet) }, { clock, runner: runnerNamed(runnerName as RunnerName, { timeMs: 60_000 }) });
const session = new Session();
session.connect();
await session.post('Profiler.enable');
const profile = async (body: () => Promise<void>) => {
  await session.post('Profiler.start');
  const start = performance.now();
  await body();
  const ms = performance.now() - start;
  const { profile } = await session.post('Profiler.stop');
  const self = new Map<string, number>();
  const total = profile.samples!.length;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  for (const id of profile.samples!) {
    const node = byId.get(id)!;
    const where = `${node.callFrame.functionName || '(anon)'} ${node.callFrame.url.split('/').slice(-2).join('/')}:${node.callFrame.lineNumber + 1}`;
    self.set(where, (self.get(where) ?? 0) + 1);
  }
  process.stdout.write(`${phase}: ${ms.toFixed(0)} ms\n`);
  for (const [where, n] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 30)) process.stdout.write(`${((n / total) * 100).toFixed(1).padStart(6)}%  ${where}\n`);
};
const ingest = async () => {
  for (let slice = 0; slice < sliceCount(shape); slice++) hierarchy.ingest(sliceReports(topology, shape, slice));
};
if (phase === 'ingest') await profile(ingest);
else await ingest();
if (phase === 'settle') await profile(() => hierarchy.settle());
else await hierarchy.settle();
if (phase === 'tick') {
  clock.advance(30_000);
  await profile(async () => {
    for (let slice = 0; slice < sliceCount(shape); slice++) hierarchy.ingest(sliceReports(topology, shape, slice, 2, clock.now()).filter((_, i) => i % shape.objects === 0));
    await hierarchy.settle();
  });
}
if (phase === 'change') {
  await profile(async () => {
    for (let i = 0; i < 50; i++) {
      clock.advance(10);
      const web = sliceReports(topology, shape, i, 1_000 + i, clock.now())[0]!;
      hierarchy.ingest([{ ...web, status: deploymentStatus({ generation: 3, ready: i % 2 === 0 ? 1 : 3, updated: 3, failing: i % 2 === 0 }) }]);
      await hierarchy.settle();
      await hierarchy.summaries();
    }
  });
}
await hierarchy.dispose();

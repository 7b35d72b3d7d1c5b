/**
 * `node --expose-gc --import tsx bench/scale-ingest.ts [health|all] [destinations] [rounds]`: the
 * ingest part of the scale suite alone (the `ingest-*` rows' loop: one `Hierarchy.ingest` per
 * 500-report slice, inline runner), each round on a fresh hierarchy in this process. Prints wall
 * and CPU time per 1M reports (CPU moves less than wall on a shared box, so levers are compared on
 * it), the minor GCs during the round (generating its slices included) and the heap held per
 * report after it. Run it alternately on two commits to compare a lever.
 */
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { ManualClock } from '../core/clock/index.js';
import { createHierarchy, runnerNamed } from '../app/container.js';
import { scaleBindings, scaleNow, scaleTopology, sliceCount, sliceReports, type BindingSet } from './scale-workload.js';

const [bindings = 'health', destinations = '10000', rounds = '3'] = process.argv.slice(2);
const count = Number(destinations);
const shape = { destinations: count, regions: Math.max(1, Math.round(count / 1000)), sitesPerRegion: 10, objects: 10, seed: 0x5ca1e };
const topology = scaleTopology(shape);
const collect = (globalThis as { gc?: () => void }).gc;
let minorGcs = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) if ((entry as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) minorGcs++;
}).observe({ entryTypes: ['gc'] });

for (let round = 1; round <= Number(rounds); round++) {
  const hierarchy = await createHierarchy({ topology, bindings: scaleBindings(bindings as BindingSet) }, { clock: new ManualClock(scaleNow), runner: runnerNamed('inline', { timeMs: 60_000 }) });
  collect?.();
  const heapBefore = process.memoryUsage().heapUsed;
  await new Promise((resolve) => setTimeout(resolve, 100));
  const gcsBefore = minorGcs;
  let wallMs = 0;
  let cpuMs = 0;
  let reports = 0;
  for (let slice = 0; slice < sliceCount(shape); slice++) {
    const batch = sliceReports(topology, shape, slice);
    const start = performance.now();
    const cpu = process.cpuUsage();
    hierarchy.ingest(batch);
    const used = process.cpuUsage(cpu);
    wallMs += performance.now() - start;
    cpuMs += (used.user + used.system) / 1000;
    reports += batch.length;
  }
  // GC entries reach the observer on later turns of the event loop.
  await new Promise((resolve) => setTimeout(resolve, 100));
  collect?.();
  const held = collect === undefined ? 'heap held: run with --expose-gc' : `heap held ${((process.memoryUsage().heapUsed - heapBefore) / reports).toFixed(0)} B/report`;
  const perMillion = (ms: number) => ((ms / reports) * 1000).toFixed(2);
  process.stdout.write(`${bindings} round ${round}: wall ${perMillion(wallMs)} s/1M, CPU ${perMillion(cpuMs)} s/1M, ${minorGcs - gcsBefore} minor GCs, ${held}\n`);
  await hierarchy.dispose();
}

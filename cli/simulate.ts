import { parseFaults, simulate, type SimulationResult } from '../app/simulate.js';
import type { RunnerName } from '../app/container.js';
import { parseHierarchyConfig } from '../core/node/index.js';
import type { PluginRunner } from '../core/ports/index.js';
import { fleetTopology } from '../core/sim/fleet.js';
import type { Output } from './io.js';
import { wholeNumber } from './reduce.js';
import { escapeBlock, jsonText } from './text.js';

/** Flags of `edgesum simulate`. */
export interface SimulateFlags {
  transport: string;
  regions: string;
  sites: string;
  destinations: string;
  rounds: string;
  seed: string;
  faults: string;
  json?: boolean;
}

/**
 * `edgesum simulate`: a whole simulated hierarchy under injected faults, in process, or as
 * `edgesum serve` processes on loopback talking over HTTP or over real nats-server processes. Prints the convergence time after the last fault, the
 * messages and bytes each tier sent, and the center's inbound bytes as a share of the raw report
 * bytes; `--json` prints the same figures. A line on stderr says where the run is.
 */
export async function simulateCommand(flags: SimulateFlags, deps: { output: Output; runner: PluginRunner; runnerName: RunnerName }): Promise<number> {
  const shape = {
    regions: wholeNumber(flags.regions, '--regions', 1, 100),
    sitesPerRegion: wholeNumber(flags.sites, '--sites', 1, 1_000),
    destinations: wholeNumber(flags.destinations, '--destinations', 1, 1_000_000),
  };
  const rounds = wholeNumber(flags.rounds, '--rounds', 1, 10_000);
  const seed = wholeNumber(flags.seed, '--seed', -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  const faults = parseFaults(flags.faults, parseHierarchyConfig({ topology: fleetTopology(shape), bindings: [] }).topology);
  const { output } = deps;
  let last = '';
  // A run over HTTP or NATS has child processes: a signal stops it at its next step, which kills
  // them; a second signal exits at once, and the run's exit hook kills them then.
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (stop.signal.aborted) process.exit(130);
    stop.abort(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const result = await simulate({
    transport: flags.transport as 'inproc' | 'http' | 'nats',
    shape,
    seed,
    rounds,
    faults,
    runner: deps.runner,
    runnerName: deps.runnerName,
    progress: (line) => {
      if (line === last) return;
      last = line;
      output.err(output.interactive ? `\r\x1b[Ksimulate: ${line}` : `simulate: ${line}\n`);
    },
    signal: stop.signal,
  }).finally(() => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  });
  if (output.interactive) output.err('\r\x1b[K');
  output.out(flags.json ? `${jsonText(result)}\n` : escapeBlock(render(result)));
  return result.convergence.converged ? 0 : 1;
}

function kb(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function render(result: SimulationResult): string {
  const { levels, convergence } = result;
  const lines = [
    `edgesum simulate: ${result.transport}, ${levels.region} regions, ${levels.site} sites, ${result.destinations} destinations, ${result.rounds} rounds of reports`,
    `reports: ${result.reports.count} (${kb(result.reports.bytes)} raw)`,
    `faults: ${result.faults.length === 0 ? 'none' : result.faults.map((fault) => `${fault.kind} of ${fault.level} at ${fault.atMs / 1000}s for ${fault.forMs / 1000}s`).join('; ')}`,
    convergence.converged
      ? `convergence: ${(convergence.ms! / 1000).toFixed(1)} s after the last fault and the last round of reports (${convergence.clock} clock)`
      : 'convergence: not reached: the center still differs from the run without faults',
    'traffic by level:        partials up            directives down',
  ];
  for (const kind of ['site', 'region', 'center'] as const) {
    const { up, down } = result.byLevel[kind];
    lines.push(`  ${kind.padEnd(8)} ${`${up.messages} msgs`.padStart(12)} ${kb(up.bytes).padStart(10)}   ${`${down.messages} msgs`.padStart(12)} ${kb(down.bytes).padStart(10)}`);
  }
  lines.push(`center inbound: ${kb(result.center.inboundBytes)} = ${(result.center.shareOfRawReportBytes * 100).toFixed(3)}% of the raw report bytes`);
  lines.push(`took ${(result.wallMs / 1000).toFixed(1)} s`);
  return `${lines.join('\n')}\n`;
}

import type { Json } from '../contract.js';
import { ManualClock } from '../clock/index.js';
import type { RootOptions } from '../container.js';
import { Hierarchy } from '../node/index.js';
import type { SummaryView } from '../pipeline/index.js';
import { fleetBindings, fleetReports, fleetTopology } from '../sim/fleet.js';
import { ErrorCodes, ValidationError } from '../errors.js';
import { progress, type Output } from './io.js';

/** Flags of `edgesum demo`. */
export interface DemoFlags {
  regions: string;
  sites: string;
  destinations: string;
  seed: string;
  json?: boolean;
}

/** The demo's machine-readable result. */
export interface DemoResult {
  runner: string;
  levels: { center: number; region: number; site: number };
  destinations: number;
  reports: { sent: number; accepted: number; rejected: number };
  summaries: Record<string, SummaryView>;
  destinationStatus: { destination: string; level: string; reports: number };
}

const batchSize = 500;

function positiveInteger(value: string, flag: string, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw new ValidationError(ErrorCodes.InvalidInput, `${flag} must be a whole number from 1 to ${max}, got "${value}"`);
  }
  return n;
}

/**
 * `edgesum demo`: a whole hierarchy in one process with simulated edges (some unhealthy, some
 * stale, a few silent), every built-in reducer bound, and the center's summaries printed.
 */
export async function demoCommand(flags: DemoFlags, deps: { output: Output; root?: RootOptions }): Promise<number> {
  const shape = {
    regions: positiveInteger(flags.regions, '--regions', 100),
    sitesPerRegion: positiveInteger(flags.sites, '--sites', 1_000),
    destinations: positiveInteger(flags.destinations, '--destinations', 1_000_000),
  };
  const seed = Number(flags.seed);
  if (!Number.isInteger(seed)) throw new ValidationError(ErrorCodes.InvalidInput, `--seed must be a whole number, got "${flags.seed}"`);
  const clock = new ManualClock();
  const topology = fleetTopology(shape);
  const started = performance.now();
  const hierarchy = await Hierarchy.create({ topology, bindings: fleetBindings() }, { clock, ...deps.root });
  try {
    const reports = fleetReports(topology, { seed, now: clock.now() });
    const bar = progress(deps.output, 'ingesting reports');
    let accepted = 0;
    let rejected = 0;
    for (let i = 0; i < reports.length; i += batchSize) {
      const result = hierarchy.ingest(reports.slice(i, i + batchSize));
      accepted += result.accepted;
      rejected += result.rejected.length;
      bar.update(Math.min(i + batchSize, reports.length), reports.length);
    }
    bar.end();
    await hierarchy.settle();
    const summaries = await hierarchy.summaries();
    const probe = topology.destinations[0]!.id;
    const status = await hierarchy.destinationStatus(probe);
    const elapsed = performance.now() - started;
    const levels = { center: 1, region: shape.regions, site: shape.regions * shape.sitesPerRegion };
    const result: DemoResult = {
      runner: hierarchy.runner.name,
      levels,
      destinations: shape.destinations,
      reports: { sent: reports.length, accepted, rejected },
      summaries,
      destinationStatus: { destination: status.destination, level: status.level, reports: status.reports.length },
    };
    if (flags.json) deps.output.out(`${JSON.stringify(result)}\n`);
    else deps.output.out(renderDemo(result, elapsed));
    return 0;
  } finally {
    await hierarchy.dispose();
  }
}

function renderDemo(result: DemoResult, elapsedMs: number): string {
  const { levels } = result;
  const lines = [
    `edgesum demo — ${levels.center} center, ${levels.region} regions, ${levels.site} sites, ${result.destinations} destinations; plugins run in the ${result.runner} runner`,
    `${result.reports.accepted} of ${result.reports.sent} status reports folded at the sites and merged up to the center in ${(elapsedMs / 1000).toFixed(2)} s`,
    '',
    'Summaries at the center:',
  ];
  for (const [name, summary] of Object.entries(result.summaries)) {
    const { expected, reporting, stale, unreachable } = summary.coverage;
    const flag = summary.degraded ? `  DEGRADED ${summary.error?.code}` : '';
    lines.push('', `■ ${name}  (coverage: ${reporting}/${expected} reporting, ${stale} stale, ${unreachable} unreachable)${flag}`);
    lines.push(...renderValue(summary.value, '    ', 14));
  }
  const probe = result.destinationStatus;
  lines.push('', `Status of one edge copy, read through the center: ${probe.destination} at ${probe.level} holds ${probe.reports} object reports.`, '');
  return `${lines.join('\n')}\n`;
}

/** A compact, indented rendering of a JSON value, cut to `max` lines. */
function renderValue(value: Json, indent: string, max: number): string[] {
  const lines: string[] = [];
  const walk = (v: Json, prefix: string, depth: number) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && depth < 2) {
      for (const [key, child] of Object.entries(v)) {
        if (child !== null && typeof child === 'object' && JSON.stringify(child).length > 70) {
          lines.push(`${prefix}${key}:`);
          walk(child, `${prefix}  `, depth + 1);
        } else {
          lines.push(`${prefix}${key}: ${JSON.stringify(child)}`);
        }
      }
    } else if (Array.isArray(v) && depth < 2) {
      for (const item of v) lines.push(`${prefix}- ${JSON.stringify(item)}`);
    } else {
      lines.push(`${prefix}${JSON.stringify(v)}`);
    }
  };
  walk(value, indent, 0);
  if (lines.length > max) return [...lines.slice(0, max), `${indent}… ${lines.length - max} more lines (use --json for everything)`];
  return lines;
}

import { readPath, type Json } from '../core/contract.js';
import { ManualClock } from '../core/clock/index.js';
import type { RootOptions } from '../app/container.js';
import { createHierarchy } from '../app/container.js';
import type { SummaryView } from '../core/pipeline/index.js';
import { changedPaths, parsePattern } from '../core/customize/index.js';
import type { RolloutSpecInput } from '../core/rollout/index.js';
import { fleetBindings, fleetObject, fleetPattern, fleetReports, fleetRollout, fleetTopology } from '../core/sim/fleet.js';
import { SimulatedEdges } from '../core/sim/edges.js';
import { runRollout } from '../core/sim/rollout.js';
import type { Hierarchy as HierarchyType, RolloutProgress, RolloutStatus } from '../core/node/index.js';
import { progress, type Output } from './io.js';
import { wholeNumber } from './reduce.js';
import { escapeBlock, jsonText } from './text.js';

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
  rollout: DemoRollout;
  customization: DemoCustomization;
}

/** How the rollout's object was customized per destination, and what the center saw of drift. */
export interface DemoCustomization {
  pattern: string;
  /** Destinations the pattern rendered an object for, and targets whose rendering failed. */
  rendered: number;
  degraded: number;
  /** Two destinations' renderings, to compare. */
  sideBySide: { destination: string; labels: Record<string, string>; object: Json }[];
  /** The destination that applied something else than its rendering. */
  tampered: string;
  /** The center's drift summary once the rollout ran. */
  drift: SummaryView;
}

/** The demo rollout's outcome: states per level kind, per level, and the decisions that did something. */
export interface DemoRollout extends Omit<RolloutStatus, 'decisions' | 'byLevel'> {
  failingRegion: string;
  simulatedMinutes: number;
  byLevel: Record<string, string>;
  decisions: RolloutStatus['decisions'];
}

const batchSize = 500;

function positiveInteger(value: string, flag: string, max: number): number {
  return wholeNumber(value, flag, 1, max);
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
  const seed = wholeNumber(flags.seed, '--seed', -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  const clock = new ManualClock();
  const topology = fleetTopology(shape);
  const started = performance.now();
  const failingRegion = `region-${Math.min(3, shape.regions)}`;
  // One edge of the canary region applies a locally edited copy: the drift summary must catch it.
  const tampered = topology.destinations[Math.min(1, topology.destinations.length - 1)]!.id;
  const edges = new SimulatedEdges({
    clock,
    seed,
    destinations: topology.destinations.map((destination) => ({ ...destination, labels: destination.labels ?? {} })),
    applyDelayMs: [10_000, 90_000],
    failureRate: (destination) => (destination.labels.region === failingRegion && shape.regions > 1 ? 0.4 : 0),
    tampered: (destination) => destination.id === tampered,
  });
  const hierarchy = await createHierarchy({ topology, bindings: fleetBindings() }, { clock, edgeAgent: edges, ...deps.root });
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
    const rolloutStarted = performance.now();
    const pattern = parsePattern(fleetPattern(), 'the demo pattern');
    const spec: RolloutSpecInput = { ...fleetRollout(), customize: { pattern, object: fleetObject() } };
    const { rollout, rendering } = await demoRollout(hierarchy, spec, edges, clock, failingRegion, deps.output);
    const rolloutElapsed = performance.now() - rolloutStarted;
    await hierarchy.settle();
    const shown = [topology.destinations[0]!, topology.destinations[topology.destinations.length - 1]!];
    const customization: DemoCustomization = {
      pattern: pattern.name,
      rendered: rendering?.rendered ?? 0,
      degraded: rendering?.degraded ?? 0,
      sideBySide: shown.map((destination) => ({ destination: destination.id, labels: { ...destination.labels }, object: hierarchy.node(destination.parent).rollouts.directiveFor(destination.id)?.object ?? null })),
      tampered,
      drift: (await hierarchy.summaries())['web-drift']!,
    };
    const levels = { center: 1, region: shape.regions, site: shape.regions * shape.sitesPerRegion };
    const result: DemoResult = {
      runner: hierarchy.runner.name,
      levels,
      destinations: shape.destinations,
      reports: { sent: reports.length, accepted, rejected },
      summaries,
      destinationStatus: { destination: status.destination, level: status.level, reports: status.reports.length },
      rollout,
      customization,
    };
    if (flags.json) deps.output.out(`${jsonText(result)}\n`);
    else deps.output.out(escapeBlock(renderDemo(result, elapsed, rolloutElapsed)));
    return 0;
  } finally {
    await hierarchy.dispose();
  }
}

/** Runs the demo rollout; its sites hand each edge the object the hierarchy rendered for it on the way down. */
async function demoRollout(hierarchy: HierarchyType, spec: RolloutSpecInput, edges: SimulatedEdges, clock: ManualClock, failingRegion: string, output: Output): Promise<{ rollout: DemoRollout; rendering: RolloutStatus['rendering'] }> {
  const begin = clock.now();
  await hierarchy.startRollout(spec);
  const bar = progress(output, `rolling out ${spec.version}`);
  const status = await runRollout(hierarchy, edges, clock, spec.id, {
    stepMs: 30_000,
    onStep: (step) => bar.update(step.destinations.succeeded + step.destinations.failed + step.destinations['timed-out'], destinationsInScope(step)),
  });
  bar.end();
  const { decisions, byLevel, rendering, ...rest } = status;
  const rollout = {
    ...rest,
    failingRegion,
    simulatedMinutes: Math.round((clock.now() - begin) / 60_000),
    byLevel: Object.fromEntries(Object.entries(byLevel).map(([level, entry]) => [level, entry.state])),
    decisions: meaningful(decisions),
  };
  return { rollout, rendering };
}

/** Decisions that did something, without repeats of the same verdict at the same level. */
function meaningful(decisions: RolloutStatus['decisions']): RolloutStatus['decisions'] {
  const last = new Map<string, string>();
  return decisions.filter((decision) => {
    if (decision.action === 'hold' && decision.error === undefined && !decision.budgetExceeded) return false;
    const verdict = JSON.stringify([decision.action, decision.reason, decision.error]);
    if (decision.started.length === 0 && last.get(decision.level) === verdict) return false;
    last.set(decision.level, verdict);
    return true;
  });
}

function destinationsInScope(progress: RolloutProgress): number {
  const { skipped: _skipped, ...rest } = progress.destinations;
  return Object.values(rest).reduce((sum, n) => sum + n, 0);
}

function renderRollout(rollout: DemoRollout): string[] {
  const counts = (c: Record<string, number>) =>
    Object.entries(c)
      .filter(([, n]) => n > 0)
      .map(([state, n]) => `${n} ${state}`)
      .join(', ') || 'none';
  const halted = Object.entries(rollout.byLevel).filter(([, state]) => state === 'failed').map(([level]) => level);
  const lines = [
    '',
    `Rollout ${rollout.id}: web ${rollout.version} (from 1.5.0), ${rollout.simulatedMinutes} simulated minutes; edges in ${rollout.failingRegion} fail 40% of the time`,
    `  center (waves):        regions ${counts(rollout.levels.center)}`,
    `  regions (progressive): sites ${counts(rollout.levels.region)}`,
    `  sites (progressive):   edges ${counts(rollout.levels.site)}`,
    `  halted levels: ${halted.length === 0 ? 'none' : halted.filter((level) => !level.includes('-site-')).join(', ') + (halted.some((level) => level.includes('-site-')) ? ` (+ ${halted.filter((level) => level.includes('-site-')).length} sites)` : '')}`,
    '  decisions above the sites:',
  ];
  for (const decision of rollout.decisions.filter((d) => !d.level.includes('-site-'))) {
    const started = decision.started.length > 0 ? ` → started ${decision.started.join(', ')}` : '';
    lines.push(`    ${decision.at.slice(11, 19)} ${decision.level.padEnd(9)} ${decision.action.padEnd(8)}${started}  (${decision.reason})`);
  }
  return lines;
}

function renderDemo(result: DemoResult, elapsedMs: number, rolloutMs: number): string {
  const { levels } = result;
  const lines = [
    `edgesum demo — ${levels.center} center, ${levels.region} regions, ${levels.site} sites, ${result.destinations} destinations; plugins run in the ${result.runner} runner`,
    `${result.reports.accepted} of ${result.reports.sent} status reports folded at the sites and merged up to the center in ${(elapsedMs / 1000).toFixed(2)} s; the rollout below simulated in ${(rolloutMs / 1000).toFixed(2)} s`,
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
  lines.push('', `Status of one edge copy, read through the center: ${probe.destination} at ${probe.level} holds ${probe.reports} object reports.`);
  lines.push(...renderRollout(result.rollout), ...renderCustomization(result.customization), '');
  return `${lines.join('\n')}\n`;
}

function renderCustomization(customization: DemoCustomization): string[] {
  const drift = customization.drift.value as { checked?: number; drifted?: number; examples?: string[] } | null;
  const [left, right] = customization.sideBySide;
  const paths = changedPaths(left!.object, right!.object);
  const show = (object: Json, path: string) => {
    const value = readPath(object, path);
    return value === undefined ? '(absent)' : JSON.stringify(value);
  };
  const pathWidth = Math.max(4, ...paths.map((path) => path.length));
  const columnWidth = Math.max(left!.destination.length, ...paths.map((path) => show(left!.object, path).length));
  const row = (path: string, a: string, b: string) => `    ${path.padEnd(pathWidth)}  ${a.padEnd(columnWidth)}  ${b}`;
  const examples = drift?.examples?.length ? ` (${drift.examples.join(', ')})` : '';
  return [
    '',
    `Customization: pattern "${customization.pattern}" rendered the rollout's object for ${customization.rendered} destinations, level by level (${customization.degraded} degraded)`,
    `  two destinations side by side (${left!.destination} ${JSON.stringify(left!.labels)}, ${right!.destination} ${JSON.stringify(right!.labels)}):`,
    row('path', left!.destination, right!.destination),
    ...paths.map((path) => row(path, show(left!.object, path), show(right!.object, path))),
    `    (every other field the same; edgesum customize --explain names the rule behind each)`,
    `  drift at the center (web-drift): ${drift?.drifted ?? 0} of ${drift?.checked ?? 0} destinations applied something other than their rendering${examples}; ${customization.tampered} was edited locally`,
  ];
}

/** `{"healthy":3,"degraded":1}` as `healthy 3 · degraded 1`, `["a","b"]` as `a, b`; anything else as JSON. */
function compact(value: Json): string {
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value.join(', ');
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.values(value).every((item) => typeof item === 'number')) {
    return Object.entries(value)
      .map(([key, n]) => `${key} ${n}`)
      .join(' · ');
  }
  return JSON.stringify(value);
}

/** A compact, indented rendering of a JSON value, cut to `max` lines. */
function renderValue(value: Json, indent: string, max: number): string[] {
  const lines: string[] = [];
  const walk = (v: Json, prefix: string, depth: number) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && depth < 2) {
      for (const [key, child] of Object.entries(v)) {
        if (child !== null && typeof child === 'object' && compact(child).length > 90) {
          lines.push(`${prefix}${key}:`);
          walk(child, `${prefix}  `, depth + 1);
        } else {
          lines.push(`${prefix}${key}: ${compact(child)}`);
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

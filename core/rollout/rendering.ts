import type { CustomizeTarget, Json } from '../contract.js';
import { toIso, type Clock } from '../clock/index.js';
import { applyLevel, Renderings, renderingHash, type RenderOutcome } from '../customize/render.js';
import { loadPatternWith } from '../customize/pattern.js';
import { versioned, type FleetRendering } from '../customize/rollout.js';
import { CustomizeError, ErrorCodes, type ErrorCode } from '../errors.js';
import type { Level } from '../model/index.js';
import type { Topology } from '../model/topology.js';
import type { PluginLoader } from '../pipeline/index.js';
import type { EdgeAgent, EdgeDirective } from './edge-agent.js';
import { z } from 'zod';
import { JsonSchema } from '../model/index.js';
import { maxReportedRenderFailures, RenderedSchema, RenderFailureSchema, type Rendered, type RenderFailure, type RenderingReport } from './messages.js';
import type { RolloutSpec } from './spec.js';

/** One rollout's rendering at a level: what it passes down, and how its own targets went. */
export interface LevelRendering {
  /** What it rendered from: the hash (or failure) its parent sent, or `spec` at the center. */
  readonly from: string;
  /** This level's rendering, sent to its child levels in their directives. */
  readonly own: Rendered;
  /** Own destinations handed an object (fresh, or their last good one). */
  readonly rendered: number;
  /** This level and its destinations whose rendering failed. */
  readonly failures: RenderFailure[];
}

/**
 * Renders rollouts at one level, on the way down: applies the steps bound to the level's kind to
 * what its parent passed down (at the center, the spec's object at the rollout's version), and at
 * a site renders each destination from that. A target whose rendering fails keeps its last good
 * rendering (per workload) and is reported; every other target moves on.
 */
export class LevelRenderer {
  private readonly byRollout = new Map<string, LevelRendering>();
  /** Last good rendering of each own destination, by `workload/destination`. */
  private readonly lastGood = new Renderings();
  /** Whether anything rendered since the last {@link takeChanged}. */
  private changed = false;

  constructor(private readonly deps: { readonly level: Level; readonly topology: Topology; readonly loader: PluginLoader; readonly clock: Clock }) {}

  /**
   * Renders `spec` here from what the parent sent; a rollout without `customize` renders nothing.
   * Resolves whether it rendered anew: not when it already rendered from the same.
   */
  async render(spec: RolloutSpec, received: Rendered | undefined): Promise<boolean> {
    if (spec.customize === undefined) return false;
    const from = received === undefined ? 'spec' : 'hash' in received ? received.hash : JSON.stringify(received.error);
    if (this.byRollout.get(spec.id)?.from === from) return false;
    const { level } = this.deps;
    const pattern = await loadPatternWith(spec.customize.pattern, this.deps.loader);
    const target: CustomizeTarget = { id: level.id, kind: level.kind, labels: level.labels ?? {} };
    const chain = this.ancestors();
    const call = { level: { id: level.id, kind: level.kind }, now: toIso(this.deps.clock.now()) };
    const input: RenderOutcome =
      level.parent === undefined ? { ok: true, object: versioned(spec.customize.object as Json, spec.version) } : fromWire(received, spec.customize.pattern.name, level.id);
    const own = input.ok ? (await applyLevel(pattern, [{ object: input.object, target, chain }], call))[0]! : input;
    const failures: RenderFailure[] = own.ok ? [] : [toWire(own.error)];
    const destinations = this.deps.topology.destinationsOf(level.id);
    const items = destinations.map((destination) => ({
      object: own.ok ? (JSON.parse(JSON.stringify(own.object)) as Json) : null,
      target: { id: destination.id, kind: 'destination' as const, labels: destination.labels ?? {} },
      chain: [...chain, target],
    }));
    const outcomes = own.ok ? await applyLevel(pattern, items, call) : items.map(() => own);
    let rendered = 0;
    destinations.forEach((destination, i) => {
      const served = this.lastGood.record(`${spec.workload}/${destination.id}`, outcomes[i]!);
      if (served.object !== undefined) rendered++;
      if (served.degraded !== undefined) failures.push(toWire(served.degraded));
    });
    this.byRollout.set(spec.id, { from, own: own.ok ? { object: own.object, hash: renderingHash(own.object) } : { error: toWire(own.error) }, rendered, failures });
    this.changed = true;
    return true;
  }

  /** Whether anything rendered since the last call: renderings are stored only then, not with every turn's state. */
  takeChanged(): boolean {
    const changed = this.changed;
    this.changed = false;
    return changed;
  }

  /** This level's rendering of a rollout, if it has one. */
  of(rollout: string): LevelRendering | undefined {
    return this.byRollout.get(rollout);
  }

  /** What an own destination is handed for a workload: its last good rendering. */
  forDestination(workload: string, destination: string): { object: Json; hash: string } | undefined {
    return this.lastGood.get(`${workload}/${destination}`);
  }

  /** How rendering went at this level and, from their reports, below it. */
  report(rollout: string, below: readonly (RenderingReport | undefined)[]): RenderingReport | undefined {
    const own = this.byRollout.get(rollout);
    const reports = [...(own === undefined ? [] : [{ rendered: own.rendered, degraded: own.failures.length, failures: own.failures }]), ...below.filter((report) => report !== undefined)];
    if (reports.length === 0) return undefined;
    return {
      rendered: reports.reduce((sum, report) => sum + report.rendered, 0),
      degraded: reports.reduce((sum, report) => sum + report.degraded, 0),
      failures: reports.flatMap((report) => report.failures).slice(0, maxReportedRenderFailures),
    };
  }

  /** What the level stores: each rollout's rendering and the destinations' last good ones. */
  snapshot(): SavedRenderings {
    return { rollouts: Object.fromEntries(this.byRollout), lastGood: this.lastGood.entries() };
  }

  /** Takes back a {@link snapshot}; state stored before renderings existed has none. */
  restore(stored: unknown): void {
    if (stored === undefined) return;
    const saved = SavedRenderingsSchema.parse(stored);
    this.lastGood.restore(saved.lastGood as Record<string, { object: Json; hash: string }>);
    for (const [id, rendering] of Object.entries(saved.rollouts)) this.byRollout.set(id, rendering);
  }

  /** The levels above this one, center first, as a customizer's chain. */
  private ancestors(): CustomizeTarget[] {
    const chain: CustomizeTarget[] = [];
    for (let at = this.deps.level.parent; at !== undefined; ) {
      const level = this.deps.topology.levels.get(at);
      if (level === undefined) break;
      chain.unshift({ id: level.id, kind: level.kind, labels: level.labels ?? {} });
      at = level.parent;
    }
    return chain;
  }
}

/** What {@link LevelRenderer.snapshot} returns, checked again when a level restores it. */
const SavedRenderingsSchema = z.strictObject({
  rollouts: z.record(z.string(), z.strictObject({ from: z.string(), own: RenderedSchema, rendered: z.number().int().nonnegative(), failures: z.array(RenderFailureSchema) })),
  lastGood: z.record(z.string(), z.strictObject({ object: JsonSchema, hash: z.string() })),
});
export type SavedRenderings = z.output<typeof SavedRenderingsSchema>;

function toWire(error: CustomizeError): RenderFailure {
  return { code: error.code, message: error.message.slice(0, 4096), ...error.place };
}

/** What the parent sent, as an outcome to render on from; a parent that sent nothing is a failure here, named for this level. */
function fromWire(received: Rendered | undefined, pattern: string, level: string): RenderOutcome {
  if (received === undefined) {
    const place = { pattern, customizer: '(none)', target: level, path: '' };
    return { ok: false, error: new CustomizeError(ErrorCodes.Customize, `pattern "${pattern}", target ${level}: the parent's directive carried no rendering to render on from`, place) };
  }
  if ('object' in received) return { ok: true, object: received.object as Json };
  const { code, message, ...place } = received.error;
  const known = Object.values(ErrorCodes).includes(code as ErrorCode) ? (code as ErrorCode) : ErrorCodes.Customize;
  return { ok: false, error: new CustomizeError(known, message, place) };
}

/**
 * An agent that hands each edge an object rendered outside the hierarchy (by `renderFleet`): every
 * directive of a rollout with a rendering goes on to `inner` with the destination's rendering and
 * its hash. A directive of another rollout, or for a destination without a rendering, goes on as
 * it was. A rollout with `customize` needs none: its sites hand out their own renderings.
 */
export class RenderingEdgeAgent implements EdgeAgent {
  private readonly renderings = new Map<string, FleetRendering>();

  constructor(private readonly inner: EdgeAgent) {}

  /** The renderings the directives of rollout `rollout` carry from now on. */
  use(rollout: string, rendering: FleetRendering): void {
    this.renderings.set(rollout, rendering);
  }

  apply(directive: EdgeDirective): void {
    const rendered = this.renderings.get(directive.rollout)?.objects.get(directive.destination);
    this.inner.apply(rendered === undefined ? directive : { ...directive, object: rendered.object, renderedHash: rendered.hash });
  }
}

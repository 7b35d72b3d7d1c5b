import type { ManualClock } from '../clock/index.js';
import type { Hierarchy, RolloutProgress, RolloutStatus } from '../node/index.js';
import type { SimulatedEdges } from './edges.js';

/** How long and in which steps a simulated rollout runs. */
export interface RolloutRunOptions {
  /** Simulated time per step, ms. */
  readonly stepMs?: number;
  /** Simulated time after which the run stops whatever the state, ms. */
  readonly maxMs?: number;
  /** Called after every step, e.g. to draw progress. */
  readonly onStep?: (progress: RolloutProgress, elapsedMs: number) => void;
}

/**
 * Drives a rollout in simulated time: each step advances the clock, delivers the reports of the
 * edges that finished applying, and runs one tick of the hierarchy. Stops when the center succeeded,
 * when nothing has moved for a while (a halted level lets its in-flight children finish first), or
 * at `maxMs`.
 */
export async function runRollout(hierarchy: Hierarchy, edges: SimulatedEdges, clock: ManualClock, id: string, options: RolloutRunOptions = {}): Promise<RolloutStatus> {
  const stepMs = options.stepMs ?? 15_000;
  const maxMs = options.maxMs ?? 6 * 3_600_000;
  // Ten simulated minutes without any change: longer than any soak or bake the demo uses.
  const quietLimit = Math.ceil(600_000 / stepMs);
  let quiet = 0;
  let fingerprint = '';
  for (let elapsed = 0; elapsed < maxMs; elapsed += stepMs) {
    clock.advance(stepMs);
    hierarchy.ingest(edges.due());
    await hierarchy.tick();
    const progress = hierarchy.rolloutProgress(id);
    options.onStep?.(progress, elapsed + stepMs);
    if (progress.command === 'run' && progress.state === 'succeeded') break;
    const now = JSON.stringify([progress.destinations, progress.decisions]);
    quiet = now === fingerprint && edges.inFlight === 0 ? quiet + 1 : 0;
    fingerprint = now;
    if (quiet >= quietLimit) break;
  }
  return hierarchy.rolloutStatus(id);
}

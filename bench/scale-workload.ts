/**
 * The scale suite's fleet: a center, regions, sites and destinations as `fleetTopology` lays them
 * out, ten objects per destination (the demo's `web` Deployment and `shop` Namespace plus eight
 * more Deployments), generated slice by slice so the input never sits in memory whole.
 */
import type { StatusReport } from '../core/contract.js';
import { deploymentStatus, fleetBindings, fleetReports, fleetTopology, seededRandom } from '../core/sim/fleet.js';
import type { BindingInput } from '../core/pipeline/index.js';
import type { TopologyInput } from '../core/model/topology.js';

/** How big one scale run is. */
export interface ScaleShape {
  readonly destinations: number;
  readonly regions: number;
  readonly sitesPerRegion: number;
  /** Objects each destination reports (the demo's two and `objects - 2` more Deployments). */
  readonly objects: number;
  readonly seed: number;
}

/** Fixed so that runs on different days fold the same data. */
export const scaleNow = Date.parse('2026-06-01T12:00:00.000Z');

/** Destinations per generated slice: 50 × 10 objects = one 500-report batch, the demo's batch size. */
export const sliceDestinations = 50;

export type BindingSet = 'health' | 'all';

/** `health`: one `health` binding over every report; `all`: every built-in as the demo binds them. */
export function scaleBindings(set: BindingSet): BindingInput[] {
  return set === 'health' ? [{ name: 'health', reducer: 'builtin:health' }] : fleetBindings();
}

export function scaleTopology(shape: ScaleShape): TopologyInput {
  return fleetTopology({ regions: shape.regions, sitesPerRegion: shape.sitesPerRegion, destinations: shape.destinations });
}

/** The reports of one slice of destinations: the same slice always gives the same reports. */
export function sliceReports(topology: TopologyInput, shape: ScaleShape, slice: number, seq = 1, now = scaleNow): StatusReport[] {
  const destinations = topology.destinations.slice(slice * sliceDestinations, (slice + 1) * sliceDestinations);
  const base = fleetReports({ ...topology, destinations }, { seed: shape.seed + slice, now, silent: 0, stale: 0.03, seq });
  const random = seededRandom(shape.seed * 31 + slice);
  const reports: StatusReport[] = [];
  for (let i = 0; i < base.length; i += 2) {
    const web = base[i]!;
    reports.push(web, base[i + 1]!);
    for (let k = 1; k <= shape.objects - 2; k++) {
      const roll = random();
      reports.push({
        ...web,
        ref: { ...web.ref, name: `api-${k}` },
        status: deploymentStatus({ generation: 3, ready: roll < 0.02 ? 1 : 3, updated: 3, failing: roll < 0.01 }),
      });
    }
  }
  return reports;
}

/** Slices in a run. */
export function sliceCount(shape: ScaleShape): number {
  return Math.ceil(shape.destinations / sliceDestinations);
}

/** JSON bytes of reports, as an edge would send them. */
export function jsonBytes(reports: readonly StatusReport[]): number {
  let bytes = 0;
  for (const report of reports) bytes += Buffer.byteLength(JSON.stringify(report));
  return bytes;
}

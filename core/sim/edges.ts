import type { Json, StatusReport } from '../contract.js';
import { AppliedAnnotations, renderingHash } from '../customize/index.js';
import { toIso, type Clock } from '../clock/index.js';
import type { Destination } from '../model/index.js';
import type { EdgeAgent, EdgeDirective } from '../rollout/index.js';
import { deploymentStatus, seededRandom } from './fleet.js';

/** How simulated edges behave when told to run a version. */
export interface SimulatedEdgesOptions {
  readonly clock: Clock;
  readonly seed: number;
  readonly destinations: readonly Destination[];
  /** Shortest and longest time an edge takes to apply a directive, ms. */
  readonly applyDelayMs?: readonly [number, number];
  /** Chance that applying fails, by destination; a label lookup makes per-region failure injection easy. */
  readonly failureRate?: (destination: Destination) => number;
  /** First seq the edges use; above what they sent before the rollout. */
  readonly firstSeq?: number;
  /**
   * Destinations that apply something other than the object they are handed (as after a local
   * edit): what they apply, and so the hash they report, differs from their site's rendering.
   */
  readonly tampered?: (destination: Destination) => boolean;
}

interface Pending {
  readonly directive: EdgeDirective;
  readonly dueAt: number;
  readonly fails: boolean;
}

/**
 * Edges that apply directives after a seeded delay and then report success or failure through an
 * ordinary status report of the workload, as an edge agent would. For the demo and tests.
 */
export class SimulatedEdges implements EdgeAgent {
  private readonly random: () => number;
  private readonly pending: Pending[] = [];
  private readonly byId: ReadonlyMap<string, Destination>;
  private readonly seqs = new Map<string, number>();
  private readonly delay: readonly [number, number];

  constructor(private readonly options: SimulatedEdgesOptions) {
    this.random = seededRandom(options.seed);
    this.byId = new Map(options.destinations.map((destination) => [destination.id, destination]));
    this.delay = options.applyDelayMs ?? [5_000, 60_000];
  }

  apply(directive: EdgeDirective): void {
    const destination = this.byId.get(directive.destination);
    const failureRate = destination === undefined ? 0 : (this.options.failureRate?.(destination) ?? 0);
    const [min, max] = this.delay;
    this.pending.push({ directive, dueAt: this.options.clock.now() + min + Math.floor(this.random() * (max - min)), fails: this.random() < failureRate });
  }

  /** Directives received and not yet reported on. */
  get inFlight(): number {
    return this.pending.length;
  }

  /** The reports of every application that finished by now, in due order. */
  due(): StatusReport[] {
    const now = this.options.clock.now();
    const ready = this.pending.filter((entry) => entry.dueAt <= now).sort((a, b) => a.dueAt - b.dueAt || (a.directive.destination < b.directive.destination ? -1 : 1));
    for (const entry of ready) this.pending.splice(this.pending.indexOf(entry), 1);
    return ready.map((entry) => this.report(entry, now));
  }

  /** The applied-object annotations of a directive that carried a rendered object and was applied. */
  private appliedHashes(directive: EdgeDirective, fails: boolean): Record<string, string> {
    if (directive.object === undefined || directive.renderedHash === undefined || fails) return {};
    const destination = this.byId.get(directive.destination);
    const tampered = destination !== undefined && this.options.tampered?.(destination) === true;
    const applied: Json = tampered ? { ...(directive.object as object), locallyEdited: true } : directive.object;
    return { [AppliedAnnotations.applied]: renderingHash(applied), [AppliedAnnotations.rendered]: directive.renderedHash };
  }

  private report({ directive, fails }: Pending, now: number): StatusReport {
    const seq = (this.seqs.get(directive.destination) ?? this.options.firstSeq ?? 1_000) + 1;
    this.seqs.set(directive.destination, seq);
    return {
      destination: directive.destination,
      ref: directive.ref,
      seq,
      observedAt: toIso(now),
      metadata: {
        generation: 4,
        labels: { 'app.kubernetes.io/version': directive.version },
        annotations: { 'edgesum.io/version': directive.version, 'edgesum.io/phase': fails ? 'Failed' : 'Succeeded', 'edgesum.io/rollout': directive.rollout, ...this.appliedHashes(directive, fails) },
      },
      spec: { replicas: 3 },
      status: deploymentStatus({ generation: 4, ready: fails ? 0 : 3, updated: 3, failing: fails }),
    };
  }
}

/**
 * `workload-replicas`: one Deployment-like workload's replica status as seen from the center.
 *
 * Two readings of "the workload's status" exist in multi-cluster systems: each destination runs a
 * share of the replicas (sum them, as Karmada does) or a full copy (take the weakest destination,
 * as KubeStellar does). The accumulator keeps sums, minimums, maximums and counts together, so it
 * is the same whatever the mode and only `finish` chooses.
 *
 * @module plugins/workload-replicas
 */
import { defineReducer, readPath, type StatusReport } from '../../core/contract.js';

/** How destination statuses combine. */
export type ReplicasMode = 'divided' | 'replicated';

/** Options of `workload-replicas`, as validated against its options schema. */
export interface WorkloadReplicasOptions {
  /** `divided` (default): each destination runs a share. `replicated`: each runs a full copy. */
  readonly mode?: ReplicasMode;
}

/** Replica counts summed over destinations. */
export type ReplicaSums = {
  replicas: number;
  readyReplicas: number;
  updatedReplicas: number;
  availableReplicas: number;
  unavailableReplicas: number;
};

/** Minimums over destinations, or `null` before the first destination (min has no JSON identity). */
export type ReplicaMins = {
  replicas: number;
  readyReplicas: number;
  updatedReplicas: number;
  availableReplicas: number;
  observedGeneration: number;
} | null;

/** The mode-agnostic accumulator. */
export type WorkloadReplicasAcc = {
  sums: ReplicaSums;
  mins: ReplicaMins;
  maxes: { unavailableReplicas: number };
  counts: {
    /** Reports folded in. */
    destinations: number;
    /** Destinations whose `status.observedGeneration >= metadata.generation`. */
    observedLatestGeneration: number;
    /** Destinations with a `Progressing` condition of reason `ProgressDeadlineExceeded`. */
    progressDeadlineExceeded: number;
    /** Destinations with at least one field of the wrong type (read as if missing). */
    malformed: number;
  };
};

/** The summary in `divided` mode: sums over destinations. */
export type DividedSummary = {
  mode: 'divided';
  destinations: number;
  replicas: number;
  readyReplicas: number;
  updatedReplicas: number;
  availableReplicas: number;
  unavailableReplicas: number;
  /** True when every destination has observed its latest generation; false with no destinations. */
  observedLatestGeneration: boolean;
  malformed: number;
};

/** The summary in `replicated` mode: the weakest destination's view. */
export type ReplicatedSummary = {
  mode: 'replicated';
  destinations: number;
  replicas: number;
  readyReplicas: number;
  updatedReplicas: number;
  availableReplicas: number;
  /** The maximum over destinations. */
  unavailableReplicas: number;
  observedGeneration: number;
  progressDeadlineExceeded: boolean;
  malformed: number;
};

/** What `finish` returns, by mode. */
export type WorkloadReplicasSummary = DividedSummary | ReplicatedSummary;

/** What one report contributes, with missing and malformed fields read as 0. */
interface Observation {
  replicas: number;
  readyReplicas: number;
  updatedReplicas: number;
  availableReplicas: number;
  unavailableReplicas: number;
  observedGeneration: number;
  observedLatest: boolean;
  deadlineExceeded: boolean;
  malformed: boolean;
}

const countFields = ['replicas', 'readyReplicas', 'updatedReplicas', 'availableReplicas', 'unavailableReplicas'] as const;
const minFields = ['replicas', 'readyReplicas', 'updatedReplicas', 'availableReplicas', 'observedGeneration'] as const;

const isCount = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value) && value >= 0;

function observe(report: StatusReport): Observation {
  let malformed = false;
  // Kubernetes omits zero-valued counts from status, so absent (or null) means 0, not unknown.
  const count = (path: string): number | undefined => {
    const value = readPath(report, path);
    if (value === undefined || value === null) return undefined;
    if (isCount(value)) return value;
    malformed = true;
    return undefined;
  };

  const status = report.status;
  if (status !== null && (typeof status !== 'object' || Array.isArray(status))) malformed = true;

  const replicas = count('status.replicas') ?? 0;
  const readyReplicas = count('status.readyReplicas') ?? 0;
  const updatedReplicas = count('status.updatedReplicas') ?? 0;
  const availableReplicas = count('status.availableReplicas') ?? 0;
  const unavailableReplicas = count('status.unavailableReplicas') ?? 0;
  const observedGeneration = count('status.observedGeneration');
  const generation = count('metadata.generation');

  let deadlineExceeded = false;
  const conditions = readPath(report, 'status.conditions');
  if (Array.isArray(conditions)) {
    for (const condition of conditions) {
      if (typeof condition !== 'object' || condition === null) {
        malformed = true;
        continue;
      }
      const { type, reason } = condition as { type?: unknown; reason?: unknown };
      if (type === 'Progressing' && reason === 'ProgressDeadlineExceeded') deadlineExceeded = true;
    }
  } else if (conditions !== undefined && conditions !== null) {
    malformed = true;
  }

  return {
    replicas,
    readyReplicas,
    updatedReplicas,
    availableReplicas,
    unavailableReplicas,
    observedGeneration: observedGeneration ?? 0,
    // Without both generations nobody can tell the edge caught up, so it counts as not observed.
    observedLatest: observedGeneration !== undefined && generation !== undefined && observedGeneration >= generation,
    deadlineExceeded,
    malformed,
  };
}

/** Summarizes one Deployment-like workload's replicas across destinations, divided or replicated. */
export default defineReducer<WorkloadReplicasOptions, WorkloadReplicasAcc, WorkloadReplicasSummary>({
  name: 'workload-replicas',
  version: '1.0.0',
  description: "One workload's replica status across destinations: sums when each runs a share, the weakest destination when each runs a full copy.",
  options: {
    type: 'object',
    additionalProperties: false,
    properties: {
      mode: { type: 'string', enum: ['divided', 'replicated'] },
    },
  },
  reads: ['metadata', 'status'],
  // Sums and counts retract exactly; the minimums and maximum `replicated` mode reads do not.
  retractsWhen: { type: 'object', properties: { mode: { type: 'string', enum: ['divided'] } } },

  init() {
    return {
      sums: { replicas: 0, readyReplicas: 0, updatedReplicas: 0, availableReplicas: 0, unavailableReplicas: 0 },
      mins: null,
      maxes: { unavailableReplicas: 0 },
      counts: { destinations: 0, observedLatestGeneration: 0, progressDeadlineExceeded: 0, malformed: 0 },
    };
  },

  add(acc, report) {
    const seen = observe(report);
    for (const field of countFields) acc.sums[field] += seen[field];
    if (acc.mins === null) {
      acc.mins = {
        replicas: seen.replicas,
        readyReplicas: seen.readyReplicas,
        updatedReplicas: seen.updatedReplicas,
        availableReplicas: seen.availableReplicas,
        observedGeneration: seen.observedGeneration,
      };
    } else {
      for (const field of minFields) acc.mins[field] = Math.min(acc.mins[field], seen[field]);
    }
    acc.maxes.unavailableReplicas = Math.max(acc.maxes.unavailableReplicas, seen.unavailableReplicas);
    acc.counts.destinations += 1;
    if (seen.observedLatest) acc.counts.observedLatestGeneration += 1;
    if (seen.deadlineExceeded) acc.counts.progressDeadlineExceeded += 1;
    if (seen.malformed) acc.counts.malformed += 1;
    return acc;
  },

  // Leaves `mins` and `maxes` as they were: only `replicated` mode reads them, and it never retracts.
  remove(acc, report) {
    const seen = observe(report);
    for (const field of countFields) acc.sums[field] -= seen[field];
    acc.counts.destinations -= 1;
    if (seen.observedLatest) acc.counts.observedLatestGeneration -= 1;
    if (seen.deadlineExceeded) acc.counts.progressDeadlineExceeded -= 1;
    if (seen.malformed) acc.counts.malformed -= 1;
    return acc;
  },

  merge(a, b) {
    for (const field of countFields) a.sums[field] += b.sums[field];
    if (b.mins !== null) {
      if (a.mins === null) a.mins = { ...b.mins };
      else for (const field of minFields) a.mins[field] = Math.min(a.mins[field], b.mins[field]);
    }
    a.maxes.unavailableReplicas = Math.max(a.maxes.unavailableReplicas, b.maxes.unavailableReplicas);
    a.counts.destinations += b.counts.destinations;
    a.counts.observedLatestGeneration += b.counts.observedLatestGeneration;
    a.counts.progressDeadlineExceeded += b.counts.progressDeadlineExceeded;
    a.counts.malformed += b.counts.malformed;
    return a;
  },

  finish(acc, ctx) {
    const { destinations, malformed } = acc.counts;
    if (ctx.options.mode === 'replicated') {
      const mins = acc.mins;
      return {
        mode: 'replicated',
        destinations,
        replicas: mins?.replicas ?? 0,
        readyReplicas: mins?.readyReplicas ?? 0,
        updatedReplicas: mins?.updatedReplicas ?? 0,
        availableReplicas: mins?.availableReplicas ?? 0,
        unavailableReplicas: acc.maxes.unavailableReplicas,
        observedGeneration: mins?.observedGeneration ?? 0,
        progressDeadlineExceeded: acc.counts.progressDeadlineExceeded > 0,
        malformed,
      };
    }
    return {
      mode: 'divided',
      destinations,
      replicas: acc.sums.replicas,
      readyReplicas: acc.sums.readyReplicas,
      updatedReplicas: acc.sums.updatedReplicas,
      availableReplicas: acc.sums.availableReplicas,
      unavailableReplicas: acc.sums.unavailableReplicas,
      observedLatestGeneration: destinations > 0 && acc.counts.observedLatestGeneration === destinations,
      malformed,
    };
  },
});

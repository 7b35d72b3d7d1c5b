/**
 * Per-object health assessment, in the manner of kstatus and Argo CD: one state per object copy,
 * read from the `metadata`, `spec` and `status` an edge reported. Pure and total: it never throws,
 * and data it cannot judge is `unknown`.
 */
import type { ObjectRef, ReportMetadata } from '../../core/contract.js';

/** The health of one object copy at one destination. */
export type HealthState = 'healthy' | 'progressing' | 'degraded' | 'suspended' | 'unknown';

/** Every state, in the order summaries list them. */
export const healthStates: readonly HealthState[] = ['healthy', 'progressing', 'degraded', 'suspended', 'unknown'];

/** The parts of a report an assessment reads. */
export interface AssessInput {
  readonly ref: Pick<ObjectRef, 'group' | 'kind'>;
  readonly metadata?: ReportMetadata | undefined;
  readonly spec?: unknown;
  readonly status: unknown;
}

type Fields = Readonly<Record<string, unknown>>;

/** What a kind's rule sees: `status` is absent when the report's status is not a JSON object. */
interface ObjectView {
  readonly generation: number | undefined;
  readonly annotations: Fields;
  readonly spec: Fields;
  readonly status: Fields | undefined;
}

type Rule = (view: ObjectView) => HealthState;

interface Condition {
  readonly type: string;
  readonly status: string;
  readonly reason: string;
  readonly observedGeneration: number | undefined;
}

/**
 * Assesses one object copy. A terminating object is `progressing` whatever its kind; known kinds of
 * the built-in API groups (and Argo Workflows) have their own rules, which agree with Argo CD's
 * health library but for the differences README.md lists; anything else is judged by its generic
 * conditions.
 */
export function assessHealth(input: AssessInput): HealthState {
  const metadata = record(input.metadata) ?? {};
  const ref = record(input.ref) ?? {};
  const deletion = metadata.deletionTimestamp;
  if (typeof deletion === 'string' && deletion !== '') return 'progressing';
  const rule = rules[`${text(ref.group) ?? ''}/${text(ref.kind) ?? ''}`] ?? generic;
  return rule({
    generation: count(metadata.generation),
    annotations: record(metadata.annotations) ?? {},
    spec: record(input.spec) ?? {},
    status: record(input.status),
  });
}

function deployment({ spec, status, generation }: ObjectView): HealthState {
  if (spec.paused === true) return 'suspended';
  if (status === undefined) return 'unknown';
  if (lagsGeneration(status, generation)) return 'progressing';
  if (findCondition(conditionsOf(status), 'Progressing')?.reason === 'ProgressDeadlineExceeded') return 'degraded';
  const replicas = count(status.replicas) ?? 0;
  const updated = count(status.updatedReplicas) ?? 0;
  const available = count(status.availableReplicas) ?? 0;
  const desired = count(spec.replicas);
  if (desired !== undefined && updated < desired) return 'progressing';
  // Old replicas still terminating, or new ones not yet available.
  if (replicas > updated || available < updated) return 'progressing';
  return 'healthy';
}

function statefulSet({ spec, status, generation }: ObjectView): HealthState {
  if (status === undefined) return 'unknown';
  if (lagsGeneration(status, generation)) return 'progressing';
  const replicas = count(status.replicas) ?? 0;
  const desired = count(spec.replicas);
  const target = desired ?? replicas;
  if ((count(status.readyReplicas) ?? 0) < target) return 'progressing';
  // Scaling either way: pods still to create, or extra ones pending termination.
  if (desired !== undefined && replicas !== desired) return 'progressing';
  const strategy = record(spec.updateStrategy);
  if (strategy?.type === 'OnDelete') return 'healthy';
  const partition = count(record(strategy?.rollingUpdate)?.partition);
  if (partition !== undefined) {
    // Ordinals below the partition keep the old revision on purpose, so the revisions never converge
    // while a partition holds: the rollout is done once every ordinal at or above it is updated.
    return (count(status.updatedReplicas) ?? 0) < Math.max(target - partition, 0) ? 'progressing' : 'healthy';
  }
  return text(status.currentRevision) === text(status.updateRevision) ? 'healthy' : 'progressing';
}

function daemonSet({ spec, status, generation }: ObjectView): HealthState {
  if (status === undefined) return 'unknown';
  if (lagsGeneration(status, generation)) return 'progressing';
  const desired = count(status.desiredNumberScheduled);
  // The controller always writes this count once it has looked at the nodes.
  if (desired === undefined) return 'progressing';
  if ((count(status.numberAvailable) ?? 0) < desired || (count(status.numberReady) ?? 0) < desired) return 'progressing';
  // With OnDelete, old pods are replaced only when someone deletes them: stale pods are not a rollout in flight.
  if (record(spec.updateStrategy)?.type === 'OnDelete') return 'healthy';
  return (count(status.updatedNumberScheduled) ?? 0) < desired ? 'progressing' : 'healthy';
}

function replicaSet({ spec, status, generation }: ObjectView): HealthState {
  if (status === undefined) return 'unknown';
  if (lagsGeneration(status, generation)) return 'progressing';
  if (isTrue(conditionsOf(status), 'ReplicaFailure')) return 'degraded';
  const replicas = count(status.replicas) ?? 0;
  const desired = count(spec.replicas);
  if ((count(status.availableReplicas) ?? 0) < (desired ?? replicas)) return 'progressing';
  if (desired !== undefined && replicas > desired) return 'progressing';
  return 'healthy';
}

function job({ spec, status }: ObjectView): HealthState {
  const conditions = conditionsOf(status);
  // A finished Job stays finished: its outcome outranks a later `suspend`, which no longer has any effect.
  if (isTrue(conditions, 'Failed') || isTrue(conditions, 'FailureTarget')) return 'degraded';
  if (isTrue(conditions, 'Complete')) return 'healthy';
  if (spec.suspend === true || isTrue(conditions, 'Suspended')) return 'suspended';
  return status === undefined ? 'unknown' : 'progressing';
}

function cronJob({ spec }: ObjectView): HealthState {
  // A CronJob's status only lists its recent runs; each run is a Job assessed on its own.
  return spec.suspend === true ? 'suspended' : 'healthy';
}

function pod({ spec, status }: ObjectView): HealthState {
  if (status === undefined) return 'unknown';
  const restartPolicy = text(spec.restartPolicy);
  // The API defaults restartPolicy to Always, so a pod whose edge did not send it is long-running.
  const longRunning = restartPolicy === undefined || restartPolicy === 'Always';
  const runsToCompletion = restartPolicy === 'Never' || restartPolicy === 'OnFailure';
  const containers = list(status.containerStatuses);
  // A pod that runs to completion retries within its owner's budget (a Job's backoffLimit), which
  // judges the failure; calling its crash loop degraded would fail it before its owner does.
  if (longRunning && [...list(status.initContainerStatuses), ...containers].some(isStuckWaiting)) return 'degraded';
  switch (status.phase) {
    case 'Pending': {
      const scheduled = findCondition(conditionsOf(status), 'PodScheduled');
      return scheduled?.status === 'False' && scheduled.reason === 'Unschedulable' ? 'degraded' : 'progressing';
    }
    case 'Running':
      // A pod that runs to completion is not done until it has succeeded.
      if (runsToCompletion) return 'progressing';
      if (!longRunning) return 'unknown';
      if (isTrue(conditionsOf(status), 'Ready')) return 'healthy';
      // Only app containers: an init container that failed once and then succeeded is history, not a crash.
      return containers.some((c) => record(record(c)?.lastState)?.terminated !== undefined) ? 'degraded' : 'progressing';
    case 'Succeeded':
      // The kubelet never restarts a finished pod, so a pod meant to run for ever has stopped serving.
      return restartPolicy === 'Always' ? 'degraded' : 'healthy';
    case 'Failed':
      return 'degraded';
    default:
      // The API server sets a phase on creation: none means the report lost it, and `Unknown` a silent node.
      return 'unknown';
  }
}

function persistentVolumeClaim({ status }: ObjectView): HealthState {
  switch (status?.phase) {
    case 'Bound':
      return 'healthy';
    case 'Pending':
      return 'progressing';
    case 'Lost':
      return 'degraded';
    default:
      return 'unknown';
  }
}

function service({ spec, status }: ObjectView): HealthState {
  if (status === undefined) return 'unknown';
  if (spec.type !== 'LoadBalancer') return 'healthy';
  return hasLoadBalancerEntry(status) ? 'healthy' : 'progressing';
}

function ingress({ status }: ObjectView): HealthState {
  if (status === undefined) return 'unknown';
  return hasLoadBalancerEntry(status) ? 'healthy' : 'progressing';
}

function horizontalPodAutoscaler({ status, annotations }: ObjectView): HealthState {
  let conditions = conditionsOf(status);
  if (conditions.length === 0) {
    // autoscaling/v1 has no conditions field: the API server carries them in an annotation.
    const annotation = annotations['autoscaling.alpha.kubernetes.io/conditions'];
    if (annotation !== undefined) {
      const parsed = parseJson(annotation);
      if (!Array.isArray(parsed)) return 'unknown';
      conditions = conditionsOf({ conditions: parsed });
    }
  }
  if (status === undefined && conditions.length === 0) return 'unknown';
  const ableToScale = findCondition(conditions, 'AbleToScale');
  const scalingActive = findCondition(conditions, 'ScalingActive');
  // The controller writes AbleToScale, ScalingActive, ScalingLimited in that order and the first one
  // with a verdict decides: a scale it cannot read or write is degraded whatever the condition's status.
  if (ableToScale !== undefined && scaleFailure.has(ableToScale.reason)) return 'degraded';
  // The target was scaled to zero on purpose, which switches autoscaling off.
  if (scalingActive?.status === 'False' && scalingActive.reason === 'ScalingDisabled') return 'suspended';
  // Able to scale means the target runs at the size last computed: a metrics outage freezes that size
  // but stops nothing that runs, so it does not outrank a scale the controller can still set.
  if (ableToScale?.status === 'True') return 'healthy';
  if (scalingActive !== undefined && metricFailure.test(scalingActive.reason)) return 'degraded';
  if (findCondition(conditions, 'ScalingLimited')?.status === 'True') return 'healthy';
  // No verdict yet, or AbleToScale=False for a backoff between two scalings.
  return 'progressing';
}

function apiService({ status }: ObjectView): HealthState {
  if (status === undefined) return 'unknown';
  // An aggregated API is unavailable while the Service behind it has no ready endpoints: that backend's
  // own workload carries the verdict, so the APIService waits for it rather than failing a second time.
  return findCondition(conditionsOf(status), 'Available')?.status === 'True' ? 'healthy' : 'progressing';
}

function argoWorkflow({ status }: ObjectView): HealthState {
  switch (status?.phase) {
    case undefined:
      // No status at all is a report without one; a status without a phase is a workflow not started yet.
      return status === undefined ? 'unknown' : 'progressing';
    case '':
    case 'Pending':
    case 'Running':
      return 'progressing';
    case 'Succeeded':
      return 'healthy';
    case 'Failed':
    case 'Error':
      return 'degraded';
    default:
      return 'unknown';
  }
}

function namespace({ status }: ObjectView): HealthState {
  switch (status?.phase) {
    case 'Active':
      return 'healthy';
    case 'Terminating':
      return 'progressing';
    default:
      return 'unknown';
  }
}

function alwaysHealthy(): HealthState {
  return 'healthy';
}

/**
 * Any other kind, through the conventions most controllers follow: kstatus's `Stalled` and
 * `Reconciling`, then `Ready` (or else `Available`), and an observed generation when nothing else speaks.
 */
function generic({ status, generation }: ObjectView): HealthState {
  if (status === undefined) return 'unknown';
  const conditions = conditionsOf(status);
  if (isTrue(conditions, 'Stalled')) return 'degraded';
  if (isTrue(conditions, 'Reconciling')) return 'progressing';
  const observed = count(status.observedGeneration);
  if (generation !== undefined && observed !== undefined && observed < generation) return 'progressing';
  const ready = findCondition(conditions, 'Ready') ?? findCondition(conditions, 'Available');
  if (ready !== undefined) {
    // A condition written for an older spec says nothing yet about the current one.
    if (generation !== undefined && ready.observedGeneration !== undefined && ready.observedGeneration < generation) return 'progressing';
    if (ready.status === 'True') return 'healthy';
    if (ready.status === 'False') return reasonSaysInProgress(ready.reason) ? 'progressing' : 'degraded';
    return 'progressing';
  }
  // The controller has seen the current spec and raised no condition: nothing is wrong that it knows of.
  if (generation !== undefined && observed === generation) return 'healthy';
  return 'unknown';
}

const rules: Readonly<Record<string, Rule>> = {
  'apps/Deployment': deployment,
  'extensions/Deployment': deployment,
  'apps/StatefulSet': statefulSet,
  'apps/DaemonSet': daemonSet,
  'extensions/DaemonSet': daemonSet,
  'apps/ReplicaSet': replicaSet,
  'extensions/ReplicaSet': replicaSet,
  'batch/Job': job,
  'batch/CronJob': cronJob,
  '/Pod': pod,
  '/PersistentVolumeClaim': persistentVolumeClaim,
  '/Service': service,
  '/Namespace': namespace,
  '/ConfigMap': alwaysHealthy,
  '/Secret': alwaysHealthy,
  '/ServiceAccount': alwaysHealthy,
  'networking.k8s.io/Ingress': ingress,
  'extensions/Ingress': ingress,
  'autoscaling/HorizontalPodAutoscaler': horizontalPodAutoscaler,
  'apiregistration.k8s.io/APIService': apiService,
  'argoproj.io/Workflow': argoWorkflow,
};

/**
 * True when the workload controller has not yet acted on the current spec. These controllers always
 * write `observedGeneration`, so its absence means they have not looked yet; `metadata.generation`
 * may be missing from a report, and then only the former can be judged.
 */
function lagsGeneration(status: Fields, generation: number | undefined): boolean {
  const observed = count(status.observedGeneration);
  return observed === undefined || (generation !== undefined && observed < generation);
}

function isStuckWaiting(container: unknown): boolean {
  const reason = text(record(record(record(container)?.state)?.waiting)?.reason);
  if (reason === undefined) return false;
  // CrashLoopBackOff, ImagePullBackOff, ErrImagePull, CreateContainerConfigError and their kin;
  // ContainerCreating and PodInitializing are the normal waits.
  return reason === 'InvalidImageName' || reason.startsWith('Err') || reason.endsWith('Error') || reason.endsWith('BackOff');
}

/**
 * The load balancer controller adds an entry once the balancer exists. Some publish it without an
 * `ip` or `hostname` (reached through other means), so the entry, not its address, is the signal.
 */
function hasLoadBalancerEntry(status: Fields): boolean {
  return list(record(status.loadBalancer)?.ingress).some((entry) => record(entry) !== undefined);
}

/** AbleToScale reasons for a scale subresource the autoscaler could not read or update. */
const scaleFailure: ReadonlySet<string> = new Set(['FailedGetScale', 'FailedUpdateScale']);

/** ScalingActive reasons for metrics it could not fetch, of any source, or a selector it could not use. */
const metricFailure = /^(FailedGet\w*Metric|InvalidSelector)$/;

const failureReason = /Fail|Error|Exceeded|Timeout|TimedOut|Invalid|Denied|BackOff|Backoff/;
const inProgressReason = /^(InProgress|Progressing|Reconcil|Pending|Creat|Provision|Initializ|Install|Waiting|Deploy|Start|Updat|Upgrad|Scaling)/;

/** `Ready=False` is a verdict unless its reason says the controller is still getting there. */
function reasonSaysInProgress(reason: string): boolean {
  return !failureReason.test(reason) && inProgressReason.test(reason);
}

function conditionsOf(status: Fields | undefined): Condition[] {
  const conditions: Condition[] = [];
  for (const item of list(status?.conditions)) {
    const fields = record(item);
    const type = text(fields?.type);
    if (fields === undefined || type === undefined) continue;
    conditions.push({
      type,
      status: text(fields.status) ?? 'Unknown',
      reason: text(fields.reason) ?? '',
      observedGeneration: count(fields.observedGeneration),
    });
  }
  return conditions;
}

function findCondition(conditions: readonly Condition[], type: string): Condition | undefined {
  return conditions.find((condition) => condition.type === type);
}

function isTrue(conditions: readonly Condition[], type: string): boolean {
  return findCondition(conditions, type)?.status === 'True';
}

function parseJson(value: unknown): unknown {
  if (typeof value !== 'string') return undefined;
  try {
    return JSON.parse(value);
  } catch {
    return undefined;
  }
}

function record(value: unknown): Fields | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Fields) : undefined;
}

function list(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

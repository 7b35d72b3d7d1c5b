import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Json, ObjectRef, ReducerContext, StatusReport } from '../../core/contract.js';
import health, { defaultExamples, type HealthAcc, type HealthOptions, type HealthState } from './index.js';

const states: HealthState[] = ['healthy', 'progressing', 'degraded', 'suspended', 'unknown'];

function context(options: HealthOptions = {}): ReducerContext<HealthOptions> {
  return { options, binding: 'health', level: { id: 'site-1', kind: 'site' }, now: '2026-11-24T10:00:00Z' };
}

const ctx = context();

const ref = {
  deployment: { group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'shop', name: 'web' },
  extDeployment: { group: 'extensions', version: 'v1beta1', kind: 'Deployment', namespace: 'shop', name: 'web' },
  customDeployment: { group: 'example.com', version: 'v1', kind: 'Deployment', namespace: 'shop', name: 'web' },
  statefulSet: { group: 'apps', version: 'v1', kind: 'StatefulSet', namespace: 'shop', name: 'db' },
  daemonSet: { group: 'apps', version: 'v1', kind: 'DaemonSet', namespace: 'kube-system', name: 'node-agent' },
  replicaSet: { group: 'apps', version: 'v1', kind: 'ReplicaSet', namespace: 'shop', name: 'web-6c9f8d7b5' },
  job: { group: 'batch', version: 'v1', kind: 'Job', namespace: 'shop', name: 'migrate' },
  cronJob: { group: 'batch', version: 'v1', kind: 'CronJob', namespace: 'shop', name: 'nightly' },
  pod: { group: '', version: 'v1', kind: 'Pod', namespace: 'shop', name: 'web-0' },
  pvc: { group: '', version: 'v1', kind: 'PersistentVolumeClaim', namespace: 'shop', name: 'data' },
  service: { group: '', version: 'v1', kind: 'Service', namespace: 'shop', name: 'web' },
  ingress: { group: 'networking.k8s.io', version: 'v1', kind: 'Ingress', namespace: 'shop', name: 'web' },
  extIngress: { group: 'extensions', version: 'v1beta1', kind: 'Ingress', namespace: 'shop', name: 'web' },
  hpa: { group: 'autoscaling', version: 'v2', kind: 'HorizontalPodAutoscaler', namespace: 'shop', name: 'web' },
  hpaV1: { group: 'autoscaling', version: 'v1', kind: 'HorizontalPodAutoscaler', namespace: 'shop', name: 'web' },
  namespace: { group: '', version: 'v1', kind: 'Namespace', name: 'shop' },
  configMap: { group: '', version: 'v1', kind: 'ConfigMap', namespace: 'shop', name: 'web-config' },
  custom: { group: 'example.com', version: 'v1', kind: 'Widget', namespace: 'shop', name: 'gizmo' },
  clusterIssuer: { group: 'cert-manager.io', version: 'v1', kind: 'ClusterIssuer', name: 'letsencrypt' },
  apiService: { group: 'apiregistration.k8s.io', version: 'v1', kind: 'APIService', name: 'v1beta1.metrics.example.com' },
  workflow: { group: 'argoproj.io', version: 'v1alpha1', kind: 'Workflow', namespace: 'shop', name: 'nightly-export' },
} satisfies Record<string, ObjectRef>;

interface Observed {
  readonly metadata?: Record<string, unknown>;
  readonly spec?: Record<string, unknown>;
  readonly status: unknown;
}

function report(objectRef: ObjectRef, observed: Observed, destination = 'edge-0001', seq = 1): StatusReport {
  return { destination, ref: objectRef, seq, observedAt: '2026-11-24T10:00:00Z', ...observed } as StatusReport;
}

/** The state the reducer assigns to one report, read back through `add` and `finish`. */
function stateOf(objectRef: ObjectRef, observed: Observed): HealthState {
  const summary = health.finish(health.add(health.init(ctx), report(objectRef, observed), ctx), ctx);
  const hit = states.filter((state) => summary.counts[state] === 1);
  expect(hit).toHaveLength(1);
  return hit[0]!;
}

const cond = (type: string, status: string, reason = '', extra: Record<string, unknown> = {}) => ({ type, status, reason, ...extra });

interface Case {
  readonly name: string;
  readonly ref: ObjectRef;
  readonly observed: Observed;
  readonly expected: HealthState;
}

const deploymentStatus = (generation: number, replicas: number) => ({
  observedGeneration: generation,
  replicas,
  updatedReplicas: replicas,
  readyReplicas: replicas,
  availableReplicas: replicas,
  conditions: [cond('Available', 'True', 'MinimumReplicasAvailable'), cond('Progressing', 'True', 'NewReplicaSetAvailable')],
});

const deploymentCases: Case[] = [
  { name: 'reports a fully rolled out Deployment as healthy', ref: ref.deployment, observed: { metadata: { generation: 3 }, spec: { replicas: 3 }, status: deploymentStatus(3, 3) }, expected: 'healthy' },
  { name: 'reports a paused Deployment as suspended', ref: ref.deployment, observed: { metadata: { generation: 5 }, spec: { replicas: 3, paused: true }, status: { observedGeneration: 5, replicas: 3, updatedReplicas: 0, availableReplicas: 3 } }, expected: 'suspended' },
  { name: 'reports a Deployment whose controller has not seen the new generation as progressing', ref: ref.deployment, observed: { metadata: { generation: 4 }, spec: { replicas: 3 }, status: deploymentStatus(3, 3) }, expected: 'progressing' },
  {
    name: 'reports a Deployment past its progress deadline as degraded',
    ref: ref.deployment,
    observed: {
      metadata: { generation: 4 },
      spec: { replicas: 3 },
      status: { observedGeneration: 4, replicas: 4, updatedReplicas: 1, availableReplicas: 3, conditions: [cond('Available', 'True'), cond('Progressing', 'False', 'ProgressDeadlineExceeded')] },
    },
    expected: 'degraded',
  },
  { name: 'reports a Deployment with fewer updated replicas than desired as progressing', ref: ref.deployment, observed: { metadata: { generation: 4 }, spec: { replicas: 3 }, status: { observedGeneration: 4, replicas: 3, updatedReplicas: 2, availableReplicas: 3 } }, expected: 'progressing' },
  { name: 'reports a Deployment with old replicas still terminating as progressing', ref: ref.deployment, observed: { metadata: { generation: 4 }, spec: { replicas: 3 }, status: { observedGeneration: 4, replicas: 4, updatedReplicas: 3, availableReplicas: 3 } }, expected: 'progressing' },
  { name: 'reports a Deployment with updated replicas not yet available as progressing', ref: ref.deployment, observed: { metadata: { generation: 3 }, spec: { replicas: 3 }, status: { observedGeneration: 3, replicas: 3, updatedReplicas: 3, availableReplicas: 2 } }, expected: 'progressing' },
  { name: 'reports a just created Deployment with an empty status as progressing', ref: ref.deployment, observed: { metadata: { generation: 1 }, spec: { replicas: 3 }, status: {} }, expected: 'progressing' },
  { name: 'judges a Deployment from its status alone when the edge sends no spec or metadata', ref: ref.deployment, observed: { status: deploymentStatus(7, 2) }, expected: 'healthy' },
  { name: 'reports a Deployment scaled to zero as healthy', ref: ref.deployment, observed: { metadata: { generation: 2 }, spec: { replicas: 0 }, status: { observedGeneration: 2 } }, expected: 'healthy' },
  { name: 'applies the Deployment rules to extensions/v1beta1 Deployments', ref: ref.extDeployment, observed: { metadata: { generation: 2 }, spec: { replicas: 3 }, status: { observedGeneration: 2, replicas: 3, updatedReplicas: 1, availableReplicas: 3 } }, expected: 'progressing' },
  { name: 'applies the Deployment rules only to the apps group, not to a custom kind of the same name', ref: ref.customDeployment, observed: { metadata: { generation: 1 }, spec: { replicas: 3 }, status: { observedGeneration: 1, conditions: [cond('Ready', 'True')] } }, expected: 'healthy' },
  { name: 'does not read a Ready condition as rollout progress for an apps Deployment', ref: ref.deployment, observed: { metadata: { generation: 1 }, spec: { replicas: 3 }, status: { observedGeneration: 1, conditions: [cond('Ready', 'True')] } }, expected: 'progressing' },
];

const stsStatus = (generation: number, current: string, update: string, updated = 3) => ({
  observedGeneration: generation,
  replicas: 3,
  readyReplicas: 3,
  currentReplicas: 3,
  updatedReplicas: updated,
  currentRevision: current,
  updateRevision: update,
});

const statefulSetCases: Case[] = [
  { name: 'reports a StatefulSet at one revision with every replica ready as healthy', ref: ref.statefulSet, observed: { metadata: { generation: 2 }, spec: { replicas: 3 }, status: stsStatus(2, 'db-1', 'db-1') }, expected: 'healthy' },
  { name: 'reports a StatefulSet with replicas not ready as progressing', ref: ref.statefulSet, observed: { metadata: { generation: 2 }, spec: { replicas: 3 }, status: { ...stsStatus(2, 'db-1', 'db-1'), readyReplicas: 2 } }, expected: 'progressing' },
  { name: 'reports a StatefulSet rolling to a new revision as progressing', ref: ref.statefulSet, observed: { metadata: { generation: 3 }, spec: { replicas: 3 }, status: stsStatus(3, 'db-1', 'db-2', 1) }, expected: 'progressing' },
  {
    name: 'reports a partitioned StatefulSet whose ordinals above the partition are not all updated as progressing',
    ref: ref.statefulSet,
    observed: { metadata: { generation: 3 }, spec: { replicas: 3, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1 } } }, status: stsStatus(3, 'db-1', 'db-2', 1) },
    expected: 'progressing',
  },
  {
    name: 'reports a partitioned StatefulSet as healthy once the ordinals above the partition are updated, though revisions differ',
    ref: ref.statefulSet,
    observed: { metadata: { generation: 3 }, spec: { replicas: 3, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } } }, status: stsStatus(3, 'db-1', 'db-2', 1) },
    expected: 'healthy',
  },
  { name: 'reports an OnDelete StatefulSet with ready pods as healthy whatever their revision', ref: ref.statefulSet, observed: { metadata: { generation: 3 }, spec: { replicas: 3, updateStrategy: { type: 'OnDelete' } }, status: stsStatus(3, 'db-1', 'db-2', 0) }, expected: 'healthy' },
  { name: 'reports a StatefulSet whose controller lags the generation as progressing', ref: ref.statefulSet, observed: { metadata: { generation: 4 }, spec: { replicas: 3 }, status: stsStatus(3, 'db-1', 'db-1') }, expected: 'progressing' },
  { name: 'reports a StatefulSet scaling down with pods pending termination as progressing', ref: ref.statefulSet, observed: { metadata: { generation: 3 }, spec: { replicas: 2 }, status: stsStatus(3, 'db-1', 'db-1') }, expected: 'progressing' },
];

const dsStatus = (generation: number, fields: Record<string, number> = {}) => ({
  observedGeneration: generation,
  desiredNumberScheduled: 4,
  currentNumberScheduled: 4,
  updatedNumberScheduled: 4,
  numberReady: 4,
  numberAvailable: 4,
  numberMisscheduled: 0,
  ...fields,
});

const daemonSetCases: Case[] = [
  { name: 'reports a DaemonSet with every node updated and available as healthy', ref: ref.daemonSet, observed: { metadata: { generation: 2 }, status: dsStatus(2) }, expected: 'healthy' },
  { name: 'reports a DaemonSet with nodes still on the old template as progressing', ref: ref.daemonSet, observed: { metadata: { generation: 2 }, status: dsStatus(2, { updatedNumberScheduled: 3 }) }, expected: 'progressing' },
  { name: 'reports a DaemonSet with pods not available as progressing', ref: ref.daemonSet, observed: { metadata: { generation: 2 }, status: dsStatus(2, { numberAvailable: 3, numberReady: 3 }) }, expected: 'progressing' },
  { name: 'reports an OnDelete DaemonSet with stale but available pods as healthy', ref: ref.daemonSet, observed: { metadata: { generation: 2 }, spec: { updateStrategy: { type: 'OnDelete' } }, status: dsStatus(2, { updatedNumberScheduled: 0 }) }, expected: 'healthy' },
  { name: 'reports a DaemonSet without a desired count yet as progressing', ref: ref.daemonSet, observed: { metadata: { generation: 1 }, status: { observedGeneration: 1 } }, expected: 'progressing' },
  { name: 'reports a DaemonSet whose controller lags the generation as progressing', ref: ref.daemonSet, observed: { metadata: { generation: 3 }, status: dsStatus(2) }, expected: 'progressing' },
];

const replicaSetCases: Case[] = [
  { name: 'reports a ReplicaSet with all replicas available as healthy', ref: ref.replicaSet, observed: { metadata: { generation: 1 }, spec: { replicas: 3 }, status: { observedGeneration: 1, replicas: 3, availableReplicas: 3, readyReplicas: 3 } }, expected: 'healthy' },
  {
    name: 'reports a ReplicaSet that cannot create pods as degraded',
    ref: ref.replicaSet,
    observed: { metadata: { generation: 1 }, spec: { replicas: 3 }, status: { observedGeneration: 1, replicas: 1, availableReplicas: 1, conditions: [cond('ReplicaFailure', 'True', 'FailedCreate')] } },
    expected: 'degraded',
  },
  { name: 'reports a ReplicaSet with replicas not yet available as progressing', ref: ref.replicaSet, observed: { metadata: { generation: 1 }, spec: { replicas: 3 }, status: { observedGeneration: 1, replicas: 3, availableReplicas: 2 } }, expected: 'progressing' },
  { name: 'reports a ReplicaSet whose controller lags the generation as progressing', ref: ref.replicaSet, observed: { metadata: { generation: 2 }, spec: { replicas: 3 }, status: { observedGeneration: 1, replicas: 3, availableReplicas: 3 } }, expected: 'progressing' },
];

const jobCases: Case[] = [
  { name: 'reports a completed Job as healthy', ref: ref.job, observed: { spec: { completions: 1 }, status: { succeeded: 1, conditions: [cond('SuccessCriteriaMet', 'True'), cond('Complete', 'True')] } }, expected: 'healthy' },
  { name: 'reports a failed Job as degraded', ref: ref.job, observed: { status: { failed: 4, conditions: [cond('FailureTarget', 'True', 'BackoffLimitExceeded'), cond('Failed', 'True', 'BackoffLimitExceeded')] } }, expected: 'degraded' },
  { name: 'reports a Job already judged to fail, with pods still terminating, as degraded', ref: ref.job, observed: { status: { failed: 4, active: 1, conditions: [cond('FailureTarget', 'True', 'BackoffLimitExceeded')] } }, expected: 'degraded' },
  { name: 'reports a running Job as progressing', ref: ref.job, observed: { status: { startTime: '2026-11-24T09:00:00Z', active: 1 } }, expected: 'progressing' },
  { name: 'reports a suspended Job as suspended', ref: ref.job, observed: { spec: { suspend: true }, status: {} }, expected: 'suspended' },
  { name: 'reports a Job with the Suspended condition as suspended when the spec is not sent', ref: ref.job, observed: { status: { conditions: [cond('Suspended', 'True', 'JobSuspended')] } }, expected: 'suspended' },
  { name: 'reports a completed Job as healthy even when suspended afterwards', ref: ref.job, observed: { spec: { suspend: true }, status: { succeeded: 1, conditions: [cond('Complete', 'True')] } }, expected: 'healthy' },
  { name: 'reports a resumed Job as progressing', ref: ref.job, observed: { spec: { suspend: false }, status: { active: 1, conditions: [cond('Suspended', 'False', 'JobResumed')] } }, expected: 'progressing' },
  { name: 'reports an active CronJob as healthy', ref: ref.cronJob, observed: { spec: { schedule: '0 3 * * *' }, status: { lastScheduleTime: '2026-11-24T03:00:00Z' } }, expected: 'healthy' },
  { name: 'reports a suspended CronJob as suspended', ref: ref.cronJob, observed: { spec: { suspend: true }, status: {} }, expected: 'suspended' },
];

const waiting = (reason: string) => ({ name: 'web', ready: false, restartCount: 3, state: { waiting: { reason } } });

const podCases: Case[] = [
  { name: 'reports a running ready Pod as healthy', ref: ref.pod, observed: { status: { phase: 'Running', conditions: [cond('Ready', 'True')], containerStatuses: [{ name: 'web', ready: true, state: { running: {} } }] } }, expected: 'healthy' },
  { name: 'reports a Pod in CrashLoopBackOff as degraded', ref: ref.pod, observed: { status: { phase: 'Running', conditions: [cond('Ready', 'False')], containerStatuses: [waiting('CrashLoopBackOff')] } }, expected: 'degraded' },
  { name: 'reports a Pod in ImagePullBackOff as degraded', ref: ref.pod, observed: { status: { phase: 'Pending', containerStatuses: [waiting('ImagePullBackOff')] } }, expected: 'degraded' },
  { name: 'reports a Pod with ErrImagePull as degraded', ref: ref.pod, observed: { status: { phase: 'Pending', containerStatuses: [waiting('ErrImagePull')] } }, expected: 'degraded' },
  { name: 'reports a Pod whose init container crash-loops as degraded', ref: ref.pod, observed: { status: { phase: 'Pending', initContainerStatuses: [waiting('CrashLoopBackOff')], containerStatuses: [waiting('PodInitializing')] } }, expected: 'degraded' },
  { name: 'reports a Pod creating its containers as progressing', ref: ref.pod, observed: { status: { phase: 'Pending', conditions: [cond('PodScheduled', 'True')], containerStatuses: [waiting('ContainerCreating')] } }, expected: 'progressing' },
  {
    name: 'reports a running Pod that is not ready after a restart as degraded',
    ref: ref.pod,
    observed: { status: { phase: 'Running', conditions: [cond('Ready', 'False')], containerStatuses: [{ name: 'web', ready: false, state: { running: {} }, lastState: { terminated: { exitCode: 137, reason: 'OOMKilled' } } }] } },
    expected: 'degraded',
  },
  { name: 'reports a running Pod still waiting for readiness as progressing', ref: ref.pod, observed: { status: { phase: 'Running', conditions: [cond('Ready', 'False')], containerStatuses: [{ name: 'web', ready: false, state: { running: {} } }] } }, expected: 'progressing' },
  { name: 'reports a running Pod that runs to completion as progressing', ref: ref.pod, observed: { spec: { restartPolicy: 'Never' }, status: { phase: 'Running', conditions: [cond('Ready', 'True')] } }, expected: 'progressing' },
  { name: 'reports a succeeded run-to-completion Pod as healthy', ref: ref.pod, observed: { spec: { restartPolicy: 'OnFailure' }, status: { phase: 'Succeeded' } }, expected: 'healthy' },
  { name: 'reports a succeeded Pod as healthy when its restart policy is not sent', ref: ref.pod, observed: { status: { phase: 'Succeeded' } }, expected: 'healthy' },
  { name: 'reports a succeeded Pod that should restart always as degraded', ref: ref.pod, observed: { spec: { restartPolicy: 'Always' }, status: { phase: 'Succeeded' } }, expected: 'degraded' },
  { name: 'reports a failed Pod as degraded', ref: ref.pod, observed: { spec: { restartPolicy: 'Never' }, status: { phase: 'Failed', reason: 'Evicted' } }, expected: 'degraded' },
  { name: 'reports an unschedulable Pod as degraded', ref: ref.pod, observed: { status: { phase: 'Pending', conditions: [cond('PodScheduled', 'False', 'Unschedulable')] } }, expected: 'degraded' },
  { name: 'reports a Pod whose node stopped reporting as unknown', ref: ref.pod, observed: { status: { phase: 'Unknown' } }, expected: 'unknown' },
  { name: 'reports a Pod whose report carries no phase as unknown, as the API server always sets one', ref: ref.pod, observed: { status: {} }, expected: 'unknown' },
  {
    name: 'reports a crash-looping Pod that runs to completion as progressing, leaving the verdict to its owner',
    ref: ref.pod,
    observed: { spec: { restartPolicy: 'OnFailure' }, status: { phase: 'Running', conditions: [cond('Ready', 'False')], containerStatuses: [waiting('CrashLoopBackOff')] } },
    expected: 'progressing',
  },
  { name: 'reports a Never Pod that cannot pull its image as progressing', ref: ref.pod, observed: { spec: { restartPolicy: 'Never' }, status: { phase: 'Pending', containerStatuses: [waiting('ErrImagePull')] } }, expected: 'progressing' },
  { name: 'treats a Pod whose restart policy is not sent as long-running, the API default', ref: ref.pod, observed: { status: { phase: 'Running', containerStatuses: [waiting('CrashLoopBackOff')] } }, expected: 'degraded' },
  {
    name: 'does not count an init container that failed once and then succeeded against a running Pod',
    ref: ref.pod,
    observed: {
      spec: { restartPolicy: 'Always' },
      status: {
        phase: 'Running',
        conditions: [cond('Ready', 'False')],
        initContainerStatuses: [{ name: 'migrate', ready: true, state: { terminated: { exitCode: 0 } }, lastState: { terminated: { exitCode: 1 } } }],
        containerStatuses: [{ name: 'web', ready: false, state: { running: {} }, lastState: {} }],
      },
    },
    expected: 'progressing',
  },
  { name: 'reports a running Pod with a restart policy it does not know as unknown', ref: ref.pod, observed: { spec: { restartPolicy: 'Sometimes' }, status: { phase: 'Running', conditions: [cond('Ready', 'True')] } }, expected: 'unknown' },
];

const lb = (...ingress: unknown[]) => ({ loadBalancer: ingress.length === 0 ? {} : { ingress } });

const networkCases: Case[] = [
  { name: 'reports a bound PersistentVolumeClaim as healthy', ref: ref.pvc, observed: { status: { phase: 'Bound', capacity: { storage: '10Gi' } } }, expected: 'healthy' },
  { name: 'reports a pending PersistentVolumeClaim as progressing', ref: ref.pvc, observed: { status: { phase: 'Pending' } }, expected: 'progressing' },
  { name: 'reports a lost PersistentVolumeClaim as degraded', ref: ref.pvc, observed: { status: { phase: 'Lost' } }, expected: 'degraded' },
  { name: 'reports a PersistentVolumeClaim without a phase as unknown', ref: ref.pvc, observed: { status: {} }, expected: 'unknown' },
  { name: 'reports a ClusterIP Service as healthy', ref: ref.service, observed: { spec: { type: 'ClusterIP' }, status: lb() }, expected: 'healthy' },
  { name: 'reports a Service whose type is not sent as healthy, as the API defaults it to ClusterIP', ref: ref.service, observed: { status: lb() }, expected: 'healthy' },
  { name: 'reports a LoadBalancer Service without an ingress address as progressing', ref: ref.service, observed: { spec: { type: 'LoadBalancer' }, status: lb() }, expected: 'progressing' },
  { name: 'reports a LoadBalancer Service with an IP as healthy', ref: ref.service, observed: { spec: { type: 'LoadBalancer' }, status: lb({ ip: '203.0.113.7' }) }, expected: 'healthy' },
  { name: 'reports a LoadBalancer Service with a hostname as healthy', ref: ref.service, observed: { spec: { type: 'LoadBalancer' }, status: lb({ hostname: 'lb.example.net' }) }, expected: 'healthy' },
  { name: 'reports a LoadBalancer Service with an ingress entry but no address as healthy: the entry says it is provisioned', ref: ref.service, observed: { spec: { type: 'LoadBalancer' }, status: lb({ ports: [] }) }, expected: 'healthy' },
  { name: 'reports a LoadBalancer Service whose ingress entries are not objects as progressing', ref: ref.service, observed: { spec: { type: 'LoadBalancer' }, status: lb(null, 'pending') }, expected: 'progressing' },
  { name: 'reports an Ingress with a load balancer address as healthy', ref: ref.ingress, observed: { status: lb({ ip: '203.0.113.8' }) }, expected: 'healthy' },
  { name: 'reports an Ingress without a load balancer address as progressing', ref: ref.ingress, observed: { status: lb() }, expected: 'progressing' },
  { name: 'applies the Ingress rules to extensions/v1beta1 Ingresses', ref: ref.extIngress, observed: { status: lb({ hostname: 'web.example.net' }) }, expected: 'healthy' },
];

const hpaCases: Case[] = [
  {
    name: 'reports an autoscaler that is able to scale with valid metrics as healthy',
    ref: ref.hpa,
    observed: { status: { conditions: [cond('AbleToScale', 'True', 'ReadyForNewScale'), cond('ScalingActive', 'True', 'ValidMetricFound'), cond('ScalingLimited', 'False', 'DesiredWithinRange')] } },
    expected: 'healthy',
  },
  {
    name: 'reports an autoscaler held at its maximum as healthy',
    ref: ref.hpa,
    observed: { status: { conditions: [cond('AbleToScale', 'True', 'ReadyForNewScale'), cond('ScalingActive', 'True', 'ValidMetricFound'), cond('ScalingLimited', 'True', 'TooManyReplicas')] } },
    expected: 'healthy',
  },
  {
    name: 'reports an autoscaler able to scale as healthy while its metrics cannot be read',
    ref: ref.hpa,
    observed: { status: { conditions: [cond('AbleToScale', 'True', 'SucceededGetScale'), cond('ScalingActive', 'False', 'FailedGetResourceMetric')] } },
    expected: 'healthy',
  },
  {
    name: 'reports an autoscaler in backoff whose metrics of any source cannot be read as degraded',
    ref: ref.hpa,
    observed: { status: { conditions: [cond('AbleToScale', 'False', 'BackoffBoth'), cond('ScalingActive', 'False', 'FailedGetExternalMetric')] } },
    expected: 'degraded',
  },
  { name: 'reports an autoscaler with an invalid selector and no verdict on its scale as degraded', ref: ref.hpa, observed: { status: { conditions: [cond('ScalingActive', 'False', 'InvalidSelector')] } }, expected: 'degraded' },
  { name: 'reports an autoscaler in backoff between two scalings as progressing', ref: ref.hpa, observed: { status: { conditions: [cond('AbleToScale', 'False', 'BackoffDownscale'), cond('ScalingActive', 'True', 'ValidMetricFound')] } }, expected: 'progressing' },
  { name: 'reports an autoscaler that cannot scale its target as degraded', ref: ref.hpa, observed: { status: { conditions: [cond('AbleToScale', 'False', 'FailedGetScale')] } }, expected: 'degraded' },
  { name: 'reports an autoscaler that failed to update the scale as degraded whatever the condition status says', ref: ref.hpa, observed: { status: { conditions: [cond('AbleToScale', 'True', 'FailedUpdateScale')] } }, expected: 'degraded' },
  { name: 'reports an autoscaler whose target is scaled to zero as suspended', ref: ref.hpa, observed: { status: { conditions: [cond('AbleToScale', 'True'), cond('ScalingActive', 'False', 'ScalingDisabled')] } }, expected: 'suspended' },
  { name: 'reports an autoscaler held at a limit and without AbleToScale as healthy', ref: ref.hpa, observed: { status: { conditions: [cond('ScalingActive', 'True', 'ValidMetricFound'), cond('ScalingLimited', 'True', 'TooManyReplicas')] } }, expected: 'healthy' },
  { name: 'reports an autoscaler without conditions yet as progressing', ref: ref.hpa, observed: { status: { currentReplicas: 1, desiredReplicas: 0 } }, expected: 'progressing' },
  {
    name: 'reads autoscaling/v1 conditions from their annotation',
    ref: ref.hpaV1,
    observed: {
      metadata: { annotations: { 'autoscaling.alpha.kubernetes.io/conditions': JSON.stringify([cond('AbleToScale', 'False', 'FailedUpdateScale'), cond('ScalingActive', 'True', 'ValidMetricFound')]) } },
      status: { currentReplicas: 2, desiredReplicas: 2 },
    },
    expected: 'degraded',
  },
  {
    name: 'reports an autoscaling/v1 autoscaler with an unreadable conditions annotation as unknown',
    ref: ref.hpaV1,
    observed: { metadata: { annotations: { 'autoscaling.alpha.kubernetes.io/conditions': '[{"type":' } }, status: { currentReplicas: 2 } },
    expected: 'unknown',
  },
  {
    name: 'reports an autoscaling/v1 autoscaler whose conditions annotation is not a list as unknown',
    ref: ref.hpaV1,
    observed: { metadata: { annotations: { 'autoscaling.alpha.kubernetes.io/conditions': '{"type":"AbleToScale"}' } }, status: { currentReplicas: 2 } },
    expected: 'unknown',
  },
  {
    name: 'reports an autoscaling/v1 autoscaler with an empty conditions annotation as progressing',
    ref: ref.hpaV1,
    observed: { metadata: { annotations: { 'autoscaling.alpha.kubernetes.io/conditions': '[]' } }, status: { currentReplicas: 2 } },
    expected: 'progressing',
  },
];

const apiServiceAndWorkflowCases: Case[] = [
  { name: 'reports an available APIService as healthy', ref: ref.apiService, observed: { status: { conditions: [cond('Available', 'True', 'Passed')] } }, expected: 'healthy' },
  { name: 'reports an unavailable APIService as progressing, waiting on the workload behind it', ref: ref.apiService, observed: { status: { conditions: [cond('Available', 'False', 'FailedDiscoveryCheck')] } }, expected: 'progressing' },
  { name: 'reports an APIService the aggregator has not checked yet as progressing', ref: ref.apiService, observed: { status: {} }, expected: 'progressing' },
  { name: 'reports a running Argo Workflow as progressing', ref: ref.workflow, observed: { status: { phase: 'Running' } }, expected: 'progressing' },
  { name: 'reports a pending Argo Workflow as progressing', ref: ref.workflow, observed: { status: { phase: 'Pending' } }, expected: 'progressing' },
  { name: 'reports a succeeded Argo Workflow as healthy', ref: ref.workflow, observed: { status: { phase: 'Succeeded', finishedAt: '2026-11-24T09:30:00Z' } }, expected: 'healthy' },
  { name: 'reports a failed Argo Workflow as degraded', ref: ref.workflow, observed: { status: { phase: 'Failed' } }, expected: 'degraded' },
  { name: 'reports an Argo Workflow that errored as degraded', ref: ref.workflow, observed: { status: { phase: 'Error' } }, expected: 'degraded' },
  { name: 'reports an Argo Workflow in a phase it does not know as unknown', ref: ref.workflow, observed: { status: { phase: 'Paused' } }, expected: 'unknown' },
];

const genericCases: Case[] = [
  { name: 'reports a custom resource with Ready=True as healthy', ref: ref.custom, observed: { metadata: { generation: 2 }, status: { observedGeneration: 2, conditions: [cond('Ready', 'True', 'Succeeded')] } }, expected: 'healthy' },
  { name: 'reports a custom resource with Ready=False for a failure as degraded', ref: ref.custom, observed: { status: { conditions: [cond('Ready', 'False', 'InstallFailed')] } }, expected: 'degraded' },
  { name: 'reports a custom resource with Ready=False while it is still getting there as progressing', ref: ref.custom, observed: { status: { conditions: [cond('Ready', 'False', 'Progressing')] } }, expected: 'progressing' },
  { name: 'reports a custom resource with Ready=False and an unexplained reason as degraded', ref: ref.custom, observed: { status: { conditions: [cond('Ready', 'False', 'NotReady')] } }, expected: 'degraded' },
  { name: 'reports a custom resource with Ready=Unknown as progressing', ref: ref.custom, observed: { status: { conditions: [cond('Ready', 'Unknown')] } }, expected: 'progressing' },
  { name: 'reads Available when a custom resource has no Ready condition', ref: ref.custom, observed: { status: { conditions: [cond('Available', 'True')] } }, expected: 'healthy' },
  { name: 'reports a stalled custom resource as degraded', ref: ref.custom, observed: { status: { conditions: [cond('Stalled', 'True', 'BadSpec'), cond('Ready', 'False', 'Pending')] } }, expected: 'degraded' },
  { name: 'reports a reconciling custom resource as progressing', ref: ref.custom, observed: { status: { conditions: [cond('Reconciling', 'True'), cond('Ready', 'True')] } }, expected: 'progressing' },
  { name: 'reports a custom resource whose controller lags the generation as progressing', ref: ref.custom, observed: { metadata: { generation: 3 }, status: { observedGeneration: 2, conditions: [cond('Ready', 'True')] } }, expected: 'progressing' },
  { name: 'reports a custom resource whose Ready condition describes an older generation as progressing', ref: ref.custom, observed: { metadata: { generation: 3 }, status: { conditions: [cond('Ready', 'True', '', { observedGeneration: 2 })] } }, expected: 'progressing' },
  { name: 'reports a custom resource with its generation observed and no conditions as healthy', ref: ref.custom, observed: { metadata: { generation: 3 }, status: { observedGeneration: 3 } }, expected: 'healthy' },
  { name: 'reports a custom resource with nothing to judge as unknown', ref: ref.custom, observed: { status: { phase: 'Whatever' } }, expected: 'unknown' },
  { name: 'reports a custom resource without status as unknown', ref: ref.custom, observed: { status: null }, expected: 'unknown' },
  { name: 'assesses a cluster-scoped custom resource', ref: ref.clusterIssuer, observed: { metadata: { generation: 1 }, status: { conditions: [cond('Ready', 'True', 'ACMEAccountRegistered')] } }, expected: 'healthy' },
  { name: 'assesses a cluster-scoped Namespace that is active as healthy', ref: ref.namespace, observed: { status: { phase: 'Active' } }, expected: 'healthy' },
  { name: 'reports a terminating Namespace as progressing', ref: ref.namespace, observed: { status: { phase: 'Terminating' } }, expected: 'progressing' },
  { name: 'reports a ConfigMap as healthy: it has no status to wait for', ref: ref.configMap, observed: { status: null }, expected: 'healthy' },
  {
    name: 'reports any object with a deletion timestamp as progressing',
    ref: ref.deployment,
    observed: { metadata: { generation: 3, deletionTimestamp: '2026-11-24T09:59:00Z' }, spec: { replicas: 3 }, status: deploymentStatus(3, 3) },
    expected: 'progressing',
  },
  { name: 'ignores a null deletion timestamp', ref: ref.deployment, observed: { metadata: { generation: 3, deletionTimestamp: null }, spec: { replicas: 3 }, status: deploymentStatus(3, 3) }, expected: 'healthy' },
];

describe('health assessment', () => {
  const groups: [string, Case[]][] = [
    ['Deployment', deploymentCases],
    ['StatefulSet', statefulSetCases],
    ['DaemonSet', daemonSetCases],
    ['ReplicaSet', replicaSetCases],
    ['Job and CronJob', jobCases],
    ['Pod', podCases],
    ['PersistentVolumeClaim, Service and Ingress', networkCases],
    ['HorizontalPodAutoscaler', hpaCases],
    ['APIService and Argo Workflow', apiServiceAndWorkflowCases],
    ['other kinds', genericCases],
  ];
  for (const [group, cases] of groups) {
    describe(group, () => {
      it.each(cases)('$name', ({ ref: objectRef, observed, expected }) => {
        expect(stateOf(objectRef, observed)).toBe(expected);
      });
    });
  }

  const garbageStatuses: unknown[] = [
    42,
    null,
    'Running',
    true,
    [],
    [{ type: 'Ready', status: 'True' }],
    { conditions: 'Ready' },
    { conditions: [null, 7, 'Ready', { type: 5 }, { type: 'Ready', status: 1 }, { type: 'Progressing', reason: ['ProgressDeadlineExceeded'] }] },
    { phase: 7, containerStatuses: {}, initContainerStatuses: [null, { state: 'waiting' }, { state: { waiting: { reason: 3 } } }] },
    { loadBalancer: { ingress: 'x' } },
    { loadBalancer: { ingress: [null, 1, { ip: 5 }] } },
    { replicas: 'three', observedGeneration: '1', readyReplicas: Number.NaN, desiredNumberScheduled: null },
    { observedGeneration: 1e308, replicas: -1 },
  ];
  const garbageObserved: Observed[] = garbageStatuses.flatMap((status) => [
    { status },
    {
      metadata: { generation: 'two', deletionTimestamp: 5, annotations: { 'autoscaling.alpha.kubernetes.io/conditions': '{not json' } },
      spec: { replicas: 'x', paused: 'yes', updateStrategy: 'OnDelete', restartPolicy: 9, type: ['LoadBalancer'] },
      status,
    },
  ]);

  it('never throws on garbage status, spec or metadata, and always picks one of the five states', () => {
    for (const objectRef of Object.values(ref)) {
      for (const observed of garbageObserved) {
        expect(() => stateOf(objectRef, observed)).not.toThrow();
      }
    }
  });

  it('reports objects whose status is not a JSON object as unknown', () => {
    for (const status of [42, null, 'Running', true, [], [{ type: 'Ready', status: 'True' }]]) {
      for (const objectRef of [ref.deployment, ref.statefulSet, ref.daemonSet, ref.replicaSet, ref.pod, ref.pvc, ref.service, ref.ingress, ref.hpa, ref.namespace, ref.apiService, ref.workflow, ref.custom]) {
        expect(stateOf(objectRef, { status }), `${objectRef.kind} with status ${JSON.stringify(status)}`).toBe('unknown');
      }
    }
  });

  it('still reports a paused Deployment as suspended when its status is garbage', () => {
    expect(stateOf(ref.deployment, { spec: { paused: true }, status: 42 })).toBe('suspended');
  });

  it('never throws on a report that is not shaped like a report at all', () => {
    const odd = [{}, { ref: null, status: 1 }, { ref: { group: 1, kind: {} }, metadata: 'x', spec: [], status: {} }] as unknown as StatusReport[];
    for (const item of odd) {
      const summary = health.finish(health.add(health.init(ctx), item, ctx), ctx);
      expect(summary.counts.unknown).toBe(1);
    }
  });
});


const fixtureText = readFileSync(new URL('./fixtures/reports.jsonl', import.meta.url), 'utf8');
const fixture: StatusReport[] = fixtureText
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line) as StatusReport);
const expectedSummary = JSON.parse(readFileSync(new URL('./fixtures/reports.summary.json', import.meta.url), 'utf8')) as Json;

/** What ingestion hands a reducer: only the latest seq of each (destination, object). */
function latest(reports: readonly StatusReport[]): StatusReport[] {
  const byKey = new Map<string, StatusReport>();
  for (const item of reports) {
    const { group, kind, namespace, name } = item.ref;
    const key = `${item.destination}|${group}/${kind}/${namespace ?? ''}/${name}`;
    const seen = byKey.get(key);
    if (seen === undefined || seen.seq < item.seq) byKey.set(key, item);
  }
  return [...byKey.values()];
}

const reports = latest(fixture);

function fold(items: readonly StatusReport[], c = ctx): HealthAcc {
  return items.reduce((acc, item) => health.add(acc, item, c), health.init(c));
}

function merge(a: HealthAcc, b: HealthAcc, c = ctx): HealthAcc {
  return health.merge(structuredClone(a), b, c);
}

function summaryJson(acc: HealthAcc, c = ctx): string {
  return JSON.stringify(health.finish(acc, c));
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

describe('health fixture', () => {
  it('holds about sixty reports across twenty destinations, with superseded seqs and cluster-scoped objects', () => {
    expect(fixture.length).toBeGreaterThanOrEqual(60);
    expect(new Set(fixture.map((item) => item.destination)).size).toBe(20);
    expect(reports.length).toBeLessThan(fixture.length);
    expect(fixture.some((item) => item.ref.namespace === undefined)).toBe(true);
  });

  it('summarizes the latest reports of the fixture as recorded in reports.summary.json', () => {
    expect(JSON.parse(summaryJson(fold(reports)))).toEqual(expectedSummary);
    expect(summaryJson(fold(reports))).toBe(JSON.stringify(expectedSummary));
  });

  it('shows in the README the summary the reducer gives for the fixture', () => {
    const readme = readFileSync(new URL('./README.md', import.meta.url), 'utf8');
    const blocks = [...readme.matchAll(/```json\n([\s\S]*?)```/g)].map((match) => JSON.parse(match[1]!) as Json);
    expect(blocks).toContainEqual(JSON.parse(summaryJson(fold(reports))));
    expect(blocks).toContainEqual({ examples: defaultExamples });
  });
});

describe('health merge laws', () => {
  const parts = [reports.filter((_, i) => i % 3 === 0), reports.filter((_, i) => i % 3 === 1), reports.filter((_, i) => i % 3 === 2)];
  const [a, b, c] = parts.map((part) => fold(part)) as [HealthAcc, HealthAcc, HealthAcc];

  it('merges associatively', () => {
    expect(merge(a, merge(b, c))).toEqual(merge(merge(a, b), c));
    expect(summaryJson(merge(a, merge(b, c)))).toBe(summaryJson(merge(merge(a, b), c)));
  });

  it('merges commutatively', () => {
    expect(JSON.stringify(merge(a, b))).toBe(JSON.stringify(merge(b, a)));
  });

  it('has init() as identity on either side', () => {
    expect(JSON.stringify(merge(health.init(ctx), a))).toBe(JSON.stringify(a));
    expect(JSON.stringify(merge(a, health.init(ctx)))).toBe(JSON.stringify(a));
  });

  it('equals folding everything when the parts are merged', () => {
    expect(summaryJson(merge(merge(a, b), c))).toBe(summaryJson(fold(reports)));
  });

  it('never mutates the second accumulator of merge', () => {
    const second = deepFreeze(structuredClone(b));
    expect(() => health.merge(structuredClone(a), second, ctx)).not.toThrow();
    expect(second).toEqual(b);
  });

  it('never mutates a report', () => {
    const frozen = reports.map((item) => deepFreeze(structuredClone(item)));
    expect(() => fold(frozen)).not.toThrow();
    expect(frozen).toEqual(reports);
  });

  it('gives the same result after a JSON round trip of the accumulators', () => {
    const roundTrip = (acc: HealthAcc) => JSON.parse(JSON.stringify(acc)) as HealthAcc;
    expect(summaryJson(merge(roundTrip(a), roundTrip(b)))).toBe(summaryJson(merge(a, b)));
  });

  it('keeps the summary byte-identical however the reports are ordered, partitioned and merged', () => {
    const limits = fc.constantFrom<HealthOptions>({}, { examples: 0 }, { examples: 1 }, { examples: 3 }, { examples: 100 });
    const plan = fc.record({
      options: limits,
      order: fc.shuffledSubarray(reports, { minLength: reports.length, maxLength: reports.length }),
      cuts: fc.uniqueArray(fc.integer({ min: 1, max: reports.length - 1 }), { maxLength: 8 }),
      mergeOrder: fc.array(fc.nat(), { minLength: 10, maxLength: 10 }),
    });
    fc.assert(
      fc.property(plan, ({ options, order, cuts, mergeOrder }) => {
        const c = context(options);
        const bounds = [0, ...[...cuts].sort((x, y) => x - y), order.length];
        let pending = bounds.slice(1).map((end, i) => fold(order.slice(bounds[i], end), c));
        // Merge random pairs, as a hierarchy of levels would, until one accumulator is left.
        let step = 0;
        while (pending.length > 1) {
          const i = (mergeOrder[step++ % mergeOrder.length] ?? 0) % pending.length;
          const j = (i + 1) % pending.length;
          const merged = merge(pending[i]!, pending[j]!, c);
          pending = pending.filter((_, k) => k !== i && k !== j);
          pending.push(merged);
        }
        expect(summaryJson(pending[0]!, c)).toBe(summaryJson(fold(reports, c), c));
      }),
      { numRuns: 200 },
    );
  });
});

describe('health summary', () => {
  const healthyAt = (destination: string) => report(ref.configMap, { status: null }, destination);

  it('lists the first examples by name, without duplicates, whatever the order reports arrive in', () => {
    const names = ['edge-0009', 'edge-0002', 'edge-0007', 'edge-0002', 'edge-0001', 'edge-0010', 'edge-0001', 'edge-0003'];
    const c = context({ examples: 3 });
    const summary = health.finish(fold(names.map(healthyAt), c), c);
    expect(summary.counts.healthy).toBe(names.length);
    expect(summary.examples).toEqual({ healthy: ['edge-0001', 'edge-0002', 'edge-0003'] });
    const reversed = health.finish(fold([...names].reverse().map(healthyAt), c), c);
    expect(JSON.stringify(reversed)).toBe(JSON.stringify(summary));
  });

  it('keeps five examples per state when the option is absent', () => {
    const names = Array.from({ length: 12 }, (_, i) => `edge-${String(12 - i).padStart(4, '0')}`);
    expect(health.finish(fold(names.map(healthyAt)), ctx).examples.healthy).toEqual(['edge-0001', 'edge-0002', 'edge-0003', 'edge-0004', 'edge-0005']);
  });

  it('keeps no examples when the option is 0, but still counts', () => {
    const c = context({ examples: 0 });
    const summary = health.finish(fold(reports, c), c);
    expect(summary.examples).toEqual({});
    expect(summary.counts.healthy).toBeGreaterThan(0);
  });

  it('always lists all five counts, and examples only for states that have some, in state order', () => {
    const summary = health.finish(fold([report(ref.custom, { status: null }, 'edge-0002'), healthyAt('edge-0001')]), ctx);
    expect(JSON.stringify(summary)).toBe(
      '{"counts":{"healthy":1,"progressing":0,"degraded":0,"suspended":0,"unknown":1},"examples":{"healthy":["edge-0001"],"unknown":["edge-0002"]}}',
    );
    expect(JSON.stringify(health.finish(health.init(ctx), ctx))).toBe('{"counts":{"healthy":0,"progressing":0,"degraded":0,"suspended":0,"unknown":0},"examples":{}}');
  });

  it('keeps an accumulator bounded however many destinations report', () => {
    const many = Array.from({ length: 2000 }, (_, i) => healthyAt(`edge-${String(i).padStart(5, '0')}`));
    const acc = fold(many);
    expect(acc.counts.healthy).toBe(2000);
    expect(acc.examples.healthy).toHaveLength(5);
  });

  it('declares what it reads and an options schema that rejects unknown options', () => {
    expect(health.reads).toEqual(['metadata.generation', 'metadata.deletionTimestamp', 'metadata.annotations["autoscaling.alpha.kubernetes.io/conditions"]', 'spec', 'status']);
    expect(health.options).toMatchObject({ type: 'object', additionalProperties: false, properties: { examples: { type: 'integer', minimum: 0, maximum: 100 } } });
    expect(health.remove).toBeUndefined();
  });
});

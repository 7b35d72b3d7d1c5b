/**
 * Agreement with Argo CD's health library (gitops-engine `pkg/health`), the reference the `health`
 * reducer promises to agree with. Each case is our own report, modelled on one object of the
 * reference's testdata (named in `reference` for traceability) and asserting the state the reference
 * gives it. A case where we differ on purpose asserts our state instead, and must be listed in the
 * README's "Differences from Argo CD".
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ObjectRef, StatusReport } from '../../core/contract.js';
import { assessHealth, type HealthState } from './index.js';

/** What the reference answers: one of its states, or no assessment at all (a kind it has no rule for). */
type ArgoVerdict = 'Healthy' | 'Progressing' | 'Degraded' | 'Suspended' | 'none';

/** Argo's states are ours; "no assessment" is our `unknown`, the state for "nothing to judge". */
const asOurs: Readonly<Record<ArgoVerdict, HealthState>> = {
  Healthy: 'healthy',
  Progressing: 'progressing',
  Degraded: 'degraded',
  Suspended: 'suspended',
  none: 'unknown',
};

interface Observed {
  readonly metadata?: Record<string, unknown>;
  readonly spec?: Record<string, unknown>;
  readonly status: unknown;
}

interface ReferenceCase {
  /** The reference's test object this case is modelled on. */
  readonly reference: string;
  /** The behaviour, as the test name. */
  readonly name: string;
  readonly ref: ObjectRef;
  readonly observed: Observed;
  readonly argo: ArgoVerdict;
  /** A deliberate difference: our state, and a phrase of its line in the README's differences section. */
  readonly differs?: { readonly ours: HealthState; readonly readme: string };
}

const obj = (group: string, version: string, kind: string, name: string, namespace: string | undefined = 'shop'): ObjectRef =>
  namespace === undefined ? { group, version, kind, name } : { group, version, kind, namespace, name };

const cond = (type: string, status: string, reason = '') => ({ type, status, reason });

function report(objectRef: ObjectRef, observed: Observed): StatusReport {
  return { destination: 'edge-0042', ref: objectRef, seq: 1, observedAt: '2026-11-24T10:00:00Z', ...observed } as StatusReport;
}

// Workloads ------------------------------------------------------------------------------------

const deployment = obj('apps', 'v1', 'Deployment', 'checkout');
const rollingOut = {
  observedGeneration: 7,
  replicas: 3,
  updatedReplicas: 2,
  readyReplicas: 2,
  availableReplicas: 2,
  unavailableReplicas: 1,
};

const workloadCases: ReferenceCase[] = [
  {
    reference: 'utils/kube nginx (Deployment)',
    name: 'reports a Deployment whose new ReplicaSet is fully available as healthy',
    ref: deployment,
    observed: {
      metadata: { generation: 2 },
      spec: { replicas: 2 },
      status: {
        observedGeneration: 2,
        replicas: 2,
        updatedReplicas: 2,
        readyReplicas: 2,
        availableReplicas: 2,
        conditions: [cond('Progressing', 'True', 'NewReplicaSetAvailable'), cond('Available', 'True', 'MinimumReplicasAvailable')],
      },
    },
    argo: 'Healthy',
  },
  {
    reference: 'deployment-progressing',
    name: 'reports a Deployment with an old replica still to terminate as progressing',
    ref: deployment,
    observed: {
      metadata: { generation: 7 },
      spec: { replicas: 2 },
      status: { ...rollingOut, conditions: [cond('Available', 'True', 'MinimumReplicasAvailable'), cond('Progressing', 'True', 'ReplicaSetUpdated')] },
    },
    argo: 'Progressing',
  },
  {
    reference: 'deployment-suspended',
    name: 'reports a paused Deployment in the middle of a rollout as suspended',
    ref: deployment,
    observed: {
      metadata: { generation: 7 },
      spec: { replicas: 2, paused: true },
      status: { ...rollingOut, conditions: [cond('Available', 'True', 'MinimumReplicasAvailable'), cond('Progressing', 'True', 'ReplicaSetUpdated')] },
    },
    argo: 'Suspended',
  },
  {
    reference: 'deployment-degraded',
    name: 'reports a Deployment whose rollout ran past its progress deadline as degraded',
    ref: deployment,
    observed: {
      metadata: { generation: 7 },
      spec: { replicas: 2 },
      status: { ...rollingOut, conditions: [cond('Available', 'True', 'MinimumReplicasAvailable'), cond('Progressing', 'False', 'ProgressDeadlineExceeded')] },
    },
    argo: 'Degraded',
  },
  {
    reference: 'statefulset',
    name: 'reports a StatefulSet at one revision with its replica ready as healthy, from the replica count alone',
    ref: obj('apps', 'v1', 'StatefulSet', 'ledger'),
    observed: {
      metadata: { generation: 1 },
      spec: { replicas: 1 },
      status: { observedGeneration: 1, replicas: 1, readyReplicas: 1, currentReplicas: 1, currentRevision: 'ledger-5d4c3b2a1', updateRevision: 'ledger-5d4c3b2a1', collisionCount: 0 },
    },
    argo: 'Healthy',
  },
  {
    reference: 'statefulset-ondelete',
    name: 'reports an OnDelete StatefulSet with its replica ready as healthy',
    ref: obj('apps', 'v1', 'StatefulSet', 'ledger'),
    observed: {
      metadata: { generation: 1 },
      spec: { replicas: 1, updateStrategy: { type: 'OnDelete' } },
      status: { observedGeneration: 1, replicas: 1, readyReplicas: 1, currentReplicas: 1, currentRevision: 'ledger-5d4c3b2a1', updateRevision: 'ledger-5d4c3b2a1' },
    },
    argo: 'Healthy',
  },
  {
    reference: 'daemonset-ondelete',
    name: 'reports an OnDelete DaemonSet with every scheduled pod available as healthy, without an updated count',
    ref: obj('apps', 'v1', 'DaemonSet', 'log-shipper', 'kube-system'),
    observed: {
      spec: { updateStrategy: { type: 'OnDelete' } },
      status: { observedGeneration: 3, desiredNumberScheduled: 2, currentNumberScheduled: 2, numberAvailable: 2, numberReady: 2, numberMisscheduled: 0 },
    },
    argo: 'Healthy',
  },
];

// Jobs -----------------------------------------------------------------------------------------

const job = obj('batch', 'v1', 'Job', 'reindex');

const jobCases: ReferenceCase[] = [
  {
    reference: 'job-running',
    name: 'reports a Job with an active pod and no condition yet as progressing',
    ref: job,
    observed: { spec: { completions: 1, backoffLimit: 0 }, status: { active: 1, startTime: '2026-11-24T09:40:00Z' } },
    argo: 'Progressing',
  },
  {
    reference: 'job-failed',
    name: 'reports a Job that reached its backoff limit as degraded',
    ref: job,
    observed: { spec: { completions: 1, backoffLimit: 0 }, status: { failed: 1, conditions: [cond('Failed', 'True', 'BackoffLimitExceeded')] } },
    argo: 'Degraded',
  },
  {
    reference: 'job-succeeded',
    name: 'reports a Job with the Complete condition as healthy',
    ref: job,
    observed: { spec: { completions: 1, backoffLimit: 0 }, status: { succeeded: 1, conditions: [cond('Complete', 'True')] } },
    argo: 'Healthy',
  },
  {
    reference: 'job-suspended',
    name: 'reports a Job suspended in its spec and by its controller as suspended',
    ref: job,
    observed: { spec: { completions: 1, suspend: true }, status: { conditions: [cond('Suspended', 'True', 'JobSuspended')] } },
    argo: 'Suspended',
  },
];

// Storage and networking -----------------------------------------------------------------------

const pvc = obj('', 'v1', 'PersistentVolumeClaim', 'ledger-data');
const service = obj('', 'v1', 'Service', 'storefront');
const ingress = obj('networking.k8s.io', 'v1', 'Ingress', 'storefront');
const loadBalancerPorts = [{ name: 'http', port: 80, nodePort: 31080 }];

const networkCases: ReferenceCase[] = [
  { reference: 'pvc-bound', name: 'reports a bound PersistentVolumeClaim as healthy', ref: pvc, observed: { status: { phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: '5Gi' } } }, argo: 'Healthy' },
  { reference: 'pvc-pending', name: 'reports a PersistentVolumeClaim waiting for its volume as progressing', ref: pvc, observed: { status: { phase: 'Pending' } }, argo: 'Progressing' },
  { reference: 'svc-clusterip', name: 'reports a ClusterIP Service as healthy whatever its load balancer status', ref: service, observed: { spec: { type: 'ClusterIP' }, status: { loadBalancer: {} } }, argo: 'Healthy' },
  {
    reference: 'svc-loadbalancer',
    name: 'reports a LoadBalancer Service with a load balancer hostname as healthy',
    ref: service,
    observed: { spec: { type: 'LoadBalancer', ports: loadBalancerPorts }, status: { loadBalancer: { ingress: [{ hostname: 'storefront.lb.example.net' }] } } },
    argo: 'Healthy',
  },
  {
    reference: 'svc-loadbalancer-unassigned',
    name: 'reports a LoadBalancer Service with no ingress entry yet as progressing',
    ref: service,
    observed: { spec: { type: 'LoadBalancer', ports: loadBalancerPorts }, status: { loadBalancer: {} } },
    argo: 'Progressing',
  },
  {
    reference: 'svc-loadbalancer-nonemptylist',
    name: 'reports a LoadBalancer Service with an ingress entry that carries no address as healthy',
    ref: service,
    observed: { spec: { type: 'LoadBalancer', ports: loadBalancerPorts }, status: { loadBalancer: { ingress: [{}] } } },
    argo: 'Healthy',
  },
  { reference: 'ingress', name: 'reports an Ingress with a load balancer IP as healthy', ref: ingress, observed: { metadata: { generation: 4 }, status: { loadBalancer: { ingress: [{ ip: '198.51.100.20' }] } } }, argo: 'Healthy' },
  { reference: 'ingress-unassigned', name: 'reports an Ingress with an empty load balancer status as progressing', ref: ingress, observed: { metadata: { generation: 4 }, status: { loadBalancer: {} } }, argo: 'Progressing' },
  {
    reference: 'ingress-nonemptylist',
    name: 'reports an Ingress with an ingress entry that carries no address as healthy',
    ref: ingress,
    observed: { metadata: { generation: 1 }, status: { loadBalancer: { ingress: [{}] } } },
    argo: 'Healthy',
  },
];

// HorizontalPodAutoscaler ----------------------------------------------------------------------

const hpa = (version: string) => obj('autoscaling', version, 'HorizontalPodAutoscaler', 'checkout');
const v1Conditions = (...conditions: ReturnType<typeof cond>[]) => ({ annotations: { 'autoscaling.alpha.kubernetes.io/conditions': JSON.stringify(conditions) } });
const settled = [cond('AbleToScale', 'True', 'ReadyForNewScale'), cond('ScalingActive', 'True', 'ValidMetricFound'), cond('ScalingLimited', 'False', 'DesiredWithinRange')];

const hpaCases: ReferenceCase[] = [
  { reference: 'hpa-v2-healthy', name: 'reports an autoscaler that is able to scale on a valid metric as healthy', ref: hpa('v2'), observed: { status: { currentReplicas: 2, desiredReplicas: 2, conditions: settled } }, argo: 'Healthy' },
  { reference: 'hpa-v2beta2-healthy', name: 'reports an autoscaling/v2beta2 autoscaler that is able to scale as healthy', ref: hpa('v2beta2'), observed: { status: { currentReplicas: 1, desiredReplicas: 1, conditions: settled } }, argo: 'Healthy' },
  { reference: 'hpa-v2beta1-healthy', name: 'reports an autoscaling/v2beta1 autoscaler that is able to scale as healthy', ref: hpa('v2beta1'), observed: { status: { currentReplicas: 4, desiredReplicas: 4, conditions: settled } }, argo: 'Healthy' },
  {
    reference: 'hpa-v2-degraded',
    name: 'reports an autoscaler that cannot read the scale of its target as degraded, though its metrics are valid',
    ref: hpa('v2'),
    observed: { status: { currentReplicas: 1, desiredReplicas: 1, conditions: [cond('AbleToScale', 'False', 'FailedGetScale'), cond('ScalingActive', 'True', 'ValidMetricFound'), cond('ScalingLimited', 'False', 'DesiredWithinRange')] } },
    argo: 'Degraded',
  },
  {
    reference: 'hpa-v2-progressing',
    name: 'reports an autoscaler without an AbleToScale condition yet as progressing',
    ref: hpa('v2'),
    observed: { status: { currentReplicas: 1, desiredReplicas: 1, conditions: [cond('ScalingActive', 'True', 'ValidMetricFound'), cond('ScalingLimited', 'False', 'DesiredWithinRange')] } },
    argo: 'Progressing',
  },
  {
    reference: 'hpa-v2beta1-healthy-disabled',
    name: 'reports an autoscaler whose target was scaled to zero as suspended',
    ref: hpa('v2beta1'),
    observed: { status: { currentReplicas: 0, desiredReplicas: 0, currentMetrics: [], conditions: [cond('AbleToScale', 'True', 'SucceededGetScale'), cond('ScalingActive', 'False', 'ScalingDisabled')] } },
    argo: 'Healthy',
    differs: { ours: 'suspended', readme: '`ScalingActive=False` with reason `ScalingDisabled`' },
  },
  {
    reference: 'hpa-v1-degraded',
    name: 'reports an autoscaling/v1 autoscaler whose annotation says it failed to get the scale as degraded',
    ref: hpa('v1'),
    observed: {
      metadata: v1Conditions(cond('AbleToScale', 'True', 'FailedGetScale'), cond('ScalingActive', 'False', 'FailedGetResourceMetric')),
      spec: { minReplicas: 1, maxReplicas: 1 },
      status: { currentReplicas: 1, desiredReplicas: 0 },
    },
    argo: 'Degraded',
  },
  {
    reference: 'hpa-v1-healthy',
    name: 'reports an autoscaling/v1 autoscaler that rescaled its target as healthy while its metrics are unavailable',
    ref: hpa('v1'),
    observed: {
      metadata: v1Conditions(cond('AbleToScale', 'True', 'SucceededRescale'), cond('ScalingActive', 'False', 'FailedGetResourceMetric')),
      spec: { minReplicas: 1, maxReplicas: 3 },
      status: { currentReplicas: 1, desiredReplicas: 1 },
    },
    argo: 'Healthy',
  },
  {
    reference: 'hpa-v1-healthy-toofew',
    name: 'reports an autoscaling/v1 autoscaler held at its minimum as healthy',
    ref: hpa('v1'),
    observed: {
      metadata: v1Conditions(cond('AbleToScale', 'True', 'ReadyForNewScale'), cond('ScalingActive', 'True', 'ValidMetricFound'), cond('ScalingLimited', 'True', 'TooFewReplicas')),
      spec: { minReplicas: 3, maxReplicas: 6 },
      status: { currentReplicas: 3, desiredReplicas: 3 },
    },
    argo: 'Healthy',
  },
  {
    reference: 'hpa-v1-progressing',
    name: 'reports an autoscaling/v1 autoscaler not able to scale for a reason that is not a failure as progressing',
    ref: hpa('v1'),
    observed: { metadata: v1Conditions(cond('AbleToScale', 'False', 'SucceededGetScale')), status: { currentReplicas: 1, desiredReplicas: 0 } },
    argo: 'Progressing',
  },
  {
    reference: 'hpa-v1-progressing-with-no-annotations',
    name: 'reports an autoscaling/v1 autoscaler without a conditions annotation as progressing',
    ref: hpa('v1'),
    observed: { spec: { minReplicas: 1, maxReplicas: 3 }, status: { currentReplicas: 1, desiredReplicas: 1 } },
    argo: 'Progressing',
  },
];

// Pods -----------------------------------------------------------------------------------------

const pod = obj('', 'v1', 'Pod', 'checkout-7f9d6c5b4-x2x7k');
const podConditions = (ready: 'True' | 'False', readyReason = ready === 'True' ? '' : 'ContainersNotReady') => [
  cond('Initialized', 'True'),
  cond('Ready', ready, readyReason),
  cond('PodScheduled', 'True'),
];
const exited = (exitCode: number, reason: string) => ({ terminated: { exitCode, reason, startedAt: '2026-11-24T09:50:00Z', finishedAt: '2026-11-24T09:50:02Z' } });
const container = (fields: Record<string, unknown>) => ({ name: 'app', image: 'registry.example.net/checkout:2.4.1', lastState: {}, ready: false, restartCount: 0, ...fields });

const podCases: ReferenceCase[] = [
  {
    reference: 'pod-pending',
    name: 'reports a scheduled Pod whose containers are still initializing as progressing',
    ref: pod,
    observed: { spec: { restartPolicy: 'Always' }, status: { phase: 'Pending', conditions: podConditions('False'), containerStatuses: [container({ state: { waiting: { reason: 'PodInitializing' } } })] } },
    argo: 'Progressing',
  },
  {
    reference: 'pod-running-not-ready',
    name: 'reports a running Pod that has not passed its readiness probe yet as progressing',
    ref: pod,
    observed: { spec: { restartPolicy: 'Always' }, status: { phase: 'Running', conditions: podConditions('False'), containerStatuses: [container({ state: { running: { startedAt: '2026-11-24T09:51:00Z' } } })] } },
    argo: 'Progressing',
  },
  {
    reference: 'pod-crashloop',
    name: 'reports a long-running Pod in CrashLoopBackOff as degraded',
    ref: pod,
    observed: {
      spec: { restartPolicy: 'Always' },
      status: { phase: 'Running', conditions: podConditions('False'), containerStatuses: [container({ restartCount: 5, lastState: exited(2, 'Error'), state: { waiting: { reason: 'CrashLoopBackOff' } } })] },
    },
    argo: 'Degraded',
  },
  {
    reference: 'pod-imagepullbackoff',
    name: 'reports a long-running Pod that cannot pull its image as degraded',
    ref: pod,
    observed: { spec: { restartPolicy: 'Always' }, status: { phase: 'Pending', conditions: podConditions('False'), containerStatuses: [container({ state: { waiting: { reason: 'ImagePullBackOff' } } })] } },
    argo: 'Degraded',
  },
  {
    reference: 'pod-error',
    name: 'reports a running Pod whose container keeps exiting with an error as degraded',
    ref: pod,
    observed: {
      spec: { restartPolicy: 'Always' },
      status: { phase: 'Running', conditions: podConditions('False'), containerStatuses: [container({ restartCount: 2, lastState: exited(2, 'Error'), state: exited(2, 'Error') })] },
    },
    argo: 'Degraded',
  },
  {
    reference: 'pod-running-restart-always',
    name: 'reports a running ready long-running Pod as healthy',
    ref: pod,
    observed: { spec: { restartPolicy: 'Always' }, status: { phase: 'Running', conditions: podConditions('True'), containerStatuses: [container({ ready: true, state: { running: {} } })] } },
    argo: 'Healthy',
  },
  {
    reference: 'pod-running-restart-never',
    name: 'reports a running ready Pod that runs to completion as progressing until it succeeds',
    ref: pod,
    observed: { spec: { restartPolicy: 'Never' }, status: { phase: 'Running', conditions: podConditions('True'), containerStatuses: [container({ ready: true, state: { running: {} } })] } },
    argo: 'Progressing',
  },
  {
    reference: 'pod-running-restart-onfailure',
    name: "reports an OnFailure Pod in CrashLoopBackOff as progressing: it retries within its owner's budget",
    ref: pod,
    observed: {
      spec: { restartPolicy: 'OnFailure' },
      status: { phase: 'Running', conditions: podConditions('False'), containerStatuses: [container({ restartCount: 3, lastState: exited(1, 'Error'), state: { waiting: { reason: 'CrashLoopBackOff' } } })] },
    },
    argo: 'Progressing',
  },
  {
    reference: 'pod-failed',
    name: 'reports a failed Pod as degraded',
    ref: pod,
    observed: { spec: { restartPolicy: 'Never' }, status: { phase: 'Failed', conditions: podConditions('False'), containerStatuses: [container({ state: exited(3, 'Error') })] } },
    argo: 'Degraded',
  },
  {
    reference: 'pod-succeeded',
    name: 'reports a succeeded Pod that runs to completion as healthy',
    ref: pod,
    observed: { spec: { restartPolicy: 'Never' }, status: { phase: 'Succeeded', conditions: podConditions('False', 'PodCompleted'), containerStatuses: [container({ state: exited(0, 'Completed') })] } },
    argo: 'Healthy',
  },
  {
    reference: 'pod-deletion',
    name: 'reports a Pod with a deletion timestamp as progressing whatever its containers say',
    ref: pod,
    observed: {
      metadata: { deletionTimestamp: '2026-11-24T09:58:00Z' },
      spec: { restartPolicy: 'Always' },
      status: { phase: 'Pending', conditions: podConditions('False'), containerStatuses: [container({ state: { waiting: { reason: 'PodInitializing' } } })] },
    },
    argo: 'Progressing',
  },
];

// APIService -----------------------------------------------------------------------------------

const apiService = (version: string) => obj('apiregistration.k8s.io', version, 'APIService', 'v1alpha1.metrics.example.net', undefined);
const apiServiceSpec = { group: 'metrics.example.net', version: 'v1alpha1', groupPriorityMinimum: 100, versionPriority: 10, service: { namespace: 'monitoring', name: 'metrics-adapter' } };

const apiServiceCases: ReferenceCase[] = [
  { reference: 'apiservice-v1-true', name: 'reports an available APIService as healthy', ref: apiService('v1'), observed: { spec: apiServiceSpec, status: { conditions: [cond('Available', 'True', 'Passed')] } }, argo: 'Healthy' },
  {
    reference: 'apiservice-v1-false',
    name: 'reports an APIService whose backing Service has no endpoints as progressing',
    ref: apiService('v1'),
    observed: { spec: apiServiceSpec, status: { conditions: [cond('Available', 'False', 'MissingEndpoints')] } },
    argo: 'Progressing',
  },
  { reference: 'apiservice-v1beta1-true', name: 'reports an available apiregistration/v1beta1 APIService as healthy', ref: apiService('v1beta1'), observed: { spec: apiServiceSpec, status: { conditions: [cond('Available', 'True', 'Passed')] } }, argo: 'Healthy' },
  {
    reference: 'apiservice-v1beta1-false',
    name: 'reports an unavailable apiregistration/v1beta1 APIService as progressing',
    ref: apiService('v1beta1'),
    observed: { spec: apiServiceSpec, status: { conditions: [cond('Available', 'False', 'MissingEndpoints')] } },
    argo: 'Progressing',
  },
];

/** The reference's assessed objects: every kind it has a rule for. */
const assessedCases: ReferenceCase[] = [...workloadCases, ...jobCases, ...networkCases, ...hpaCases, ...podCases, ...apiServiceCases];

/** Objects the reference has no rule for, and so gives no health: nothing there for us to judge either. */
const unassessedCases: ReferenceCase[] = [
  {
    reference: 'knative-service',
    name: 'gives no verdict on a custom resource without a status',
    ref: obj('serving.knative.dev', 'v1', 'Service', 'greeter'),
    observed: { spec: { template: { spec: { containers: [{ image: 'registry.example.net/greeter:1.0.0' }] } } }, status: null },
    argo: 'none',
  },
  {
    reference: 'application-healthy',
    name: 'gives no verdict on an Argo CD Application from the health it reports of itself',
    ref: obj('argoproj.io', 'v1alpha1', 'Application', 'storefront', 'argocd'),
    observed: { status: { health: { status: 'Healthy' } } },
    argo: 'none',
  },
  {
    reference: 'application-degraded',
    name: 'gives no verdict on an Argo CD Application that reports itself degraded',
    ref: obj('argoproj.io', 'v1alpha1', 'Application', 'storefront', 'argocd'),
    observed: { status: { health: { status: 'Degraded' } } },
    argo: 'none',
  },
];

/** The reference's Argo Workflow rule, which its unit test exercises inline rather than from testdata. */
const workflowCases: ReferenceCase[] = [
  { reference: 'TestGetArgoWorkflowHealth running', name: 'reports a running Argo Workflow as progressing', ref: obj('argoproj.io', 'v1alpha1', 'Workflow', 'nightly-report'), observed: { status: { phase: 'Running' } }, argo: 'Progressing' },
  { reference: 'TestGetArgoWorkflowHealth succeeded', name: 'reports a succeeded Argo Workflow as healthy', ref: obj('argoproj.io', 'v1alpha1', 'Workflow', 'nightly-report'), observed: { status: { phase: 'Succeeded' } }, argo: 'Healthy' },
  { reference: 'TestGetArgoWorkflowHealth no status', name: 'reports an Argo Workflow without a phase yet as progressing', ref: obj('argoproj.io', 'v1alpha1', 'Workflow', 'nightly-report'), observed: { status: {} }, argo: 'Progressing' },
];

const allCases = [...assessedCases, ...unassessedCases, ...workflowCases];

function differencesSection(): string {
  const readme = readFileSync(new URL('./README.md', import.meta.url), 'utf8');
  const start = readme.indexOf('## Differences from Argo CD');
  if (start < 0) return '';
  const next = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, next < 0 ? undefined : next);
}

describe('agreement with Argo CD health (gitops-engine pkg/health)', () => {
  const groups: [string, ReferenceCase[]][] = [
    ['workloads', workloadCases],
    ['Jobs', jobCases],
    ['PersistentVolumeClaim, Service and Ingress', networkCases],
    ['HorizontalPodAutoscaler', hpaCases],
    ['Pod', podCases],
    ['APIService', apiServiceCases],
    ['kinds the reference does not assess', unassessedCases],
    ['Argo Workflow', workflowCases],
  ];
  for (const [group, cases] of groups) {
    describe(group, () => {
      for (const item of cases) {
        if (item.differs === undefined) {
          it(item.name, () => {
            expect(assessHealth(report(item.ref, item.observed))).toBe(asOurs[item.argo]);
          });
        } else {
          const { ours, readme } = item.differs;
          it(`${item.name}, which differs on purpose from Argo CD's ${item.argo}`, () => {
            expect(assessHealth(report(item.ref, item.observed))).toBe(ours);
            expect(ours).not.toBe(asOurs[item.argo]);
            expect(differencesSection()).toContain(readme);
          });
        }
      }
    });
  }

  it('models every object of the reference testdata once', () => {
    // 46 objects with a verdict, 3 the reference declines to assess.
    expect(assessedCases).toHaveLength(46);
    expect(unassessedCases).toHaveLength(3);
    expect(new Set(allCases.map((item) => item.reference)).size).toBe(allCases.length);
  });

  it('agrees with the reference on every case but the documented differences', () => {
    const disagreeing = allCases.filter((item) => assessHealth(report(item.ref, item.observed)) !== asOurs[item.argo]).map((item) => item.reference);
    const documented = allCases.filter((item) => item.differs !== undefined).map((item) => item.reference);
    expect(disagreeing).toEqual(documented);
  });
});

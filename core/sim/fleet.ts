import type { Json, StatusReport } from '../contract.js';
import type { TopologyInput } from '../model/topology.js';
import type { BindingInput } from '../pipeline/index.js';
import type { RolloutSpecInput } from '../rollout/index.js';

/** A seeded pseudo-random source (mulberry32): the same seed gives the same fleet. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The shape of a simulated fleet. */
export interface FleetShape {
  readonly regions: number;
  readonly sitesPerRegion: number;
  readonly destinations: number;
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/**
 * A center, `regions` regions, `sitesPerRegion` sites under each and `destinations` edge clusters
 * spread round-robin over the sites. Destinations carry `region`, `site` and `tier` labels (one in
 * twenty is a canary); region-1 is the canary region. Two workloads are declared: a namespaced Deployment `web` and a
 * cluster-scoped Namespace `shop`.
 */
export function fleetTopology(shape: FleetShape): TopologyInput {
  const levels: TopologyInput['levels'] = [{ id: 'center', kind: 'center' }];
  const sites: { id: string; region: string }[] = [];
  for (let r = 1; r <= shape.regions; r++) {
    const region = `region-${r}`;
    levels.push({ id: region, kind: 'region', parent: 'center', labels: { region, tier: r === 1 ? 'canary' : 'general' } });
    for (let s = 1; s <= shape.sitesPerRegion; s++) {
      const site = `${region}-site-${s}`;
      levels.push({ id: site, kind: 'site', parent: region, labels: { region, site } });
      sites.push({ id: site, region });
    }
  }
  const width = Math.max(4, String(shape.destinations).length);
  const destinations = Array.from({ length: shape.destinations }, (_, i) => {
    const site = sites[i % sites.length]!;
    return {
      id: `edge-${pad(i + 1, width)}`,
      parent: site.id,
      labels: { region: site.region, site: site.id, tier: i % 20 === 0 ? 'canary' : 'general' },
    };
  });
  return {
    levels,
    destinations,
    workloads: [
      { id: 'web', ref: { group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'shop', name: 'web' } },
      { id: 'shop-namespace', ref: { group: '', version: 'v1', kind: 'Namespace', name: 'shop' } },
    ],
  };
}

/** The summary bindings the demo runs: one per built-in reducer. */
export function fleetBindings(): BindingInput[] {
  return [
    { name: 'web-health', reducer: 'builtin:health', selector: { workload: 'web' } },
    { name: 'web-health-by-region', reducer: 'builtin:health', selector: { workload: 'web' }, groupBy: { label: 'region' }, options: { examples: 3 } },
    { name: 'web-versions', reducer: 'builtin:version-histogram', selector: { workload: 'web' } },
    { name: 'web-replicas', reducer: 'builtin:workload-replicas', selector: { workload: 'web' }, options: { mode: 'divided' } },
    { name: 'web-slowest', reducer: 'builtin:top-k', selector: { workload: 'web' }, options: { field: 'status.unavailableReplicas', k: 5 } },
    {
      name: 'ready-by-tier',
      reducer: 'builtin:aggregate',
      selector: { workload: 'web' },
      options: {
        groupBy: [{ name: 'tier', path: 'metadata.labels.tier' }],
        fields: { copies: { op: 'COUNT' }, ready: { op: 'SUM', path: 'status.readyReplicas' }, avgReady: { op: 'AVG', path: 'status.readyReplicas' } },
      },
    },
    { name: 'namespace-health', reducer: 'builtin:health', selector: { workload: 'shop-namespace' } },
    { name: 'web-drift', reducer: 'builtin:drift', selector: { workload: 'web' }, options: { examples: 3 } },
  ];
}

/**
 * The `web` Deployment as the center holds it: one object for every destination, with
 * placeholders the fleet's pattern fills from each destination's labels.
 */
export function fleetObject(): Json {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'shop', labels: { 'app.kubernetes.io/name': 'web' } },
    spec: {
      replicas: 3,
      template: {
        metadata: { labels: { app: 'web', region: '{{ .labels.region }}' } },
        spec: {
          containers: [
            {
              name: 'web',
              image: 'registry.example/shop/web:1.5.0',
              env: [
                { name: 'REGION', value: '{{ .labels.region }}' },
                { name: 'SITE', value: '{{ .labels.site }}' },
                { name: 'EDGE', value: '{{ .id }}' },
              ],
            },
          ],
        },
      },
    },
  };
}

/**
 * The demo's customization pattern for `web`: the image tag from the rollout's version at the
 * center, the canary region marked at the regions, placeholders filled per destination, then
 * canary edges scaled down and region-2 scaled up.
 */
export function fleetPattern(): Json {
  return {
    name: 'web',
    customizers: [
      { plugin: 'builtin:image-tag', level: 'center', options: { containers: ['web'] } },
      { name: 'ring', plugin: 'builtin:overrides', level: 'region', options: { rules: [{ name: 'canary-region', selector: { matchLabels: { tier: 'canary' } }, merge: { metadata: { annotations: { 'example.com/ring': 'canary' } } } }] } },
      { plugin: 'builtin:labels-template', level: 'destination' },
      {
        name: 'sizing',
        plugin: 'builtin:overrides',
        level: 'destination',
        options: {
          match: 'first',
          rules: [
            { name: 'canary-edge', selector: { matchLabels: { tier: 'canary' } }, patch: [{ op: 'replace', path: '/spec/replicas', value: 1 }] },
            { name: 'region-2', selector: { matchLabels: { region: 'region-2' } }, merge: { spec: { replicas: 5 } } },
          ],
        },
      },
    ],
  };
}

/** What the simulated edges look like. */
export interface FleetReportOptions {
  readonly seed: number;
  /** The simulation's "now", ms since the epoch. */
  readonly now: number;
  /** Share of Deployments that are unhealthy in some way. */
  readonly unhealthy?: number;
  /** Share of destinations whose newest report is an hour old. */
  readonly stale?: number;
  /** Share of destinations that never report. */
  readonly silent?: number;
  /** The seq of every report produced (raise it to send newer reports). */
  readonly seq?: number;
}

/**
 * One report per workload copy per destination: the `web` Deployment (3 replicas; versions 1.4.2
 * and 1.5.0; some rolling, some failing, some scaled down) and the cluster-scoped Namespace (a few terminating).
 */
export function fleetReports(topology: TopologyInput, options: FleetReportOptions): StatusReport[] {
  const random = seededRandom(options.seed);
  const unhealthy = options.unhealthy ?? 0.08;
  const staleShare = options.stale ?? 0.03;
  const silentShare = options.silent ?? 0.01;
  const reports: StatusReport[] = [];
  for (const destination of topology.destinations) {
    if (random() < silentShare) continue;
    const observedAt = new Date(options.now - (random() < staleShare ? 3_600_000 : Math.floor(random() * 60_000))).toISOString();
    const seq = options.seq ?? 1;
    const version = random() < 0.7 ? '1.5.0' : '1.4.2';
    const tier = destination.labels?.tier ?? 'general';
    const roll = random();
    const status =
      roll < unhealthy / 2
        ? deploymentStatus({ generation: 3, ready: 1, updated: 3, failing: true })
        : roll < unhealthy
          ? deploymentStatus({ generation: 3, ready: 2, updated: 2, failing: false })
          : deploymentStatus({ generation: 3, ready: 3, updated: 3, failing: false });
    reports.push({
      destination: destination.id,
      ref: { group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'shop', name: 'web' },
      seq,
      observedAt,
      metadata: { generation: 3, labels: { 'app.kubernetes.io/version': version, tier } },
      spec: { replicas: 3 },
      status,
    });
    const terminating = random() < 0.01;
    reports.push({
      destination: destination.id,
      ref: { group: '', version: 'v1', kind: 'Namespace', name: 'shop' },
      seq,
      observedAt,
      metadata: terminating ? { deletionTimestamp: observedAt } : {},
      status: { phase: terminating ? 'Terminating' : 'Active' },
    });
  }
  return reports;
}

/**
 * The demo's rollout of `web` 1.6.0: waves at the center (the canary region first, then the rest,
 * halting past a 50% failure ratio), progressive at the regions (a quarter of the sites at a time,
 * no failed site tolerated), progressive at the sites (half the edges at a time, 10% failures).
 */
export function fleetRollout(): RolloutSpecInput {
  return {
    id: 'web-1-6-0',
    workload: 'web',
    version: '1.6.0',
    previousVersion: '1.5.0',
    policies: {
      center: { policy: 'builtin:waves', options: { canary: { matchLabels: { tier: 'canary' } }, steps: ['100%'], bakeTime: '5m', maxFailureRatio: 0.5 } },
      region: { policy: 'builtin:progressive', options: { maxConcurrency: '25%', maxFailures: 0, minSuccessTime: '1m', progressDeadline: '30m' } },
      site: { policy: 'builtin:progressive', options: { maxConcurrency: '50%', maxFailures: '10%', progressDeadline: '10m' } },
    },
  };
}

/**
 * The status of a 3-replica Deployment as the edges report it: `failing` means its rollout hit its
 * progress deadline and it is unavailable; otherwise it is available, progressing while
 * `updated` < 3.
 */
export function deploymentStatus(shape: { generation: number; ready: number; updated: number; failing: boolean }): StatusReport['status'] {
  const { generation, ready, updated, failing } = shape;
  return {
    observedGeneration: generation,
    replicas: 3,
    readyReplicas: ready,
    updatedReplicas: updated,
    availableReplicas: ready,
    ...(ready < 3 ? { unavailableReplicas: 3 - ready } : {}),
    conditions: [
      failing
        ? { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable' }
        : { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' },
      failing
        ? { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }
        : { type: 'Progressing', status: 'True', reason: updated < 3 ? 'ReplicaSetUpdated' : 'NewReplicaSetAvailable' },
    ],
  };
}

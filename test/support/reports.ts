import type { StatusReport } from '../../core/contract.js';
import type { TopologyInput } from '../../core/node/index.js';

/** A ready Deployment report; fields can be overridden. */
export function deploymentReport(destination: string, overrides: Partial<StatusReport> = {}): StatusReport {
  return {
    destination,
    ref: { group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'shop', name: 'web' },
    seq: 1,
    observedAt: '2026-11-24T09:59:00Z',
    metadata: { generation: 2, labels: { 'app.kubernetes.io/version': '1.0.0' } },
    spec: { replicas: 2 },
    status: { observedGeneration: 2, replicas: 2, readyReplicas: 2, updatedReplicas: 2, availableReplicas: 2 },
    ...overrides,
  };
}

/** A cluster-scoped Namespace report (no namespace in its ref). */
export function namespaceReport(destination: string, phase = 'Active', seq = 1): StatusReport {
  return {
    destination,
    ref: { group: '', version: 'v1', kind: 'Namespace', name: 'shop' },
    seq,
    observedAt: '2026-11-24T09:59:00Z',
    status: { phase },
  };
}

/** center → 2 regions → 2 sites each → `perSite` destinations each (`edge-<region>-<site>-<n>`). */
export function smallTopology(perSite = 3): TopologyInput {
  const levels: TopologyInput['levels'] = [{ id: 'center', kind: 'center' }];
  const destinations: TopologyInput['destinations'] = [];
  for (const r of [1, 2]) {
    levels.push({ id: `r${r}`, kind: 'region', parent: 'center' });
    for (const s of [1, 2]) {
      levels.push({ id: `r${r}-s${s}`, kind: 'site', parent: `r${r}` });
      for (let n = 1; n <= perSite; n++) destinations.push({ id: `edge-${r}-${s}-${n}`, parent: `r${r}-s${s}`, labels: { region: `r${r}`, tier: n === 1 ? 'canary' : 'general' } });
    }
  }
  return {
    levels,
    destinations,
    workloads: [
      { id: 'web', ref: { group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'shop', name: 'web' } },
      { id: 'shop-ns', ref: { group: '', version: 'v1', kind: 'Namespace', name: 'shop' } },
    ],
  };
}

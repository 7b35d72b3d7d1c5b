import { afterAll, describe, expect, it } from 'vitest';
import { FilePluginCatalog } from '../core/catalog/index.js';
import { ManualClock } from '../core/clock/index.js';
import type { Json } from '../core/contract.js';
import { AppliedAnnotations, loadPattern, parsePattern, renderFleet, Renderings, renderingHash, topologyTree } from '../core/customize/index.js';
import { ErrorCodes } from '../core/errors.js';
import { RenderingEdgeAgent } from '../core/rollout/index.js';
import type { TopologyInput } from '../core/model/topology.js';
import { SimulatedEdges } from '../core/sim/edges.js';
import { InlineRunner } from '../sandbox/inline.js';

const topology: TopologyInput = {
  levels: [
    { id: 'center', kind: 'center' },
    { id: 'eu', kind: 'region', parent: 'center', labels: { region: 'eu' } },
    { id: 'eu-1', kind: 'site', parent: 'eu' },
  ],
  destinations: [
    { id: 'edge-a', parent: 'eu-1', labels: { region: 'eu', pin: 'v1' } },
    { id: 'edge-b', parent: 'eu-1', labels: { region: 'eu' } },
    { id: 'edge-c', parent: 'eu-1', labels: { region: 'eu' } },
  ],
  workloads: [{ id: 'web', ref: { group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'shop', name: 'web' } }],
};
const object: Json = { metadata: { name: 'web' }, spec: { containers: [{ name: 'web', image: 'web:0' }], region: '{{ .labels.region }}' } };
const runner = new InlineRunner();
afterAll(() => runner.dispose());

/** edge-a is pinned to 1.0.0: a JSON Patch test fails for it at any other version. */
const pattern = () =>
  loadPattern(
    parsePattern({
      name: 'web',
      customizers: [
        { plugin: 'builtin:image-tag', level: 'center' },
        { plugin: 'builtin:labels-template', level: 'destination' },
        { name: 'pin', plugin: 'builtin:overrides', level: 'destination', options: { rules: [{ selector: { matchLabels: { pin: 'v1' } }, patch: [{ op: 'test', path: '/metadata/labels/app.kubernetes.io~1version', value: '1.0.0' }] }] } },
      ],
    }),
    runner,
    new FilePluginCatalog(),
  );

describe('a rollout rendering its object through a pattern', () => {
  it('renders each destination level by level; one that fails keeps its last good rendering and is reported degraded', async () => {
    const loaded = await pattern();
    const renderings = new Renderings();
    const tree = topologyTree(topology);
    const first = await renderFleet(loaded, object, '1.0.0', tree, renderings, '2026-11-30T10:00:00Z');
    expect(first.degraded.size).toBe(0);
    expect(first.objects.get('edge-b')!.object).toMatchObject({ spec: { containers: [{ image: 'web:1.0.0' }], region: 'eu' } });
    const second = await renderFleet(loaded, object, '2.0.0', tree, renderings, '2026-11-30T11:00:00Z');
    expect([...second.degraded.keys()]).toEqual(['edge-a']);
    expect(second.degraded.get('edge-a')).toMatchObject({ code: ErrorCodes.Customize, place: { pattern: 'web', customizer: 'pin', target: 'edge-a', path: 'metadata.labels["app.kubernetes.io/version"]' } });
    expect(second.objects.get('edge-a')).toEqual(first.objects.get('edge-a'));
    expect(second.objects.get('edge-b')!.object).toMatchObject({ spec: { containers: [{ image: 'web:2.0.0' }] } });
  });

  it('hands each edge its rendering and hash, and the edge reports the hash of what it applied', async () => {
    const clock = new ManualClock();
    const edges = new SimulatedEdges({ clock, seed: 1, destinations: topology.destinations.map((d) => ({ ...d, labels: d.labels ?? {} })), applyDelayMs: [1, 2], tampered: (d) => d.id === 'edge-c' });
    const agent = new RenderingEdgeAgent(edges);
    const rendering = await renderFleet(await pattern(), object, '1.0.0', topologyTree(topology), new Renderings(), '2026-11-30T10:00:00Z');
    agent.use('r', rendering);
    const directive = { rollout: 'r', ref: topology.workloads![0]!.ref, version: '1.0.0', at: '2026-11-30T10:00:00Z' };
    for (const destination of ['edge-b', 'edge-c']) agent.apply({ ...directive, destination });
    agent.apply({ ...directive, rollout: 'other', destination: 'edge-a' });
    clock.advance(10);
    const annotations = Object.fromEntries(edges.due().map((report) => [report.destination, report.metadata!.annotations!]));
    // A rollout without a rendering reports no hashes.
    expect(annotations['edge-a']![AppliedAnnotations.applied]).toBeUndefined();
    const b = rendering.objects.get('edge-b')!;
    expect(b.hash).toBe(renderingHash(b.object));
    expect(annotations['edge-b']).toMatchObject({ [AppliedAnnotations.applied]: b.hash, [AppliedAnnotations.rendered]: b.hash });
    expect(annotations['edge-c']![AppliedAnnotations.rendered]).toBe(rendering.objects.get('edge-c')!.hash);
    expect(annotations['edge-c']![AppliedAnnotations.applied]).not.toBe(annotations['edge-c']![AppliedAnnotations.rendered]);
  });
});

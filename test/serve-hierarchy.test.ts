/**
 * A hierarchy of three processes (center, region, site) on loopback: health reported up, a version
 * rolled out down with its object rendered by each level on the way, the region killed with SIGKILL and restarted, and the center then holding what
 * the same reports give in one process.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createHierarchy } from '../app/container.js';
import { ManualClock } from '../core/clock/index.js';
import type { Json, StatusReport } from '../core/contract.js';
import { renderingHash } from '../core/customize/index.js';
import type { TopologyInput } from '../core/model/index.js';
import { InlineRunner } from '../sandbox/inline.js';
import { call, eventually, startNode, token, webReport, writeConfig, type NodeProcess } from './support/serve.js';

const edges = ['edge-1', 'edge-2', 'edge-3', 'edge-4'];
const topology: TopologyInput = {
  levels: [
    { id: 'center', kind: 'center' },
    { id: 'region-1', kind: 'region', parent: 'center' },
    { id: 'site-1', kind: 'site', parent: 'region-1' },
  ],
  destinations: edges.map((id) => ({ id, parent: 'site-1', labels: { tier: id === 'edge-1' ? 'canary' : 'general' } })),
  workloads: [{ id: 'web', ref: { group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'shop', name: 'web' } }],
};
const bindings = [
  { name: 'web-health', reducer: 'builtin:health', selector: { workload: 'web' }, staleAfter: '100000h' },
  { name: 'web-versions', reducer: 'builtin:version-histogram', selector: { workload: 'web' }, staleAfter: '100000h' },
];
const customize = {
  pattern: {
    name: 'web',
    customizers: [
      { plugin: 'builtin:image-tag', level: 'center', options: { containers: ['web'] } },
      { name: 'site', plugin: 'builtin:overrides', level: 'site', options: { rules: [{ selector: {}, merge: { metadata: { annotations: { site: 'site-1' } } } }] } },
      { plugin: 'builtin:labels-template', level: 'destination' },
    ],
  },
  object: { metadata: { name: 'web', labels: { tier: '{{ .labels.tier }}' } }, spec: { template: { spec: { containers: [{ name: 'web', image: 'web:1.0.0' }] } } } },
};
const dir = mkdtempSync(join(tmpdir(), 'edgesum-three-'));
const running = new Set<NodeProcess>();

afterAll(async () => {
  for (const node of running) await node.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const base = { topology, bindings, runner: 'inline', flushInterval: '100ms', unreachableAfter: '5s' };
const admin = token('admin', ['reader', 'admin']);
const configs = {
  center: writeConfig({ ...base, level: 'center', storage: { kind: 'sqlite', dir: join(dir, 'center') }, tokens: [admin, token('link-region-1', ['level'], { level: 'region-1' })] }, dir),
  region: writeConfig({ ...base, level: 'region-1', parent: { url: 'http://127.0.0.1:1', token: 'link-region-1' }, storage: { kind: 'sqlite', dir: join(dir, 'region-1') }, tokens: [admin, token('link-site-1', ['level'], { level: 'site-1' })] }, dir),
  site: writeConfig({ ...base, level: 'site-1', parent: { url: 'http://127.0.0.1:1', token: 'link-site-1' }, storage: { kind: 'sqlite', dir: join(dir, 'site-1') }, tokens: [admin, ...edges.map((id) => token(`token-${id}`, ['edge'], { destination: id }))] }, dir),
};

async function start(config: string, ...args: string[]): Promise<NodeProcess> {
  const node = await startNode(config, ...args);
  running.add(node);
  return node;
}

const summaryOf = async (node: NodeProcess, name: string) => (await call(node.url, `/v1/summaries/${name}`, { token: 'admin' })).body as { value: Record<string, unknown>; coverage: Record<string, number> };

describe('a hierarchy of three served processes', () => {
  it('rolls a version out rendered level by level (each edge gets its own object and hash), reports health up, and loses nothing when the region is killed and restarted', async () => {
    const center = await start(configs.center, '--port', '0');
    let region = await start(configs.region, '--port', '0', '--parent-url', center.url);
    const site = await start(configs.site, '--port', '0', '--parent-url', region.url);
    const latest = new Map<string, StatusReport>();
    const post = async (report: StatusReport) => {
      const { status } = await call(site.url, '/v1/reports', { token: `token-${report.destination}`, body: [report] });
      expect(status).toBe(200);
      latest.set(report.destination, report);
    };

    for (const id of edges) await post(webReport(id, 1, { version: '1.0.0' }));
    await eventually(async () => ((await summaryOf(center, 'web-versions')).value.total === 4 ? true : undefined), 'the center to count 4 copies');

    const spec = { id: 'web-2', workload: 'web', version: '2.0.0', previousVersion: '1.0.0', policies: { center: { policy: 'builtin:all-at-once' }, region: { policy: 'builtin:all-at-once' }, site: { policy: 'builtin:all-at-once' } }, customize };
    expect((await call(center.url, '/v1/rollouts', { token: 'admin', body: spec })).status).toBe(201);
    // The edges: each applies the version its directive names, then reports it applied.
    for (const id of edges) {
      const directive = await eventually(async () => {
        const { status, body } = await call(site.url, `/v1/destinations/${id}/directive`, { token: `token-${id}` });
        return status === 200 && (body as { version: string }).version === '2.0.0' ? body : undefined;
      }, `the directive of ${id}`);
      expect(directive).toMatchObject({ rollout: 'web-2', version: '2.0.0' });
      // Each level rendered its own part: the center the image, the site its annotation, then each edge's tier.
      const { object, renderedHash } = directive as { object: Json; renderedHash: string };
      expect(object).toMatchObject({ metadata: { annotations: { site: 'site-1' }, labels: { tier: id === 'edge-1' ? 'canary' : 'general' } }, spec: { template: { spec: { containers: [{ image: 'web:2.0.0' }] } } } });
      expect(renderedHash).toBe(renderingHash(object));
      await post(webReport(id, 2, { version: '2.0.0', phase: 'Succeeded' }));
    }
    const done = await eventually(async () => {
      const { body } = await call(center.url, '/v1/rollouts/web-2', { token: 'admin' });
      return (body as { state: string }).state === 'succeeded' ? body : undefined;
    }, 'the rollout to succeed at the center');
    expect(done).toMatchObject({ rendering: { rendered: 4, degraded: 0 }, destinations: { succeeded: 4 }, byLevel: { center: { state: 'succeeded' }, 'region-1': { state: 'succeeded' }, 'site-1': { state: 'succeeded' } } });

    expect(await call(center.url, '/v1/destinations/edge-3/status', { token: 'admin' })).toMatchObject({ status: 200, body: { destination: 'edge-3', level: 'site-1', reports: [{ seq: 2 }] } });

    await region.kill('SIGKILL');
    running.delete(region);
    // The site keeps taking and folding reports while its parent is gone.
    await post(webReport('edge-4', 3, { version: '2.0.0', phase: 'Succeeded', ready: false }));
    expect((await summaryOf(site, 'web-health')).value).toBeDefined();
    region = await start(configs.region, '--port', String(region.port), '--parent-url', center.url);

    await eventually(async () => {
      const health = await summaryOf(center, 'web-health');
      return (health.value.counts as { progressing: number }).progressing === 1 ? true : undefined;
    }, 'the center to see edge-4 progressing again');

    const inProcess = await createHierarchy({ topology, bindings }, { clock: new ManualClock(), runner: new InlineRunner() });
    inProcess.ingest([...latest.values()]);
    await inProcess.settle();
    const expected = await inProcess.summaries();
    await inProcess.dispose();
    const served = (await call(center.url, '/v1/summaries', { token: 'admin' })).body;
    expect(served).toEqual(JSON.parse(JSON.stringify(expected)));

    for (const node of [site, region, center]) {
      expect(await node.kill('SIGTERM')).toBe(0);
      running.delete(node);
    }
  });
});

/**
 * A hierarchy over real nats-server processes: a hub (the center's server) and two leaf servers
 * (one per site), each with its own JetStream domain. One leaf loses its link to the hub while its
 * edges keep reporting and a rollout is in progress; after the link returns the center holds
 * exactly what the same reports give in one process.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isDeepStrictEqual } from 'node:util';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createHierarchy } from '../app/container.js';
import { ManualClock } from '../core/clock/index.js';
import type { StatusReport } from '../core/contract.js';
import type { TopologyInput } from '../core/model/index.js';
import { InlineRunner } from '../sandbox/inline.js';
import { requireNatsServer, startLinkProxy, startNatsServer, type LinkProxy, type NatsServer } from './support/nats.js';
import { call, eventually, startNode, token, webReport, writeConfig, type NodeProcess } from './support/serve.js';

const sites = { 'site-1': ['e1-1', 'e1-2', 'e1-3'], 'site-2': ['e2-1', 'e2-2', 'e2-3'] } as const;
const topology: TopologyInput = {
  levels: [
    { id: 'center', kind: 'center' },
    { id: 'site-1', kind: 'site', parent: 'center' },
    { id: 'site-2', kind: 'site', parent: 'center' },
  ],
  destinations: Object.entries(sites).flatMap(([site, edges]) => edges.map((id) => ({ id, parent: site }))),
  workloads: [{ id: 'web', ref: { group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'shop', name: 'web' } }],
};
const bindings = [
  { name: 'web-health', reducer: 'builtin:health', selector: { workload: 'web' }, staleAfter: '100000h' },
  { name: 'web-versions', reducer: 'builtin:version-histogram', selector: { workload: 'web' }, staleAfter: '100000h' },
];
const dir = mkdtempSync(join(tmpdir(), 'edgesum-nats-'));
const servers: NatsServer[] = [];
const nodes = new Set<NodeProcess>();
let proxy: LinkProxy | undefined;

afterAll(async () => {
  for (const node of nodes) await node.kill('SIGKILL');
  for (const server of servers) await server.stop();
  await proxy?.close();
  rmSync(dir, { recursive: true, force: true });
});

const admin = token('admin', ['reader', 'admin']);
const edgeTokens = Object.values(sites).flatMap((edges) => edges.map((id) => token(`token-${id}`, ['edge'], { destination: id })));
const base = { topology, bindings, runner: 'inline', flushInterval: '100ms', unreachableAfter: '3s', transport: 'nats', tokens: [admin, ...edgeTokens] };

async function start(config: string): Promise<NodeProcess> {
  const node = await startNode(config, '--port', '0');
  nodes.add(node);
  return node;
}

const summaries = async (node: NodeProcess) => (await call(node.url, '/v1/summaries', { token: 'admin' })).body as Record<string, { value: Record<string, unknown>; coverage: Record<string, number> }>;

/** The version an edge's directive at its site names, if it has one. */
async function directedVersion(site: NodeProcess, edge: string): Promise<string | undefined> {
  const { status, body } = await call(site.url, `/v1/destinations/${edge}/directive`, { token: `token-${edge}` });
  return status === 200 ? (body as { version: string }).version : undefined;
}

async function directed(site: NodeProcess, edges: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const edge of edges) if ((await directedVersion(site, edge)) === '2.0.0') out.push(edge);
  return out;
}

describe('a hierarchy over a NATS hub and two leaf servers', () => {
  it('keeps a cut-off site reducing within its grant and converges exactly once the leaf link returns', async () => {
    requireNatsServer();
    proxy = await startLinkProxy();
    // The hub advertises the address its leaves dial (here the proxy in front of it), so a leaf
    // that reconnects comes back the same way instead of around it.
    const hub = await startNatsServer('hub', dir, { domain: 'hub', leafListen: true, advertise: proxy.address });
    servers.push(hub);
    proxy.target = hub.leafnodes;
    const leaf1 = await startNatsServer('leaf-1', dir, { domain: 'leaf-1', remote: proxy.address });
    const leaf2 = await startNatsServer('leaf-2', dir, { domain: 'leaf-2', remote: hub.leafnodes! });
    servers.push(leaf1, leaf2);

    const center = await start(writeConfig({ ...base, level: 'center', storage: { kind: 'sqlite', dir: join(dir, 'center') }, nats: { url: hub.url, domain: 'hub', childDomains: { 'site-1': 'leaf-1', 'site-2': 'leaf-2' } } }, dir));
    const site = {
      'site-1': await start(writeConfig({ ...base, level: 'site-1', storage: { kind: 'sqlite', dir: join(dir, 'site-1') }, nats: { url: leaf1.url, domain: 'leaf-1', parentDomain: 'hub' } }, dir)),
      'site-2': await start(writeConfig({ ...base, level: 'site-2', storage: { kind: 'sqlite', dir: join(dir, 'site-2') }, nats: { url: leaf2.url, domain: 'leaf-2', parentDomain: 'hub' } }, dir)),
    };
    const latest = new Map<string, StatusReport>();
    const post = async (report: StatusReport) => {
      const owner = report.destination.startsWith('e1-') ? site['site-1'] : site['site-2'];
      const { status } = await call(owner.url, '/v1/reports', { token: `token-${report.destination}`, body: [report] });
      expect(status).toBe(200);
      latest.set(report.destination, report);
    };

    for (const edges of Object.values(sites)) for (const id of edges) await post(webReport(id, 1, { version: '1.0.0' }));
    await eventually(async () => ((await summaries(center))['web-versions']!.value.total === 6 ? true : undefined), 'the center to count 6 copies', 120_000);

    const policy = (name: string, options: Record<string, unknown> = {}) => ({ policy: name, options });
    const spec = {
      id: 'web-2',
      workload: 'web',
      version: '2.0.0',
      previousVersion: '1.0.0',
      policies: { center: policy('builtin:all-at-once'), region: policy('builtin:all-at-once'), site: policy('builtin:progressive', { maxConcurrency: 1 }) },
      // The center grants its children as regions, whatever their kind: here they are the sites.
      grants: { region: { maxStarted: 2 }, site: { maxStarted: 2 } },
    };
    expect((await call(center.url, '/v1/rollouts', { token: 'admin', body: spec })).status).toBe(201);
    const first = await eventually(async () => ((await directed(site['site-1'], sites['site-1'])).length === 1 ? (await directed(site['site-1'], sites['site-1']))[0] : undefined), 'site-1 to start its first edge', 120_000);

    await proxy.cut();
    // Cut off, site-1 keeps taking reports, folding them and executing the grant it holds: the
    // first edge succeeds, so the site starts a second one on its own, and never a third.
    await post(webReport(first!, 2, { version: '2.0.0', phase: 'Succeeded' }));
    const second = await eventually(async () => (await directed(site['site-1'], sites['site-1'])).find((edge) => edge !== first), 'site-1 to start its second edge while cut off', 120_000);
    await post(webReport(second, 2, { version: '2.0.0', phase: 'Succeeded' }));
    const third = sites['site-1'].find((edge) => edge !== first && edge !== second)!;
    await post(webReport(third, 2, { version: '1.0.0', ready: false }));
    await eventually(async () => ((await summaries(site['site-1']))['web-versions']!.value.total === 3 && (await summaries(center))['web-health']!.coverage.unreachable === 1 ? true : undefined), 'the center to count site-1 unreachable', 120_000);
    for (const edge of sites['site-2']) {
      if ((await directedVersion(site['site-2'], edge)) === '2.0.0') await post(webReport(edge, 2, { version: '2.0.0', phase: 'Succeeded' }));
    }

    await proxy.restore();
    const inProcess = await createHierarchy({ topology, bindings }, { clock: new ManualClock(), runner: new InlineRunner() });
    inProcess.ingest([...latest.values()]);
    await inProcess.settle();
    const expected = JSON.parse(JSON.stringify(await inProcess.summaries())) as unknown;
    await inProcess.dispose();
    await eventually(async () => (isDeepStrictEqual(await summaries(center), expected) ? true : undefined), 'the center to converge on the summaries of a run without the fault', 120_000);
    expect(await summaries(center)).toEqual(expected);
    expect(await directed(site['site-1'], sites['site-1'])).toHaveLength(2);
    expect(await directedVersion(site['site-1'], third)).not.toBe('2.0.0');

    // One destination's status, asked at the center, answered by the leaf's site over request/reply.
    for (const edge of [third, 'e2-3']) {
      // The leaf tells the hub of the site's subscription once it has reconnected; until then the site has no responder.
      const answer = await eventually(async () => {
        const reply = await call(center.url, `/v1/destinations/${edge}/status`, { token: 'admin' });
        return reply.status === 200 ? reply.body : undefined;
      }, `the status of ${edge} at the center`, 120_000);
      expect(answer).toMatchObject({ destination: edge, level: edge.startsWith('e1-') ? 'site-1' : 'site-2', reports: [{ seq: latest.get(edge)!.seq }] });
    }
    expect((await call(center.url, '/v1/destinations/nowhere/status', { token: 'admin' })).status).toBe(404);

    for (const node of [site['site-1'], site['site-2'], center]) {
      expect(await node.kill('SIGTERM')).toBe(0);
      nodes.delete(node);
    }
  }, 600_000);
});

/** A node served over NATS is ready only while its transport reaches its NATS server. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { serveLevel, type ServedLevel } from '../app/serve.js';
import { ManualClock, type Scheduler } from '../core/clock/index.js';
import { ServeConfigSchema, type LoadedServeConfig } from '../server/config.js';
import { requireNatsServer, startLinkProxy, startNatsServer, type LinkProxy, type NatsServer } from './support/nats.js';
import { call, eventually } from './support/serve.js';

const dir = mkdtempSync(join(tmpdir(), 'edgesum-nats-ready-'));
const servers: NatsServer[] = [];
let proxy: LinkProxy | undefined;
let served: ServedLevel | undefined;

afterAll(async () => {
  await served?.close();
  await proxy?.close();
  for (const server of servers) await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

const idle: Scheduler = { every: () => ({ stop: async () => undefined }) };

describe('readiness of a node served over NATS', () => {
  it('answers /readyz 503 while its NATS server is gone and 200 once a server is back at its address', async () => {
    requireNatsServer();
    const first = await startNatsServer('ready-1', dir, { domain: 'hub' });
    servers.push(first);
    // The node dials the proxy; the server it reaches behind it is killed, so the client cannot
    // reconnect around the proxy to an address the server told it.
    proxy = await startLinkProxy();
    proxy.target = first.url.replace('nats://', '');
    const topology = { levels: [{ id: 'center', kind: 'center' as const, labels: {} }], destinations: [{ id: 'edge-a', parent: 'center', labels: {} }], workloads: [] };
    const parsed = ServeConfigSchema.parse({ level: 'center', topology, transport: 'nats', nats: { url: `nats://${proxy.address}`, domain: 'hub', timeout: '2s' }, storage: { kind: 'memory' }, runner: 'inline', listen: { port: 0 } });
    const config: LoadedServeConfig = { ...parsed, topology, storage: { kind: 'memory' }, file: 'in-process' };
    served = await serveLevel(config, { scheduler: idle, clock: new ManualClock() });
    const readiness = async () => (await call(served!.url, '/readyz')).status;

    expect(await readiness()).toBe(200);
    await proxy.cut();
    await first.stop();
    await eventually(async () => ((await readiness()) === 503 ? true : undefined), '/readyz to answer 503 with the NATS link cut', 120_000);
    expect((await call(served.url, '/readyz')).body).toEqual({ ready: false });
    expect((await call(served.url, '/healthz')).status).toBe(200);
    const second = await startNatsServer('ready-2', dir, { domain: 'hub' });
    servers.push(second);
    proxy.target = second.url.replace('nats://', '');
    await proxy.restore();
    await eventually(async () => ((await readiness()) === 200 ? true : undefined), '/readyz to answer 200 once the NATS link is back', 120_000);
  }, 300_000);
});

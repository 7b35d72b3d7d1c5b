/**
 * The NATS transport against one real nats-server: hostile messages on its subjects end as dropped
 * messages or typed errors, never a crash, and the valid messages around them still arrive.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MeteredTransport } from '../app/traffic.js';
import { EdgesumError, ErrorCodes } from '../core/errors.js';
import { silentLogger } from '../core/log/index.js';
import type { DestinationStatus, DirectiveMessage, LevelEndpoint, PartialMessage } from '../core/transport/index.js';
import { connectNatsTransport, type NatsTransport } from '../nats/index.js';
import { requireNatsServer, startNatsServer, type NatsServer } from './support/nats.js';
import { eventually } from './support/serve.js';

const dir = mkdtempSync(join(tmpdir(), 'edgesum-nats-transport-'));
let server: NatsServer;
let small: NatsServer | undefined;
let raw: NatsConnection;
const transports: NatsTransport[] = [];

beforeAll(async () => {
  requireNatsServer();
  server = await startNatsServer('single', dir, { domain: 'hub' });
  raw = await connect({ servers: server.url });
});

afterAll(async () => {
  for (const transport of transports) await transport.close();
  await raw?.close();
  await server?.stop();
  await small?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function recorder() {
  const partials: PartialMessage[] = [];
  const directives: DirectiveMessage[] = [];
  const endpoint: LevelEndpoint = {
    onPartial: async (message) => void partials.push(message),
    onDirective: async (message) => void directives.push(message),
    onStatusQuery: async (destination): Promise<DestinationStatus> => {
      if (destination !== 'e1') throw new EdgesumError(ErrorCodes.UnknownDestination, `destination "${destination}" is not at or below level site.1`);
      return { destination, level: 'site.1', reports: [] };
    },
  };
  return { partials, directives, endpoint };
}

async function open(self: string, parent: string | undefined, children: string[]): Promise<NatsTransport> {
  const transport = await connectNatsTransport({ self, parent, children, servers: [server.url], domain: 'hub', timeoutMs: 2_000, logger: silentLogger });
  transports.push(transport);
  return transport;
}

const partial = (from: string, seq: number): PartialMessage => ({ from, epoch: 1, seq, sentAt: '2026-11-30T10:00:00.000Z', bindings: {}, rollouts: {} });

describe('the NATS transport', () => {
  it('drops what is not a partial of a child, delivers the partials around it, and answers hostile status queries with typed errors', async () => {
    const center = recorder();
    const site = recorder();
    const centerTransport = await open('center', undefined, ['site.1']);
    const siteTransport = await open('site.1', 'center', []);
    centerTransport.bind('center', center.endpoint);
    siteTransport.bind('site.1', site.endpoint);

    await siteTransport.sendPartial('center', partial('site.1', 1));
    for (const junk of ['not json', '{"from":"site.1"}', JSON.stringify(partial('site-2', 7)), JSON.stringify({ ...partial('site.1', 8), extra: 'x' }), '\u0000'.repeat(10)]) {
      await raw.publish('edgesum.up.site=1', junk);
    }
    // The same partial again: a heartbeat, with its own message id so the sign of life gets through.
    await siteTransport.sendPartial('center', partial('site.1', 1));
    await siteTransport.sendPartial('center', partial('site.1', 2));
    await eventually(async () => (center.partials.some((message) => message.seq === 2) ? true : undefined), 'the partial after the junk');
    expect(center.partials.map((message) => [message.from, message.seq])).toEqual([
      ['site.1', 1],
      ['site.1', 1],
      ['site.1', 2],
    ]);
    await expect(siteTransport.sendPartial('elsewhere', partial('site.1', 3))).rejects.toMatchObject({ code: ErrorCodes.Unreachable });

    expect(await centerTransport.queryStatus('site.1', 'e1')).toEqual({ destination: 'e1', level: 'site.1', reports: [] });
    await expect(centerTransport.queryStatus('site.1', 'e9')).rejects.toMatchObject({ code: ErrorCodes.UnknownDestination, message: 'destination "e9" is not at or below level site.1' });
    await expect(centerTransport.queryStatus('site.1', '../../etc')).rejects.toMatchObject({ code: ErrorCodes.InvalidReport });
    await expect(centerTransport.queryStatus('nobody', 'e1')).rejects.toMatchObject({ code: ErrorCodes.Unreachable });
    for (const junk of ['', 'null', '{"destination": 1}', 'x'.repeat(100_000)]) {
      const reply = JSON.parse((await raw.request('edgesum.status.site=1', junk, { timeout: 5_000 })).string()) as { ok: boolean; code: string };
      expect(reply).toMatchObject({ ok: false, code: ErrorCodes.InvalidReport });
    }
    const rogue = raw.subscribe('edgesum.status.rogue', { callback: (_error, msg) => void msg.respond('{"ok": true, "status": "yes"}') });
    // The server has the subscription once the flush returns, so the request cannot find no responder.
    await raw.flush();
    await expect(centerTransport.queryStatus('rogue', 'e1')).rejects.toMatchObject({ code: ErrorCodes.Unreachable, message: expect.stringMatching(/invalid status reply from rogue/) });
    rogue.unsubscribe();
  });

  it('delivers directives to the child through the grants bucket once each, and refuses a directive for a stranger', async () => {
    const region = recorder();
    const regionTransport = await open('r1', undefined, ['r1-s1']);
    const siteTransport = await open('r1-s1', 'r1', []);
    const site = recorder();
    regionTransport.bind('r1', region.endpoint);
    siteTransport.bind('r1-s1', site.endpoint);
    const directive = {
      from: 'r1',
      seq: 1,
      rollout: { id: 'web-2', workload: 'web', version: '2', previousVersion: '1' },
      startedAt: '2026-11-30T10:00:00.000Z',
      command: 'run',
      grant: { maxStarted: 2, until: null },
    } as unknown as DirectiveMessage;
    await raw.publish('$KV.edgesum-grants.r1-s1.forged', JSON.stringify({ ...directive, from: 'center' }));
    await regionTransport.sendDirective('r1-s1', directive);
    await eventually(async () => (site.directives.length > 0 ? true : undefined), 'the directive at the site');
    // Sent again, as after a lost acknowledgement: dropped by its message id, so only the next one follows.
    await regionTransport.sendDirective('r1-s1', directive);
    await regionTransport.sendDirective('r1-s1', { ...directive, seq: 2 });
    await eventually(async () => (site.directives.some((message) => message.seq === 2) ? true : undefined), 'the second directive at the site');
    expect(site.directives.map((message) => message.seq)).toEqual([1, 2]);
    expect(site.directives[0]).toMatchObject({ from: 'r1', seq: 1, grant: { maxStarted: 2, until: null } });
    await expect(regionTransport.sendDirective('stranger', directive)).rejects.toMatchObject({ code: ErrorCodes.Unreachable });
  });

  it('refuses a partial above the server\'s max_payload as a typed error, logged once and counted, and still delivers the next one that fits', async () => {
    small = await startNatsServer('small', dir, { domain: 'small', maxPayload: '16KB' });
    const errors: Record<string, unknown>[] = [];
    const logger = { ...silentLogger, error: (_message: string, fields?: Record<string, unknown>) => void errors.push(fields ?? {}) };
    const connectTo = async (self: string, parent: string | undefined, children: string[]) => {
      const transport = await connectNatsTransport({ self, parent, children, servers: [small!.url], domain: 'small', timeoutMs: 2_000, logger });
      transports.push(transport);
      return transport;
    };
    const center = recorder();
    const centerTransport = await connectTo('center', undefined, ['site.1']);
    centerTransport.bind('center', center.endpoint);
    const registry = new Registry();
    const site = new MeteredTransport(await connectTo('site.1', 'center', []), 'site.1', registry);
    site.bind('site.1', recorder().endpoint);

    const big = { ...partial('site.1', 1), bindings: { huge: { acc: 'x'.repeat(20_000) } } } as unknown as PartialMessage;
    for (let attempt = 0; attempt < 3; attempt++) {
      await expect(site.sendPartial('center', big)).rejects.toMatchObject({ code: ErrorCodes.MessageTooLarge, message: expect.stringMatching(/level site\.1: its partial for center is \d+ bytes, above the NATS server's max_payload of 16384 bytes/) });
    }
    expect(errors).toEqual([expect.objectContaining({ level: 'site.1', maxPayload: 16_384, code: ErrorCodes.MessageTooLarge })]);
    expect(await registry.metrics()).toMatch(/edgesum_transport_send_failures_total\{level="site\.1",direction="up",code="EDGESUM_MESSAGE_TOO_LARGE"\} 3/);

    await site.sendPartial('center', partial('site.1', 2));
    await eventually(async () => (center.partials.length === 1 ? true : undefined), 'the partial that fits to arrive', 60_000);
    expect(center.partials[0]).toMatchObject({ from: 'site.1', seq: 2 });
  });

  it('refuses to start without a server, naming the URL', async () => {
    await expect(connectNatsTransport({ self: 'x', children: [], servers: ['nats://127.0.0.1:1'], timeoutMs: 1_000, logger: silentLogger })).rejects.toMatchObject({
      code: ErrorCodes.Unreachable,
      message: expect.stringMatching(/cannot connect to NATS at nats:\/\/127\.0\.0\.1:1/),
    });
  });
});

/** The HTTP transport tells a message its peer refused as too large from a link that is down. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCodes } from '../core/errors.js';
import type { PartialMessage } from '../core/transport/index.js';
import { HttpTransport } from '../server/http-transport.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

/** A parent that answers every request with `status` and a JSON error body, as the served node does. */
async function parentAnswering(status: number, message: string): Promise<string> {
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ code: 'EDGESUM_BODY_TOO_LARGE', message }));
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const partial: PartialMessage = { from: 'site-1', epoch: 1, seq: 1, sentAt: '2026-11-24T10:00:00.000Z', bindings: {}, rollouts: {} };

describe('the HTTP transport', () => {
  it('rejects a partial the parent refuses as too large with EDGESUM_MESSAGE_TOO_LARGE, naming its size and the parent\'s reason', async () => {
    const url = await parentAnswering(413, 'the body is larger than limits.bodyBytes (1048576 bytes)');
    const transport = new HttpTransport({ self: 'site-1', parent: { id: 'center', url, token: 't' } });
    const sent = transport.sendPartial('center', partial);
    await expect(sent).rejects.toMatchObject({ code: ErrorCodes.MessageTooLarge });
    await expect(sent).rejects.toThrow(`level site-1: ${url} refused /v1/partials of ${JSON.stringify(partial).length} bytes as too large: the body is larger than limits.bodyBytes (1048576 bytes)`);
  });

  it('rejects any other refusal as EDGESUM_UNREACHABLE', async () => {
    const url = await parentAnswering(503, 'not ready');
    const transport = new HttpTransport({ self: 'site-1', parent: { id: 'center', url, token: 't' } });
    await expect(transport.sendPartial('center', partial)).rejects.toMatchObject({ code: ErrorCodes.Unreachable });
  });
});

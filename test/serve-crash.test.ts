/** A served node killed with SIGKILL while reports stream in loses no acknowledged report, and counts none twice. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { call, eventually, startNode, token, webReport, writeConfig, type NodeProcess } from './support/serve.js';

const destinations = Array.from({ length: 20 }, (_, i) => ({ id: `edge-${i}`, parent: 'center' }));
const dir = mkdtempSync(join(tmpdir(), 'edgesum-crash-'));
const running: NodeProcess[] = [];

afterAll(async () => {
  for (const node of running) await node.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** Batch `b` carries 25 reports, each of its own object, so every accepted report is one more copy counted. */
const batch = (b: number) => Array.from({ length: 25 }, (_, i) => ({ ...webReport(`edge-${i % 20}`, 1), ref: { group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'shop', name: `web-${b}-${i}` } }));

describe('a served node killed mid-stream', () => {
  it('finds every acknowledged report counted exactly once after a restart', async () => {
    const config = writeConfig(
      {
        level: 'center',
        topology: { levels: [{ id: 'center', kind: 'center' }], destinations },
        bindings: [{ name: 'copies', reducer: 'builtin:version-histogram', options: { field: 'ref.name' }, staleAfter: '100000h' }],
        storage: { kind: 'sqlite', dir: join(dir, 'data') },
        runner: 'inline',
        flushInterval: '100ms',
        tokens: [token('admin', ['reader', 'admin'])],
      },
      dir,
    );
    const first = await startNode(config, '--port', '0');
    running.push(first);
    const acknowledged: number[] = [];
    let sent = 0;
    // Post batches back to back; kill the node while the tenth acknowledgement is on its way and the next batches are in flight.
    const posting = (async () => {
      for (let b = 0; b < 1_000; b++) {
        sent = b + 1;
        try {
          const { status, body } = await call(first.url, '/v1/reports', { token: 'admin', body: batch(b) });
          if (status === 200 && (body as { accepted: number }).accepted === 25) acknowledged.push(b);
        } catch {
          return;
        }
      }
    })();
    await eventually(async () => (acknowledged.length >= 10 ? true : undefined), 'ten acknowledged batches');
    await first.kill('SIGKILL');
    await posting;
    expect(acknowledged.length).toBeGreaterThanOrEqual(10);

    const second = await startNode(config, '--port', '0');
    running.push(second);
    const total = await eventually(async () => {
      const { body } = await call(second.url, '/v1/summaries/copies', { token: 'admin' });
      const value = (body as { value: { total: number } }).value;
      return value.total >= acknowledged.length * 25 ? value.total : undefined;
    }, 'the restarted node to fold what it stored');
    // Reports of a batch whose answer was lost with the process may be stored too, never more than were sent.
    expect(total).toBeLessThanOrEqual(sent * 25);
    for (const b of acknowledged) {
      const { body } = await call(second.url, '/v1/reports', { token: 'admin', body: batch(b) });
      expect(body).toMatchObject({ accepted: 0, duplicates: 25 });
    }
    const { body } = await call(second.url, '/v1/summaries/copies', { token: 'admin' });
    expect((body as { value: { total: number } }).value.total).toBe(total);
    expect(await second.kill('SIGTERM')).toBe(0);
  });
});

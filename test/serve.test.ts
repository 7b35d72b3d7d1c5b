/** One served level node as a real process on loopback: every route, the auth matrix, hostile bodies, metrics. */
import { spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCodes } from '../core/errors.js';
import { call, startNode, token, webReport, writeConfig, type NodeProcess } from './support/serve.js';

const topology = {
  levels: [
    { id: 'center', kind: 'center' },
    { id: 'site-1', kind: 'site', parent: 'center' },
  ],
  destinations: [
    { id: 'edge-a', parent: 'center', labels: { tier: 'canary' } },
    { id: 'edge-b', parent: 'center', labels: { tier: 'general' } },
    { id: 'edge-c', parent: 'site-1', labels: { tier: 'general' } },
  ],
  workloads: [{ id: 'web', ref: { group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'shop', name: 'web' } }],
};

let node: NodeProcess;

beforeAll(async () => {
  const config = writeConfig({
    level: 'center',
    topology,
    bindings: [
      { name: 'web-health', reducer: 'builtin:health', selector: { workload: 'web' }, staleAfter: '100000h' },
      { name: 'versions', reducer: 'builtin:version-histogram', staleAfter: '100000h' },
    ],
    storage: { kind: 'memory' },
    runner: 'inline',
    flushInterval: '100ms',
    limits: { bodyBytes: 1_000_000, batchItems: 100, requestTimeout: '2s' },
    tokens: [
      token('admin', ['reader', 'admin']),
      token('reader', ['reader']),
      token('edge-a', ['edge'], { destination: 'edge-a' }),
      token('edge-b', ['edge'], { destination: 'edge-b' }),
      token('site-1', ['level'], { level: 'site-1' }),
    ],
  });
  node = await startNode(config, '--port', '0');
}, 60_000);

afterAll(async () => {
  const code = await node?.kill('SIGTERM');
  expect(code).toBe(0);
});

describe('a served level node', () => {
  it('answers health, readiness and its OpenAPI document without a token', async () => {
    expect(await call(node.url, '/healthz')).toEqual({ status: 200, body: { ok: true } });
    expect(await call(node.url, '/readyz')).toEqual({ status: 200, body: { ready: true } });
    const { status, body } = await call(node.url, '/openapi.json');
    expect(status).toBe(200);
    const document = body as { openapi: string; paths: Record<string, unknown>; components: { schemas: Record<string, unknown> } };
    expect(document.openapi).toBe('3.0.3');
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/v1/reports', '/v1/summaries', '/v1/summaries/{name}', '/v1/destinations/{id}/status', '/v1/partials', '/v1/directives', '/v1/rollouts', '/metrics']));
    expect(document.components.schemas.StatusReport).toMatchObject({ type: 'object' });
  });

  it('refuses a request without a valid token with 401, and a token without the right with 403', async () => {
    expect((await call(node.url, '/v1/summaries')).status).toBe(401);
    expect((await call(node.url, '/v1/summaries', { token: 'not-a-token' })).status).toBe(401);
    expect(await call(node.url, '/v1/summaries', { token: 'edge-a' })).toMatchObject({ status: 403, body: { error: { code: ErrorCodes.Forbidden } } });
    expect((await call(node.url, '/v1/reports', { token: 'edge-a', body: [webReport('edge-b', 1)] })).status).toBe(403);
    expect((await call(node.url, '/v1/rollouts', { token: 'reader', body: { id: 'r' } })).status).toBe(403);
    expect((await call(node.url, '/v1/partials', { token: 'edge-a', body: {} })).status).toBe(403);
    expect((await call(node.url, '/metrics', { token: 'edge-a' })).status).toBe(403);
  });

  it('accepts an edge posting its own reports and answers each item of a batch', async () => {
    expect(await call(node.url, '/v1/reports', { token: 'edge-a', body: [webReport('edge-a', 1)] })).toEqual({ status: 200, body: { accepted: 1, duplicates: 0, outOfOrder: 0, rejected: [] } });
    const mixed = await call(node.url, '/v1/reports', { token: 'admin', body: [webReport('edge-b', 1), { ...webReport('edge-b', 2), seq: -1 }, webReport('edge-a', 1), { destination: 'nowhere' }] });
    expect(mixed.status).toBe(207);
    expect(mixed.body).toMatchObject({ accepted: 1, duplicates: 1, rejected: [{ index: 1, code: ErrorCodes.InvalidReport, issues: [{ path: 'seq' }] }, { index: 3 }] });
  });

  it('refuses malformed, oversized and overfull bodies with a 4xx and a catalog error', async () => {
    expect(await call(node.url, '/v1/reports', { token: 'admin', raw: '[{"destination":' })).toMatchObject({ status: 400, body: { error: { code: ErrorCodes.InvalidInput } } });
    expect(await call(node.url, '/v1/reports', { token: 'admin', body: { not: 'an array' } })).toMatchObject({ status: 400 });
    expect(await call(node.url, '/v1/reports', { token: 'admin', body: Array.from({ length: 101 }, (_, i) => webReport('edge-a', i + 10)) })).toMatchObject({ status: 413, body: { error: { code: ErrorCodes.BodyTooLarge } } });
    expect(await call(node.url, '/v1/reports', { token: 'admin', raw: `["${'x'.repeat(1_100_000)}"]` })).toMatchObject({ status: 413, body: { error: { code: ErrorCodes.BodyTooLarge } } });
    expect(await call(node.url, '/v1/nothing', { token: 'admin' })).toMatchObject({ status: 404, body: { error: { code: ErrorCodes.NoRoute } } });
  });

  it('serves summaries, one summary, and the status of one destination', async () => {
    await call(node.url, '/v1/reports', { token: 'edge-b', body: [webReport('edge-b', 5)] });
    const summary = await eventuallyValue(async () => {
      const { body } = await call(node.url, '/v1/summaries/web-health', { token: 'reader' });
      return (body as { value: { counts: { healthy: number } } }).value.counts.healthy === 2 ? body : undefined;
    });
    expect(summary).toMatchObject({ value: { counts: { healthy: 2 } }, coverage: { expected: 3, reporting: 2 }, degraded: false });
    expect(Object.keys((await call(node.url, '/v1/summaries', { token: 'reader' })).body as object)).toEqual(['web-health', 'versions']);
    expect(await call(node.url, '/v1/summaries/nope', { token: 'reader' })).toMatchObject({ status: 404, body: { error: { code: ErrorCodes.UnknownBinding } } });
    expect(await call(node.url, '/v1/destinations/edge-b/status', { token: 'reader' })).toMatchObject({ status: 200, body: { destination: 'edge-b', level: 'center', reports: [{ seq: 5 }] } });
    expect(await call(node.url, '/v1/destinations/edge-zz/status', { token: 'reader' })).toMatchObject({ status: 404, body: { error: { code: ErrorCodes.UnknownDestination } } });
    expect(await call(node.url, '/v1/destinations/edge-c/status', { token: 'reader' })).toMatchObject({ status: 503, body: { error: { code: ErrorCodes.Unreachable } } });
  });

  it("takes a child level's partial only with that level's token", async () => {
    const partial = { from: 'site-1', epoch: 1, seq: 1, sentAt: '2026-11-30T10:00:00Z', bindings: { versions: { groups: { '*': { total: 1, versions: { '1.0.0': 1 } } }, coverage: { expected: 1, reporting: 1, stale: 0, unreachable: 0 }, degraded: null } }, rollouts: {} };
    expect((await call(node.url, '/v1/partials', { token: 'site-1', body: { ...partial, from: 'site-9' } })).status).toBe(403);
    expect((await call(node.url, '/v1/partials', { token: 'site-1', body: { ...partial, seq: -1 } })).status).toBe(400);
    expect((await call(node.url, '/v1/partials', { token: 'site-1', body: partial })).status).toBe(204);
    const versions = await eventuallyValue(async () => {
      const { body } = await call(node.url, '/v1/summaries/versions', { token: 'reader' });
      return (body as { coverage: { reporting: number } }).coverage.reporting === 3 ? body : undefined;
    });
    expect(versions).toMatchObject({ coverage: { reporting: 3 } });
  });

  it('starts, lists, reads and pauses a rollout with an admin token', async () => {
    const spec = { id: 'web-2', workload: 'web', version: '2.0.0', previousVersion: '1.0.0', policies: { center: { policy: 'builtin:all-at-once' }, region: { policy: 'builtin:all-at-once' }, site: { policy: 'builtin:all-at-once' } } };
    expect((await call(node.url, '/v1/rollouts', { token: 'admin', body: spec })).status).toBe(201);
    expect(await call(node.url, '/v1/rollouts', { token: 'admin', body: spec })).toMatchObject({ status: 400, body: { error: { code: ErrorCodes.InvalidRollout } } });
    expect(await call(node.url, '/v1/rollouts', { token: 'admin', body: { ...spec, id: 'bad', workload: 'nope' } })).toMatchObject({ status: 400 });
    expect(await call(node.url, '/v1/rollouts', { token: 'reader' })).toMatchObject({ status: 200, body: [{ id: 'web-2' }] });
    expect(await call(node.url, '/v1/rollouts/web-2', { token: 'reader' })).toMatchObject({ status: 200, body: { id: 'web-2', version: '2.0.0' } });
    expect((await call(node.url, '/v1/rollouts/web-2/explode', { token: 'admin', method: 'POST' })).status).toBe(404);
    expect(await call(node.url, '/v1/rollouts/nope', { token: 'reader' })).toMatchObject({ status: 404, body: { error: { code: ErrorCodes.UnknownRollout } } });
    const directive = await eventuallyValue(async () => {
      const { status, body } = await call(node.url, '/v1/destinations/edge-a/directive', { token: 'edge-a' });
      return status === 200 ? body : undefined;
    });
    expect(directive).toMatchObject({ rollout: 'web-2', destination: 'edge-a', version: '2.0.0' });
    expect((await call(node.url, '/v1/destinations/edge-b/directive', { token: 'edge-a' })).status).toBe(403);
    expect(await call(node.url, '/v1/rollouts/web-2/pause', { token: 'admin', method: 'POST' })).toMatchObject({ status: 200, body: { command: 'pause' } });
  });

  it('exposes metrics that promtool finds nothing wrong with', async () => {
    const { status, body } = await call(node.url, '/metrics', { token: 'reader' });
    expect(status).toBe(200);
    expect(body).toContain('edgesum_reports_accepted_total{level="center"}');
    for (const name of ['edgesum_ingest_seconds_bucket', 'edgesum_plugin_call_seconds_bucket', 'edgesum_destinations{level="center",binding="web-health",state="reporting"}', 'edgesum_rollout_decisions_total', 'edgesum_directives_pending', 'edgesum_plugin_errors_total', 'edgesum_partials_ignored_total', 'edgesum_sandbox_memory_bytes']) {
      expect(body).toContain(name);
    }
    const checked = spawnSync('promtool', ['check', 'metrics'], { input: body as string, encoding: 'utf8' });
    expect(checked.error).toBeUndefined();
    expect(checked.stdout + checked.stderr).toBe('');
    expect(checked.status).toBe(0);
  });

  it('cuts off a client that stalls in the middle of a request', async () => {
    const closed = await new Promise<boolean>((done) => {
      const socket = connect(node.port, '127.0.0.1', () => socket.write('POST /v1/reports HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n[{'));
      socket.on('close', () => done(true));
      socket.on('error', () => undefined);
      setTimeout(() => done(false), 30_000).unref();
    });
    expect(closed).toBe(true);
  });

  it('answers 10,000 fuzzed bodies with a 4xx or per-item results, never a 5xx, and keeps serving', async () => {
    const paths = ['/v1/reports', '/v1/partials', '/v1/rollouts', '/v1/rollouts/web-2/pause', '/v1/summaries', '/v1/destinations/edge-a/status'];
    const body = fc.oneof(
      fc.json(),
      fc.array(fc.oneof(fc.json(), fc.constant(webReport('edge-a', 99))), { maxLength: 5 }).map((items) => JSON.stringify(items)),
      fc.string({ maxLength: 200 }),
      fc.constant('{"__proto__": {"polluted": true}}'),
    );
    const requests = fc.sample(fc.record({ path: fc.constantFrom(...paths), token: fc.constantFrom('admin', 'edge-a', 'site-1', 'reader', 'nobody'), body }), { numRuns: 10_000, seed: 20261130 });
    const statuses = new Map<number, number>();
    for (let i = 0; i < requests.length; i += 50) {
      const results = await Promise.all(requests.slice(i, i + 50).map((request) => call(node.url, request.path, { token: request.token, raw: request.body, method: 'POST' })));
      for (const { status } of results) statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
    expect([...statuses.keys()].filter((status) => status >= 500)).toEqual([]);
    expect([...statuses.values()].reduce((a, b) => a + b, 0)).toBe(10_000);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(await call(node.url, '/healthz')).toEqual({ status: 200, body: { ok: true } });
    expect((await call(node.url, '/v1/summaries', { token: 'reader' })).status).toBe(200);
  });
});

async function eventuallyValue<T>(check: () => Promise<T | undefined>): Promise<T> {
  const { eventually } = await import('./support/serve.js');
  return eventually(check, 'the node to reflect the change');
}

/** serveLevel in one process: the node does its work when its scheduler says, on the injected clock. */
import { describe, expect, it } from 'vitest';
import { serveLevel } from '../app/serve.js';
import { ManualClock, type Scheduler } from '../core/clock/index.js';
import { ServeConfigSchema, type LoadedServeConfig } from '../server/config.js';
import { call, token, webReport } from './support/serve.js';

describe('a level node served in process', () => {
  it('folds and forwards only when its scheduler runs a step', async () => {
    const steps: (() => Promise<void>)[] = [];
    const scheduler: Scheduler = {
      every(ms, step) {
        expect(ms).toBe(60_000);
        steps.push(step);
        return { stop: async () => undefined };
      },
    };
    const topology = { levels: [{ id: 'center', kind: 'center' as const, labels: {} }], destinations: [{ id: 'edge-a', parent: 'center', labels: {} }], workloads: [] };
    const parsed = ServeConfigSchema.parse({ level: 'center', topology, bindings: [{ name: 'versions', reducer: 'builtin:version-histogram' }], storage: { kind: 'memory' }, runner: 'inline', flushInterval: '1m', listen: { port: 0 }, tokens: [token('admin', ['reader', 'admin'])] });
    const config: LoadedServeConfig = { ...parsed, topology, storage: { kind: 'memory' }, file: 'in-process' };
    const served = await serveLevel(config, { scheduler, clock: new ManualClock() });
    try {
      expect((await call(served.url, '/v1/reports', { token: 'admin', body: [webReport('edge-a', 1)] })).status).toBe(200);
      const before = (await call(served.url, '/v1/summaries/versions', { token: 'admin' })).body as { value: { total: number } };
      expect(before.value.total).toBe(0);
      expect(steps).toHaveLength(1);
      await steps[0]!();
      const after = (await call(served.url, '/v1/summaries/versions', { token: 'admin' })).body as { value: { total: number } };
      expect(after.value.total).toBe(1);
    } finally {
      await served.close();
    }
  });
});

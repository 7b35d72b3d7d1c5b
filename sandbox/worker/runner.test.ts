import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ErrorCodes, PluginTimeoutError, ValidationError } from '../../core/errors.js';
import type { PluginSource } from '../../core/ports/plugin-runner.js';
import { callAt, fixture, report } from '../fixtures/reports.js';
import { threadCount, threadCountSettled } from '../fixtures/threads.js';
import { QuickJsRunner } from '../quickjs/runner.js';
import { workerModule } from './entry.js';

const call = callAt('site-1');
const stuck: PluginSource = { spec: 'uninterruptible', entry: fileURLToPath(new URL('../../test/hostile/plugins/uninterruptible.ts', import.meta.url)) };
const indexOf = report('edge-evil', { attack: 'array-like indexOf' });

describe('workerModule', () => {
  it('runs the compiled body beside compiled JavaScript, and the tsx shim beside TypeScript source', () => {
    expect(workerModule('file:///opt/edgesum/dist/sandbox/worker/runner.js', 'worker').href).toBe('file:///opt/edgesum/dist/sandbox/worker/worker.js');
    expect(workerModule('file:///src/edgesum/sandbox/worker/runner.ts', 'worker').href).toBe('file:///src/edgesum/sandbox/worker/worker.mjs');
    expect(workerModule('file:///src/edgesum/bench/pool.ts', 'pool-worker').href).toBe('file:///src/edgesum/bench/pool-worker.mjs');
  });
});

describe('the watchdog of a worker-thread runner', () => {
  it('runs the calls queued behind a terminated one in the thread that replaces it', async () => {
    const before = threadCount();
    const runner = new QuickJsRunner({ limits: { timeMs: 60_000 } });
    try {
      const plugin = await runner.loadReducer(stuck, { timeMs: 1_000 });
      const counter = await runner.loadReducer(fixture('counter'));
      // One thread: the counter's calls wait behind the stuck one, and must not share its fate.
      const [stopped, counted, finished] = await Promise.allSettled([
        plugin.reduce([[indexOf]], call),
        counter.reduce([[report('edge-1', { readyReplicas: 3 })]], call),
        counter.finish([{ reports: 2, ready: 1, destinations: ['a', 'b'] }], call),
      ]);
      expect(stopped).toMatchObject({ status: 'rejected', reason: expect.any(PluginTimeoutError) });
      expect((stopped as PromiseRejectedResult).reason).toMatchObject({ code: ErrorCodes.PluginTimeout, plugin: 'uninterruptible', hook: 'add', level: 'site-1' });
      expect(counted).toEqual({ status: 'fulfilled', value: [{ reports: 1, ready: 1, destinations: ['edge-1'] }] });
      expect(finished).toMatchObject({ status: 'fulfilled', value: [{ reports: 2, destinations: ['a', 'b'] }] });
    } finally {
      await runner.dispose();
    }
    const after = await threadCountSettled(before);
    if (before !== undefined && after !== undefined) expect(after).toBeLessThanOrEqual(before);
  });

  it('loads plugins into the thread that replaces a terminated one, its own and new ones, with its warm spare on', async () => {
    const runner = new QuickJsRunner({ limits: { timeMs: 60_000 } });
    try {
      const plugin = await runner.loadReducer(stuck, { timeMs: 1_000 });
      await expect(plugin.reduce([[indexOf]], call)).rejects.toBeInstanceOf(PluginTimeoutError);
      const counter = await runner.loadReducer(fixture('counter'));
      await expect(counter.reduce([[report('edge-1', { readyReplicas: 3 })]], call)).resolves.toEqual([{ reports: 1, ready: 1, destinations: ['edge-1'] }]);
      await expect(plugin.reduce([[report('edge-1'), report('edge-2')]], call)).resolves.toEqual([2]);
    } finally {
      await runner.dispose();
    }
  });

  it('rejects a grace period that is not a number of at least 0', () => {
    expect(() => new QuickJsRunner({ graceMs: -1 })).toThrow(ValidationError);
    expect(() => new QuickJsRunner({ graceMs: Number.NaN })).toThrow(ValidationError);
  });
});

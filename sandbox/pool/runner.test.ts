import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { FilePluginCatalog } from '../../core/catalog/index.js';
import type { Json, PolicyInput, StatusReport } from '../../core/contract.js';
import { EdgesumError, ErrorCodes, PluginLoadError, PluginOutputError, PluginThrewError, PluginTimeoutError, ValidationError } from '../../core/errors.js';
import { fleetReports, fleetTopology } from '../../core/sim/fleet.js';
import type { AccUpdate, CallContext, PluginRunner, PluginSource } from '../../core/ports/plugin-runner.js';
import { threadCount, threadCountSettled } from '../fixtures/threads.js';
import { QuickJsRunner } from '../quickjs/runner.js';
import { balancedSlices } from '../worker/runner.js';
import { PooledRunner } from './runner.js';

const catalog = new FilePluginCatalog();
const loop: PluginSource = { spec: 'test/fixtures/plugins/loop.js', entry: fileURLToPath(new URL('../../test/fixtures/plugins/loop.js', import.meta.url)) };
const call: CallContext = { options: {}, binding: 'web-health', level: { id: 'region-1', kind: 'region' }, now: '2026-11-24T10:00:00Z' };
// Far above what any call here does, so a busy machine cannot turn a test into a timeout.
const limits = { timeMs: 60_000 };

// ~5k reports in groups of uneven size (5 to 154), so the split has something to balance.
const reports = fleetReports(fleetTopology({ regions: 3, sitesPerRegion: 4, destinations: 2_500 }), { seed: 11, now: Date.parse(call.now) });
const groups: StatusReport[][] = [];
for (let start = 0, i = 0; start < reports.length; i++) {
  const size = 5 + ((i * 37) % 150);
  groups.push(reports.slice(start, start + size));
  start += size;
}
const small = groups.slice(0, 8);

/** The fields a caller branches on and shows, of a typed error. */
function fieldsOf(error: unknown) {
  const { name, code, message, plugin, hook, level, binding, index, issues } = error as EdgesumError;
  return { name, code, message, plugin, hook, level, binding, index, issues };
}

/** One call to every reducer hook, with `update` retracting a few reports where the reducer can. */
async function everyHook(runner: PluginRunner, spec: string, batch: readonly (readonly StatusReport[])[]) {
  const handle = await runner.loadReducer(catalog.resolve(spec));
  const reduced = await handle.reduce(batch, call);
  const items: AccUpdate[] = reduced.map((acc, i) => ({ acc, remove: handle.info.retractable ? batch[i]!.slice(0, 2) : [], add: batch[(i + 1) % batch.length]! }));
  const updated = await handle.update(items, call);
  const merged = await handle.merge([updated.slice(0, 3), updated.slice(3), []], call);
  return { reduced, updated, merged, finished: await handle.finish(merged, call) };
}

describe('PooledRunner', () => {
  const pool = new PooledRunner({ workers: 2, limits });
  const quickjs = new QuickJsRunner({ limits });
  afterAll(async () => {
    await pool.dispose();
    await quickjs.dispose();
  });

  it.each(['builtin:health', 'builtin:version-histogram'])('gives QuickJsRunner’s results for %s when a large batch is split over the workers', async (spec) => {
    expect(reports.length).toBeGreaterThan(4_500);
    const [pooled, single] = await Promise.all([everyHook(pool, spec, groups), everyHook(quickjs, spec, groups)]);
    expect(pooled.reduced).toHaveLength(groups.length);
    expect(pooled).toEqual(single);
  });

  it('gives QuickJsRunner’s results for a batch below minBatchReports and for one big group, each sent whole to one worker', async () => {
    for (const batch of [small, [reports]]) {
      const [pooled, single] = await Promise.all([everyHook(pool, 'builtin:health', batch), everyHook(quickjs, 'builtin:health', batch)]);
      expect(pooled).toEqual(single);
    }
  });

  it('applies the output limit to the concatenated result of a split call, as to one call', async () => {
    const whole = JSON.stringify(await (await quickjs.loadReducer(catalog.resolve('builtin:version-histogram'))).reduce(groups, call));
    // Each worker's half fits; the whole does not.
    const output = { outputBytes: Math.floor(whole.length * 0.75) };
    const errors = await Promise.all(
      [pool, quickjs].map(async (runner) => (await runner.loadReducer(catalog.resolve('builtin:version-histogram'), output)).reduce(groups, call).catch((e: unknown) => e)),
    );
    expect(errors[0]).toBeInstanceOf(PluginOutputError);
    expect(fieldsOf(errors[0])).toEqual(fieldsOf(errors[1]));
    expect((errors[0] as Error).message).toBe(`version-histogram.add returned ${whole.length} bytes, above the ${output.outputBytes} byte output limit`);
  });

  it('rebuilds a worker’s timeout as PluginTimeoutError with QuickJsRunner’s code, message and fields, split or not', async () => {
    const [pooled, single] = await Promise.all([pool.loadReducer(loop, { timeMs: 1_000 }), quickjs.loadReducer(loop, { timeMs: 1_000 })]);
    const expected = fieldsOf(await single.reduce(groups, call).catch((e: unknown) => e));
    expect(expected).toMatchObject({ code: ErrorCodes.PluginTimeout, plugin: 'loop', hook: 'add', level: 'region-1', binding: 'web-health' });
    for (const batch of [groups, small]) {
      const error = await pooled.reduce(batch, call).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PluginTimeoutError);
      expect(fieldsOf(error)).toEqual(expected);
    }
  });

  it('rejects limits that would switch a QuickJS limit off with QuickJsRunner’s ValidationError and issues', async () => {
    const error = await pool.loadReducer(catalog.resolve('builtin:health'), { stackBytes: -1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(fieldsOf(error)).toEqual(fieldsOf(await quickjs.loadReducer(catalog.resolve('builtin:health'), { stackBytes: -1 }).catch((e: unknown) => e)));
    expect(() => new PooledRunner({ limits: { memoryBytes: 0 } })).toThrow(ValidationError);
    expect(() => new PooledRunner({ workers: 0 })).toThrow(ValidationError);
  });

  it('decides a policy through a worker exactly as QuickJsRunner does', async () => {
    const input = (now: string, state: 'pending' | 'progressing'): PolicyInput => ({
      rollout: { id: 'r1', workload: 'web', version: '2.0.0', startedAt: '2026-11-24T09:00:00Z' },
      level: 'region-1',
      now,
      memo: null,
      children: ['a', 'b', 'c'].map((id, i) => ({ id, labels: {}, group: { name: 'all', index: 0 }, state: i === 0 ? state : 'pending', summary: null })),
    });
    const inputs = [input('2026-11-24T10:00:00Z', 'pending'), input('2026-11-24T11:00:00Z', 'progressing')];
    const decisions = await Promise.all(
      [pool, quickjs].map(async (runner) => (await runner.loadPolicy(catalog.resolve('builtin:all-at-once'))).decide(inputs, {}, { id: 'region-1', kind: 'region' })),
    );
    expect(decisions[0]).toEqual(decisions[1]);
    expect(decisions[0]).toMatchObject([{ action: 'advance', targets: ['a', 'b', 'c'] }, { action: 'advance', targets: ['a', 'b', 'c'] }]);
  });
});

describe('PooledRunner workers', () => {
  it('rejects the call of a worker that died with a typed error naming the pool, and replaces the worker on the next call', async () => {
    const pool = new PooledRunner({ workers: 1, limits, workerEntry: new URL('../worker/fixtures/crashing-worker.mjs', import.meta.url) });
    try {
      const handle = await pool.loadReducer(catalog.resolve('builtin:health'));
      const error = await handle.reduce(small, { ...call, binding: 'crash-worker' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PluginThrewError);
      expect(error).toMatchObject({ code: ErrorCodes.PluginThrew, plugin: 'health', hook: 'add', level: 'region-1', binding: 'crash-worker' });
      expect((error as Error).message).toBe('quickjs-pool: worker 0 exited with code 3 while running health.add at level region-1; the next call starts a new worker');
      // The replacement loads `health` again before it runs the call.
      const reduced: Json[] = await handle.reduce(small, call);
      expect(reduced).toEqual(await (await pool.loadReducer(catalog.resolve('builtin:health'))).reduce(small, call));
    } finally {
      await pool.dispose();
    }
  });

  it('leaves no worker thread running after dispose, and is unusable afterwards', async () => {
    const before = threadCount();
    const pool = new PooledRunner({ workers: 2, limits });
    const handle = await pool.loadReducer(catalog.resolve('builtin:health'));
    if (before !== undefined) expect(threadCount()).toBeGreaterThanOrEqual(before + 2);
    await expect(pool.dispose()).resolves.toBeUndefined();
    const after = await threadCountSettled(before);
    if (before !== undefined && after !== undefined) expect(after).toBeLessThanOrEqual(before);
    await expect(handle.reduce(groups, call)).rejects.toBeInstanceOf(PluginLoadError);
    await expect(handle.finish([null], call)).rejects.toMatchObject({ code: ErrorCodes.PluginLoad });
    await expect(pool.loadReducer(catalog.resolve('builtin:health'))).rejects.toBeInstanceOf(PluginLoadError);
  });
});

describe('balancedSlices', () => {
  it('cuts contiguous, non-empty slices whose report counts are as even as the cuts allow', () => {
    expect(balancedSlices([1, 1, 1, 1], 2)).toEqual([{ start: 0, end: 2 }, { start: 2, end: 4 }]);
    expect(balancedSlices([10, 1, 1, 1, 1, 1, 1], 2)).toEqual([{ start: 0, end: 1 }, { start: 1, end: 7 }]);
    expect(balancedSlices([0, 0, 0], 3)).toEqual([{ start: 0, end: 1 }, { start: 1, end: 2 }, { start: 2, end: 3 }]);
    const weights = groups.map((group) => group.length);
    const [first, second] = balancedSlices(weights, 2).map(({ start, end }) => weights.slice(start, end).reduce((a, b) => a + b, 0));
    expect(Math.abs(first! - second!)).toBeLessThanOrEqual(154);
  });
});

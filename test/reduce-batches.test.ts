import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { reduceCommand } from '../cli/reduce.js';
import { FilePluginCatalog } from '../core/catalog/index.js';
import { ManualClock } from '../core/clock/index.js';
import { reduceOnce } from '../core/pipeline/index.js';
import type { PluginRunner, ReducerHandle } from '../core/ports/plugin-runner.js';
import { InlineRunner } from '../sandbox/index.js';
import { deploymentReport } from './support/reports.js';

const now = '2026-11-24T10:00:00Z';

/** The handle, with every call refused that carries more than `most` reports. */
function bounded(handle: ReducerHandle, most: number): { handle: ReducerHandle; calls: string[] } {
  const calls: string[] = [];
  const check = (hook: string, sizes: number[]) => {
    calls.push(`${hook}:${sizes.join(',')}`);
    if (sizes.some((size) => size > most)) throw new RangeError(`${hook} got ${Math.max(...sizes)} reports`);
  };
  return {
    calls,
    handle: {
      info: handle.info,
      merge: (groups, call) => handle.merge(groups, call),
      finish: (accs, call) => handle.finish(accs, call),
      reduce: async (groups, call) => (check('reduce', groups.map((group) => group.length)), handle.reduce(groups, call)),
      update: async (items, call) => (check('update', items.map((item) => item.add.length + item.remove.length)), handle.update(items, call)),
    },
  };
}

describe('reduceOnce', () => {
  it('folds more reports than one call may carry, in calls of at most `batch` reports over all partitions, to the summary of one fold', async () => {
    const runner = new InlineRunner();
    const handle = await runner.loadReducer(new FilePluginCatalog().resolve('builtin:health'));
    const reports = Array.from({ length: 11 }, (_, i) => deploymentReport(`edge-${i}`, i % 3 === 0 ? { status: { replicas: 2, readyReplicas: 0 } } : {}));
    const whole = await reduceOnce(handle, reports, { options: {}, now });
    const { handle: small, calls } = bounded(handle, 4);
    await expect(reduceOnce(small, reports, { options: {}, now, batch: 4 })).resolves.toEqual(whole);
    expect(calls).toEqual(['reduce:4', 'update:4', 'update:3']);
    calls.length = 0;
    await expect(reduceOnce(small, reports, { options: {}, now, batch: 4, partitions: 2 })).resolves.toEqual(whole);
    expect(calls).toEqual(['reduce:2,2', 'update:2,2', 'update:2,1']);
    await runner.dispose();
  });
});

describe('edgesum reduce on a runner with several threads', () => {
  it('folds one partition per thread in every call, so each thread has work, to the same summary', async () => {
    const inner = new InlineRunner();
    const calls: string[] = [];
    const threaded: PluginRunner = {
      name: 'threaded',
      parallelism: 3,
      loadPolicy: (source, limits) => inner.loadPolicy(source, limits),
      dispose: () => inner.dispose(),
      loadReducer: async (source, limits) => {
        const handle = await inner.loadReducer(source, limits);
        const counted = bounded(handle, Number.POSITIVE_INFINITY);
        return { ...counted.handle, reduce: (groups, call) => (calls.push(`reduce:${groups.length}`), counted.handle.reduce(groups, call)) };
      },
    };
    const dir = mkdtempSync(join(tmpdir(), 'edgesum-'));
    const file = join(dir, 'reports.jsonl');
    writeFileSync(file, Array.from({ length: 10 }, (_, i) => JSON.stringify(deploymentReport(`edge-${i}`, i % 4 === 0 ? { status: { replicas: 2, readyReplicas: 0 } } : {}))).join('\n'));
    const run = async (runner: PluginRunner): Promise<string> => {
      let out = '';
      const code = await reduceCommand(
        { reducer: 'builtin:health', reports: file, partitions: '1', json: true },
        { runner, catalog: new FilePluginCatalog(), clock: new ManualClock(), output: { out: (text) => (out += text), err: () => undefined, interactive: false }, stdin: (async function* () {})() },
      );
      expect(code).toBe(0);
      return out;
    };
    const single = new InlineRunner();
    expect(await run(threaded)).toBe(await run(single));
    expect(calls).toEqual(['reduce:3']);
    await single.dispose();
    await threaded.dispose();
  });
});

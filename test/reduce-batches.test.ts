import { describe, expect, it } from 'vitest';
import { FilePluginCatalog } from '../core/catalog/index.js';
import { reduceOnce } from '../core/pipeline/index.js';
import type { ReducerHandle } from '../core/ports/plugin-runner.js';
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
  it('folds more reports than one call may carry, in calls of at most `batch`, to the summary of one fold', async () => {
    const runner = new InlineRunner();
    const handle = await runner.loadReducer(new FilePluginCatalog().resolve('builtin:health'));
    const reports = Array.from({ length: 11 }, (_, i) => deploymentReport(`edge-${i}`, i % 3 === 0 ? { status: { replicas: 2, readyReplicas: 0 } } : {}));
    const whole = await reduceOnce(handle, reports, { options: {}, now });
    const { handle: small, calls } = bounded(handle, 4);
    await expect(reduceOnce(small, reports, { options: {}, now, batch: 4 })).resolves.toEqual(whole);
    expect(calls).toEqual(['reduce:4', 'update:4', 'update:3']);
    await expect(reduceOnce(small, reports, { options: {}, now, batch: 4, partitions: 2 })).resolves.toEqual(whole);
    await runner.dispose();
  });
});

import { setImmediate as idle } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { PluginLoadError } from '../../core/errors.js';
import { bundleGuestShim } from '../bundle.js';
import { LeakCheckedModule } from '../fixtures/leak-checked-module.js';
import { callAt, fixture, report } from '../fixtures/reports.js';
import { InThreadQuickJsRunner } from './in-thread.js';
import { WarmSpare } from './warm-spare.js';
import { WasmHost } from './wasm-host.js';

const call = callAt('site-1');
// The debug build is ~50x slower and its heap several times larger: wide limits.
const limits = { timeMs: 60_000, memoryBytes: 512 * 1024 * 1024 };

/** Lets the event loop turn until `runner`'s spare has booted; whether it did. Counts turns, not time. */
async function spareBooted(runner: InThreadQuickJsRunner): Promise<boolean> {
  for (let turn = 0; turn < 1_000 && !runner.spareReady; turn++) await idle();
  return runner.spareReady;
}

describe('the warm spare of the QuickJS engine', () => {
  it('boots a spare in idle time after a load, hands it to the next load, and boots another behind it', async () => {
    const modules: LeakCheckedModule[] = [];
    const runner = new InThreadQuickJsRunner({ limits, newModule: LeakCheckedModule.factory(modules), warmSpare: true });
    try {
      const counter = await runner.loadReducer(fixture('counter'));
      expect(await spareBooted(runner)).toBe(true);
      const [module] = modules;
      const spare = module!.runtimes.at(-1)!;
      // The plugin's runtime and the spare (the module's binary JSON self-check used one more, gone).
      expect(module!.liveRuntimes()).toBe(2);
      const created = module!.runtimes.length;

      // A module that throws while it initializes loses the runtime it was evaluated in: the spare's.
      await expect(runner.loadReducer(fixture('throws-at-load'))).rejects.toBeInstanceOf(PluginLoadError);
      expect(spare.alive).toBe(false);
      expect(await spareBooted(runner)).toBe(true);
      expect(module!.runtimes).toHaveLength(created + 1);
      expect(module!.liveRuntimes()).toBe(2);

      const second = await runner.loadReducer(fixture('counter'));
      await expect(second.reduce([[report('edge-1', { readyReplicas: 3 })]], call)).resolves.toEqual([{ reports: 1, ready: 1, destinations: ['edge-1'] }]);
      await expect(counter.reduce([[report('edge-2')]], call)).resolves.toEqual([{ reports: 1, ready: 0, destinations: ['edge-2'] }]);
      expect(modules).toHaveLength(1);
    } finally {
      await runner.dispose();
    }
    modules[0]!.assertNoLeaks();
  });

  it('disposes its spare with the runner, and a refill due after dispose instantiates nothing', async () => {
    const modules: LeakCheckedModule[] = [];
    const runner = new InThreadQuickJsRunner({ limits, newModule: LeakCheckedModule.factory(modules), warmSpare: true });
    await runner.loadReducer(fixture('counter'));
    // The refill this load scheduled has not run yet.
    expect(runner.spareReady).toBe(false);
    await runner.dispose();
    expect(await spareBooted(runner)).toBe(false);
    expect(modules).toHaveLength(1);
    modules[0]!.assertNoLeaks();
  });

  it('counts its budget in the module heap ceiling while booting or held, and hands a spare only to a load of the shim it booted', async () => {
    const modules: LeakCheckedModule[] = [];
    const host = new WasmHost(LeakCheckedModule.factory(modules));
    const budgetBytes = limits.memoryBytes;
    const spare = new WarmSpare({ host, clock: () => 0, stackBytes: 64 * 1024, budgetBytes });
    const shim = await bundleGuestShim();
    const lease = await host.acquire();
    expect(spare.budgetBytes(lease)).toBe(0);
    spare.refill(shim);
    expect(spare.budgetBytes(lease)).toBe(budgetBytes);
    for (let turn = 0; turn < 1_000 && !spare.ready; turn++) await idle();
    expect(spare.budgetBytes(lease)).toBe(budgetBytes);

    expect(spare.take(lease, { ...shim, hash: 'another shim' })).toBeUndefined();
    const taken = spare.take(lease, shim);
    expect(taken).toBeDefined();
    expect(spare.ready).toBe(false);
    taken!.context.dispose();
    taken!.runtime.dispose();
    spare.dispose();
    expect(spare.budgetBytes(lease)).toBe(0);
    modules[0]!.assertNoLeaks();
  });
});

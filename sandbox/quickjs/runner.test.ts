import { afterAll, describe, expect, it } from 'vitest';
import type { PolicyInput } from '../../core/contract.js';
import { ErrorCodes, PluginLoadError, PluginThrewError, ValidationError } from '../../core/errors.js';
import { LeakCheckedModule } from '../fixtures/leak-checked-module.js';
import { callAt, fixture, report } from '../fixtures/reports.js';
import { InlineRunner } from '../inline.js';
import type { PluginRunner } from '../../core/ports/plugin-runner.js';
import { InThreadQuickJsRunner } from './in-thread.js';
import { QuickJsRunner } from './runner.js';

const call = callAt('site-1', { label: 'east' });
// Far above any call's work, so a busy machine cannot turn a test into a timeout.
const limits = { timeMs: 60_000 };
const reports = [report('edge-3', { readyReplicas: 3 }), report('edge-1', { readyReplicas: 1 }), report('edge-2', { readyReplicas: 3 })];

/** Runs `body` against both runners and returns both results, or both errors as `{ code, message }`. */
async function both<T>(runners: readonly PluginRunner[], body: (runner: PluginRunner) => Promise<T>): Promise<unknown[]> {
  return Promise.all(
    runners.map((runner) =>
      body(runner).then(
        (value) => ({ value }),
        (error: { code?: string; message?: string; hook?: string; level?: string; binding?: string }) => ({
          code: error.code,
          hook: error.hook,
          level: error.level,
          binding: error.binding,
        }),
      ),
    ),
  );
}

describe('QuickJsRunner', () => {
  const quickjs = new QuickJsRunner({ limits });
  const inline = new InlineRunner();
  afterAll(() => quickjs.dispose());

  it('describes a plugin like the inline runner, with the bundle hash', async () => {
    const handle = await quickjs.loadReducer(fixture('counter'));
    const reference = await inline.loadReducer(fixture('counter'));
    const { hash, ...rest } = handle.info;
    const { hash: moduleHash, ...expected } = reference.info;
    expect(rest).toEqual(expected);
    expect(hash).toMatch(/^[0-9a-f]{16}$/);
    expect(hash).not.toBe(moduleHash);
  });

  it('gives the inline runner’s results for reduce, update, merge and finish', async () => {
    const results = await both([quickjs, inline], async (runner) => {
      const handle = await runner.loadReducer(fixture('counter'));
      const accs = await handle.reduce([reports, reports.slice(1), []], call);
      const updated = await handle.update([{ acc: accs[0]!, remove: [reports[0]!], add: [report('edge-9', { readyReplicas: 3 })] }], call);
      const merged = await handle.merge([accs, [], [updated[0]!]], call);
      return { accs, updated, merged, finished: await handle.finish(merged, call) };
    });
    expect(results[0]).toEqual(results[1]);
    expect(results[0]).toMatchObject({
      value: {
        finished: [
          { reports: 5, ready: 3, label: 'east', binding: 'web-health', level: 'site-1', now: call.now },
          { reports: 0, destinations: [] },
          { reports: 3, destinations: ['edge-1', 'edge-2', 'edge-9'] },
        ],
      },
    });
  });

  it('fails an update that retracts without a remove hook exactly as the inline runner does', async () => {
    const results = await both([quickjs, inline], async (runner) => {
      const handle = await runner.loadReducer(fixture('no-remove'));
      return handle.update([{ acc: 1, remove: [reports[0]!], add: [] }], call);
    });
    expect(results[0]).toEqual(results[1]);
    expect(results[0]).toEqual({ code: ErrorCodes.PluginThrew, hook: 'add', level: 'site-1', binding: 'web-health' });
  });

  it('gives the inline runner’s decisions for a policy, one per input', async () => {
    const input = (now: string, memo: number | null): PolicyInput => ({
      rollout: { id: 'r1', workload: 'web', version: '2.0.0', startedAt: '2026-11-24T09:00:00Z' },
      level: 'region-eu',
      now,
      memo,
      children: ['a', 'b', 'c'].map((id, index) => ({ id, labels: {}, group: { name: 'all', index: 0 }, state: index === 0 ? 'progressing' : 'pending', summary: null })),
    });
    const inputs = [input('2026-11-24T10:00:00Z', null), input('2026-11-24T11:00:00Z', 4)];
    const results = await both([quickjs, inline], async (runner) => {
      const handle = await runner.loadPolicy(fixture('rollout-policy'));
      return handle.decide(inputs, { max: 2 }, { id: 'region-eu', kind: 'region' });
    });
    // The reason carries the clock: the sandbox's Date is the input's `now`, the inline one the real time.
    const strip = (result: unknown) => JSON.parse(JSON.stringify(result).replace(/ at [0-9T:.Z-]+"/g, '"')) as unknown;
    expect(strip(results[0])).toEqual(strip(results[1]));
    expect(results[0]).toMatchObject({
      value: [
        { action: 'advance', targets: ['a', 'b'], memo: 1, reason: '2 of 3 rolling out at 2026-11-24T10:00:00.000Z' },
        { memo: 5, reason: '2 of 3 rolling out at 2026-11-24T11:00:00.000Z' },
      ],
    });
  });

  it('rejects a policy loaded as a reducer and a module that is no plugin', async () => {
    await expect(quickjs.loadReducer(fixture('rollout-policy'))).rejects.toThrow(/expected a reducer plugin, found a policy/);
    await expect(quickjs.loadReducer(fixture('not-a-plugin'))).rejects.toMatchObject({ code: ErrorCodes.PluginLoad, message: expect.stringMatching(/neither a reducer/) });
  });

  it('reports a module that throws while it initializes as a load error with the guest message', async () => {
    const error = await quickjs.loadReducer(fixture('throws-at-load')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PluginLoadError);
    expect((error as Error).message).toMatch(/^\.\/sandbox\/fixtures\/throws-at-load\.ts threw while loading: SyntaxError: /);
    expect((error as Error).message).toMatch(/\(at sandbox\/fixtures\/throws-at-load\.ts:3:\d+\)$/);
  });

  it('puts the guest Error message and the plugin source line into PluginThrewError', async () => {
    const handle = await quickjs.loadReducer(fixture('throws'));
    const error = await handle.reduce([[report('edge-1'), report('edge-bad')]], call).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PluginThrewError);
    expect(error).toMatchObject({ code: ErrorCodes.PluginThrew, plugin: 'throws', hook: 'add', level: 'site-1', binding: 'web-health' });
    expect((error as Error).message).toContain('throws.add threw at level site-1: replicas went negative on edge-bad');
    expect((error as Error).message).toMatch(/\(at sandbox\/fixtures\/throws\.ts:10:\d+\)/);
    // The runtime survives a throw: the next call works.
    await expect(handle.reduce([[report('edge-1')]], call)).resolves.toEqual([1]);
  });

  it('words a thrown non-Error like the inline runner', async () => {
    const results = await both([quickjs, inline], async (runner) => (await runner.loadReducer(fixture('throws'))).finish([2], call));
    expect(results[0]).toEqual(results[1]);
    const error = (await (await quickjs.loadReducer(fixture('throws'))).finish([2], call).catch((e: unknown) => e)) as Error;
    expect(error.message).toBe('throws.finish threw at level site-1: [object Object]');
  });

  it('runs a plugin that imports an npm package (zod) with the inline runner’s results', async () => {
    const mixed = [report('edge-1', { readyReplicas: 2 }), report('edge-2', { readyReplicas: -1 }), report('edge-3', { replicas: 1 })];
    const results = await both([quickjs, inline], async (runner) => (await runner.loadReducer(fixture('with-zod'))).reduce([mixed], call));
    expect(results[0]).toEqual(results[1]);
    expect(results[0]).toMatchObject({ value: [{ valid: 1, invalid: 2 }] });
  });

  it('gives the guest the call’s clock and a seeded Math.random, and no host globals', async () => {
    const handle = await quickjs.loadReducer(fixture('probe'));
    const [first] = await handle.finish([null], call);
    const [second] = await handle.finish([null], call);
    expect(second).toEqual(first);
    expect(first).toMatchObject({
      now: Date.parse(call.now),
      iso: '2026-11-24T10:00:00.000Z',
      dateCall: 'string',
      parsed: Date.parse('2020-01-02T03:04:05Z'),
      instance: true,
      hostGlobals: [],
    });
    const [later] = await handle.finish([null], { ...call, now: '2027-01-01T00:00:00Z' });
    expect(later).toMatchObject({ now: Date.parse('2027-01-01T00:00:00Z'), random: (first as { random: number[] }).random });
    const other = new QuickJsRunner({ seed: 7, limits });
    const [reseeded] = await (await other.loadReducer(fixture('probe'))).finish([null], call);
    expect((reseeded as { random: number[] }).random).not.toEqual((first as { random: number[] }).random);
    await other.dispose();
  });

  it('lets hooks assign over names frozen built-ins define (this.name in an Error subclass, obj.toString)', async () => {
    const results = await both([quickjs, inline], async (runner) => (await runner.loadReducer(fixture('overrides'))).finish([3], call));
    expect(results[0]).toEqual(results[1]);
    expect(results[0]).toEqual({
      value: [{ name: 'ValidationProblem', message: 'bad after 3', text: 'ValidationProblem: bad after 3', custom: 'custom', value: 42, keys: ['toString', 'valueOf', 'constructor'], legacy: 'a legacy' }],
    });
  });

  it('answers an empty batch without entering the sandbox', async () => {
    const handle = await quickjs.loadReducer(fixture('counter'));
    await expect(handle.reduce([], call)).resolves.toEqual([]);
    await expect(handle.finish([], call)).resolves.toEqual([]);
  });

  it('rejects limits that would switch a QuickJS limit off', async () => {
    expect(() => new QuickJsRunner({ limits: { memoryBytes: 0 } })).toThrow(ValidationError);
    await expect(quickjs.loadReducer(fixture('counter'), { stackBytes: -1 })).rejects.toBeInstanceOf(ValidationError);
  });

  it('is unusable after dispose', async () => {
    const runner = new QuickJsRunner({ limits });
    const handle = await runner.loadReducer(fixture('counter'));
    await runner.dispose();
    await expect(handle.reduce([reports], call)).rejects.toMatchObject({ code: ErrorCodes.PluginLoad });
    await expect(runner.loadReducer(fixture('counter'))).rejects.toMatchObject({ code: ErrorCodes.PluginLoad });
  });
});

describe('QuickJS engine resource discipline', () => {
  const modules: LeakCheckedModule[] = [];
  // The debug build is ~50x slower and its heap several times larger: wide limits.
  const runner = new InThreadQuickJsRunner({ limits: { timeMs: 60_000, memoryBytes: 512 * 1024 * 1024 }, newModule: LeakCheckedModule.factory(modules) });

  it('leaves no runtime, handle or allocation behind after calls, failures and dispose', async () => {
    const counter = await runner.loadReducer(fixture('counter'));
    const throws = await runner.loadReducer(fixture('throws'));
    const policy = await runner.loadPolicy(fixture('rollout-policy'));
    await counter.reduce([reports], call);
    await counter.finish(await counter.merge([[{ reports: 1, ready: 0, destinations: ['x'] }]], call), call);
    await expect(throws.reduce([[report('edge-bad')]], call)).rejects.toBeInstanceOf(PluginThrewError);
    await expect(throws.finish([5], call)).rejects.toBeInstanceOf(PluginThrewError);
    await policy.decide([], {}, { id: 'c', kind: 'center' });
    await expect(runner.loadReducer(fixture('throws-at-load'))).rejects.toBeInstanceOf(PluginLoadError);

    expect(modules).toHaveLength(1);
    expect(modules[0]!.liveRuntimes()).toBe(3);
    await runner.dispose();
    modules[0]!.assertNoLeaks();
  });
});

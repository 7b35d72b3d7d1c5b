/**
 * A plugin sees the same environment in every runner and in `edgesum/testing`: `Date` is the call's
 * `now`, `Math.random` is seeded, and a throw names the plugin's own TypeScript file and line.
 */
import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runnerNamed, type RunnerName } from '../app/container.js';
import { loadPolicy, loadReducer } from '../app/testing.js';
import { ErrorCodes } from '../core/errors.js';
import { reduceOnce } from '../core/pipeline/index.js';
import { defaultSeed as testingSeed } from '../core/testing/index.js';
import { defaultSeed } from '../sandbox/index.js';
import type { PluginRunner } from '../core/ports/index.js';
import { input, kid } from '../plugins/policy-kit/fixtures.js';
import { report } from '../sandbox/fixtures/reports.js';

const names: RunnerName[] = ['quickjs', 'quickjs-pool', 'inline'];
const runners = new Map<RunnerName, PluginRunner>(names.map((name) => [name, runnerNamed(name)]));
afterAll(async () => {
  for (const runner of runners.values()) await runner.dispose();
});

const source = (path: string) => ({ spec: path, entry: resolve(path) });
// Five minutes after the rollout started: a policy waiting ten minutes by its Date holds.
const fiveMinutesIn = input([kid('site-1'), kid('site-2')], { now: '2026-03-02T09:05:00.000Z' });
const level = { id: 'region-1', kind: 'region' as const };

describe.each(names)('the %s runner', (name) => {
  const runner = runners.get(name)!;

  it("names the plugin's TypeScript file and line when a hook throws", async () => {
    const handle = await runner.loadReducer(source('sandbox/fixtures/throws.ts'));
    const error = await handle.reduce([[report('edge-1'), report('edge-bad')]], { options: {}, binding: 'b', level: { id: 'site-1', kind: 'site' }, now: '2026-01-01T00:00:00Z' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: ErrorCodes.PluginThrew, hook: 'add' });
    expect((error as Error).message).toMatch(/replicas went negative on edge-bad \(at sandbox\/fixtures\/throws\.ts:10:\d+\)/);
  });

  it("gives a policy the input's now as its Date, as edgesum/testing does", async () => {
    const handle = await runner.loadPolicy(source('test/fixtures/kit/date-now-policy.ts'));
    const [decision] = await handle.decide([fiveMinutesIn], {}, level);
    const tested = await loadPolicy('test/fixtures/kit/date-now-policy.ts');
    expect(decision).toEqual(tested.decide(fiveMinutesIn, {}));
    expect(decision).toMatchObject({ action: 'hold' });
  });

  it('gives a reducer the seeded Math.random of the sandbox', async () => {
    const handle = await runner.loadReducer(source('test/fixtures/kit/math-random.ts'));
    const reports = [report('edge-1'), report('edge-2'), report('edge-3')];
    const summary = await reduceOnce(handle, reports, { options: {}, now: '2026-01-01T00:00:00Z' });
    const sandboxed = await reduceOnce(await runners.get('quickjs')!.loadReducer(source('test/fixtures/kit/math-random.ts')), reports, { options: {}, now: '2026-01-01T00:00:00Z' });
    expect(summary).toEqual(sandboxed);
  });
});

describe('edgesum/testing', () => {
  it('seeds Math.random as the runners do', () => {
    expect(testingSeed).toBe(defaultSeed);
  });

  it("points a thrown error's stack at the plugin's TypeScript file and line", async () => {
    const reducer = await loadReducer('sandbox/fixtures/throws.ts');
    const ctx = { options: {}, binding: 'b', level: { id: 'site-1', kind: 'site' as const }, now: '2026-01-01T00:00:00Z' };
    const error = (() => {
      try {
        reducer.add(0, report('edge-bad'), ctx);
      } catch (thrown) {
        return thrown as Error;
      }
      return undefined;
    })();
    expect(error?.message).toBe('replicas went negative on edge-bad');
    expect(error?.stack).toMatch(/sandbox\/fixtures\/throws\.ts:10:\d+/);
  });

  it("runs a reducer's hooks with Date at ctx.now", async () => {
    const reducer = await loadReducer('test/fixtures/kit/date-now-add.ts');
    const ctx = { options: {}, binding: 'b', level: { id: 'site-1', kind: 'site' as const }, now: '2026-01-01T00:00:00Z' };
    expect(reducer.finish(reducer.add(reducer.init(ctx), report('edge-1'), ctx), ctx)).toEqual({ n: 1, latest: Date.parse(ctx.now) });
  });
});

/**
 * One binding's plugin misbehaving at the host boundary: a `finish` that throws, an accumulator the
 * wire refuses, results that are not JSON, a plugin that keeps failing. Each ends in a typed error
 * on that binding alone, degraded on its last good result, while the node keeps serving the others
 * and keeps every accepted report for when the plugin recovers.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { createHierarchy } from '../app/container.js';
import { ManualClock } from '../core/clock/index.js';
import type { Json, StatusReport } from '../core/contract.js';
import { ErrorCodes } from '../core/errors.js';
import { Metrics } from '../core/metrics/index.js';
import type { TopologyInput } from '../core/node/index.js';
import { FilePluginCatalog } from '../core/catalog/index.js';
import { Binding, BindingSchema, maxJsonDepth, reduceOnce, type BindingInput } from '../core/pipeline/index.js';
import type { PluginRunner, ReducerHandle } from '../core/ports/plugin-runner.js';
import { InlineRunner } from '../sandbox/inline.js';
import { QuickJsRunner } from '../sandbox/quickjs/runner.js';
import { attackNames } from './fixtures/plugins/non-json.js';
import { RawRunner } from './fixtures/raw-runner.js';
import { deploymentReport, smallTopology } from './support/reports.js';

const plugin = (name: string) => `./test/fixtures/plugins/${name}`;
const count = { name: 'count', reducer: plugin('poison-count.ts') };

async function build(bindings: BindingInput[], options: { runner?: PluginRunner; retry?: { initialMs: number; maxMs: number }; topology?: TopologyInput } = {}) {
  const clock = new ManualClock();
  const registry = new Registry();
  const runner = options.runner ?? new InlineRunner();
  const hierarchy = await createHierarchy(
    { topology: options.topology ?? smallTopology(), bindings },
    { clock, runner, registry, nodeOptions: { partitionSize: 64, ...(options.retry === undefined ? {} : { retry: options.retry }) } },
  );
  return { hierarchy, clock, registry, runner };
}

async function metricValue(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const metric = await registry.getSingleMetric(name)!.get();
  return metric.values.filter((v) => Object.entries(labels).every(([key, value]) => v.labels[key] === value)).reduce((sum, v) => sum + v.value, 0);
}

describe("a binding whose finish throws", () => {
  it('keeps the last good summary, degraded, while summaries() answers for every other binding', async () => {
    const { hierarchy, clock } = await build([{ name: 'fragile', reducer: plugin('finish-throws.ts') }, count]);
    hierarchy.ingest([deploymentReport('edge-1-1-1'), deploymentReport('edge-2-1-1')]);
    await hierarchy.settle();
    expect((await hierarchy.summaries()).fragile).toMatchObject({ value: { count: 2 }, degraded: false });

    hierarchy.ingest([deploymentReport('edge-1-2-1', { status: { bomb: true } })]);
    await hierarchy.settle();
    const summaries = await hierarchy.summaries();
    expect(summaries.fragile).toMatchObject({ value: { count: 2 }, degraded: true, error: { code: ErrorCodes.PluginThrew, failures: 1 } });
    expect(summaries.fragile!.error!.message).toContain('1 bomb(s)');
    expect(summaries.count).toMatchObject({ value: { count: 3 }, degraded: false });
    await expect(hierarchy.center.summary('fragile')).resolves.toMatchObject({ degraded: true });

    hierarchy.ingest([deploymentReport('edge-1-2-1', { seq: 2 })]);
    clock.advance(1_000);
    await hierarchy.settle();
    expect((await hierarchy.summaries()).fragile).toEqual({ value: { count: 3 }, coverage: expect.any(Object), degraded: false });
  });

  it('shows null, degraded, when no summary ever finished', async () => {
    const { hierarchy } = await build([{ name: 'fragile', reducer: plugin('finish-throws.ts') }]);
    hierarchy.ingest([deploymentReport('edge-1-1-1', { status: { bomb: true } })]);
    await hierarchy.settle();
    expect((await hierarchy.summaries()).fragile).toMatchObject({ value: null, degraded: true, error: { code: ErrorCodes.PluginThrew } });
  });
});

describe('an accumulator the wire cannot carry', () => {
  it(`degrades only that binding when its accumulator nests deeper than ${maxJsonDepth} levels, and settle() keeps working`, async () => {
    const { hierarchy } = await build([{ name: 'deep', reducer: plugin('deep-acc.ts') }, count]);
    hierarchy.ingest([deploymentReport('edge-1-1-1', { status: { depth: maxJsonDepth } }), deploymentReport('edge-2-1-1')]);
    await hierarchy.settle();
    expect((await hierarchy.summaries()).deep).toMatchObject({ value: { n: 2, depth: maxJsonDepth }, degraded: false });

    hierarchy.ingest([deploymentReport('edge-1-1-2', { status: { depth: maxJsonDepth + 1 } }), deploymentReport('edge-1-1-3')]);
    await expect(hierarchy.settle()).resolves.toBeUndefined();
    const summaries = await hierarchy.summaries();
    expect(summaries.deep).toMatchObject({ value: { n: 2, depth: maxJsonDepth }, degraded: true, error: { code: ErrorCodes.PluginOutput } });
    expect(summaries.deep!.error!.message).toContain(`nested deeper than ${maxJsonDepth} levels`);
    expect(summaries.count).toMatchObject({ value: { count: 4 }, degraded: false });
    await expect(hierarchy.settle()).resolves.toBeUndefined();
  });

  it("sends the last partial that passed the transport's check, marked degraded, when the current one does not", () => {
    const handle: ReducerHandle = {
      info: { kind: 'reducer', name: 'stub', version: '1', retractable: false, hash: '0', source: { spec: 'stub', entry: 'stub' } },
      reduce: async (groups) => groups.map((reports) => reports.length),
      update: async () => [],
      merge: async (groups) => groups.map((accs) => accs.reduce<number>((sum, acc) => sum + (acc as number), 0)),
      finish: async (accs) => [...accs],
    };
    const binding = new Binding(BindingSchema.parse({ name: 'b', reducer: 'stub' }), {
      handle,
      level: { id: 'site', kind: 'site' },
      options: {},
      now: () => 0,
      metrics: new Metrics(new Registry()),
      matches: () => true,
      groupOf: () => '*',
      expected: 3,
      partitionSize: 8,
    });
    return (async () => {
      binding.apply(deploymentReport('edge-1'), undefined);
      await binding.flush();
      expect(binding.partial(new Set(), () => undefined)).toMatchObject({ groups: { '*': 1 }, degraded: null });
      binding.apply(deploymentReport('edge-2'), undefined);
      await binding.flush();
      const refused = binding.partial(new Set(), (partial) => ((partial.groups['*'] as number) > 1 ? 'too many' : undefined));
      expect(refused).toMatchObject({ groups: { '*': 1 }, degraded: { code: ErrorCodes.PluginOutput, message: expect.stringContaining('too many') } });
      expect(binding.partial(new Set(), () => undefined)).toMatchObject({ groups: { '*': 2 }, degraded: null });
    })();
  });
});

describe('hook results that are not JSON', () => {
  const attack = (destination: string, kind: string): StatusReport => deploymentReport(destination, { status: { attack: kind } });

  it.each(attackNames)('turn %s into EDGESUM_PLUGIN_OUTPUT on that binding alone, whatever the runner passes through', async (kind) => {
    const { hierarchy } = await build([{ name: 'hostile', reducer: plugin('non-json.ts') }, count], { runner: new RawRunner() });
    hierarchy.ingest([deploymentReport('edge-1-1-1'), deploymentReport('edge-2-1-1')]);
    await hierarchy.settle();
    hierarchy.ingest([attack('edge-1-1-2', kind), deploymentReport('edge-2-1-2')]);
    await expect(hierarchy.settle()).resolves.toBeUndefined();
    const summaries = await hierarchy.summaries();
    expect(summaries.hostile).toMatchObject({ value: { n: 3 }, degraded: true, error: { code: ErrorCodes.PluginOutput } });
    expect(summaries.count).toMatchObject({ value: { count: 4 }, degraded: false });
    expect((await hierarchy.node('r1-s1').summary('hostile')).value).toEqual({ n: 1 });
  });

  it('are EDGESUM_PLUGIN_OUTPUT in a one-shot reduction too', async () => {
    const handle = await new RawRunner().loadReducer(new FilePluginCatalog().resolve(plugin('non-json.ts')));
    const reports = [deploymentReport('edge-1'), attack('edge-2', 'nan')];
    await expect(reduceOnce(handle, reports, { options: {}, now: '2026-11-24T10:00:00Z' })).rejects.toMatchObject({ code: ErrorCodes.PluginOutput, hook: 'add' });
    await expect(reduceOnce(handle, reports.slice(0, 1), { options: {}, now: '2026-11-24T10:00:00Z' })).resolves.toEqual({ n: 1 });
  });

  it('turns an async add into EDGESUM_PLUGIN_OUTPUT instead of a half-converted accumulator', async () => {
    const { hierarchy } = await build([{ name: 'async', reducer: plugin('async-add.ts') }], { runner: new RawRunner() });
    hierarchy.ingest([deploymentReport('edge-1-1-1')]);
    await hierarchy.settle();
    const summary = (await hierarchy.summaries()).async!;
    expect(summary).toMatchObject({ degraded: true, error: { code: ErrorCodes.PluginOutput, message: expect.stringMatching(/Promise/) } });
  });

});

describe('a binding that keeps failing', () => {
  const poison = (destination: string, seq = 1) => deploymentReport(destination, { seq, status: { poison: true } });

  it('backs off exponentially on the injected clock up to the cap, says so in its summary and metrics, and resets on success', async () => {
    const runner = new InlineRunner();
    const { hierarchy, clock, registry } = await build([count], { runner, retry: { initialMs: 1_000, maxMs: 3_000 } });
    const start = clock.now();
    hierarchy.ingest([poison('edge-1-1-1')]);
    await hierarchy.settle();
    const site = hierarchy.node('r1-s1');
    expect((await site.summary('count')).error).toMatchObject({ code: ErrorCodes.PluginThrew, failures: 1, retryAt: new Date(start + 1_000).toISOString() });
    const adds = runner.counts.add;

    // Nothing is attempted before retryAt, however often the level flushes or reports arrive.
    for (let i = 0; i < 5; i++) {
      hierarchy.ingest([deploymentReport('edge-1-1-2', { seq: i + 1 })]);
      await hierarchy.settle();
    }
    clock.advance(999);
    await hierarchy.settle();
    expect(runner.counts.add).toBe(adds);
    expect(await metricValue(registry, 'edgesum_binding_backoff_skips_total', { level: 'r1-s1', binding: 'count', stage: 'fold' })).toBe(6);

    const delays: number[] = [];
    for (let attempt = 2; attempt <= 5; attempt++) {
      clock.set(Date.parse((await site.summary('count')).error!.retryAt!));
      await hierarchy.settle();
      const error = (await site.summary('count')).error!;
      expect(error.failures).toBe(attempt);
      delays.push(Date.parse(error.retryAt!) - clock.now());
    }
    expect(delays).toEqual([2_000, 3_000, 3_000, 3_000]);
    expect(await metricValue(registry, 'edgesum_binding_consecutive_failures', { level: 'r1-s1', binding: 'count', stage: 'fold' })).toBe(5);
    // The center shows the site's failure with its schedule.
    expect((await hierarchy.summaries()).count!.error).toMatchObject({ failures: 5, retryAt: expect.any(String) });

    hierarchy.ingest([deploymentReport('edge-1-1-1', { seq: 2 })]);
    clock.advance(3_000);
    await hierarchy.settle();
    // Every report accepted while the binding backed off is in the summary.
    expect((await hierarchy.summaries()).count).toMatchObject({ value: { count: 2 }, degraded: false });
    expect(await metricValue(registry, 'edgesum_binding_consecutive_failures', { level: 'r1-s1', binding: 'count', stage: 'fold' })).toBe(0);

    hierarchy.ingest([poison('edge-1-1-1', 3)]);
    await hierarchy.settle();
    expect((await site.summary('count')).error).toMatchObject({ failures: 1, retryAt: new Date(clock.now() + 1_000).toISOString() });
  });

  describe('in the QuickJS runner', () => {
    // The limit also bounds loading the plugin, which takes tens of milliseconds on a busy machine:
    // far above that, so only the loop itself ever runs out of time.
    const loopLimitMs = 750;
    const runner = new QuickJsRunner();
    afterAll(() => runner.dispose());

    it('pays a looping add its time limit once per backoff period, not on every flush', async () => {
      const { hierarchy, clock, registry } = await build([{ name: 'loop', reducer: plugin('loop.js'), limits: { timeMs: loopLimitMs } }, count], { runner });
      hierarchy.ingest([deploymentReport('edge-1-1-1'), deploymentReport('edge-2-2-1')]);
      await hierarchy.settle();
      const timeouts = () => metricValue(registry, 'edgesum_plugin_errors_total', { binding: 'loop', code: ErrorCodes.PluginTimeout });
      expect(await timeouts()).toBe(2);
      for (let i = 0; i < 3; i++) await hierarchy.settle();
      expect(await timeouts()).toBe(2);
      expect((await hierarchy.summaries()).count).toMatchObject({ value: { count: 2 }, degraded: false });
      clock.advance(1_000);
      await hierarchy.settle();
      expect(await timeouts()).toBe(4);
    });

    it('pays a looping finish its time limit once per backoff period, not on every read', async () => {
      const { hierarchy, clock, registry } = await build([{ name: 'loop', reducer: plugin('loop-finish.js'), limits: { timeMs: loopLimitMs } }, count], { runner });
      hierarchy.ingest([deploymentReport('edge-1-1-1')]);
      await hierarchy.settle();
      const timeouts = () => metricValue(registry, 'edgesum_plugin_errors_total', { binding: 'loop', code: ErrorCodes.PluginTimeout });
      const first = await hierarchy.summaries();
      expect(first.loop).toMatchObject({ value: null, degraded: true, error: { code: ErrorCodes.PluginTimeout } });
      expect(first.count).toMatchObject({ value: { count: 1 } });
      for (let i = 0; i < 3; i++) await hierarchy.summaries();
      expect(await timeouts()).toBe(1);
      clock.advance(1_000);
      await hierarchy.summaries();
      expect(await timeouts()).toBe(2);
    });
  });
});

describe('the JSON check itself', () => {
  it('accepts what JSON.parse gives back, at the depth limit', async () => {
    const { findNonJson } = await import('../core/pipeline/json-check.js');
    let deep: Json = [];
    for (let i = 0; i < maxJsonDepth; i++) deep = [deep];
    expect(findNonJson(JSON.parse(JSON.stringify({ a: [1, 'x', null, true, { b: -0.5 }], deep: (deep as Json[])[0]! })))).toBeUndefined();
    expect(findNonJson({ deep })).toMatchObject({ message: `nested deeper than ${maxJsonDepth} levels` });
    expect(findNonJson(Object.create(null))).toBeUndefined();
  });
});

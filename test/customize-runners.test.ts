/**
 * Customizers run through the one PluginRunner port in every runner, with the same results, the
 * same limits and the same typed errors; a pattern isolates one target's failure from the others.
 */
import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FilePluginCatalog } from '../core/catalog/index.js';
import type { CustomizeTarget, Json } from '../core/contract.js';
import { applyLevel, explainChain, loadPattern, parsePattern, Renderings, renderingHash, type RenderOutcome } from '../core/customize/index.js';
import { CustomizeError, ErrorCodes } from '../core/errors.js';
import type { PluginLimits, PluginRunner } from '../core/ports/plugin-runner.js';
import { InlineRunner, PooledRunner, QuickJsRunner } from '../sandbox/index.js';

/** Far above what rendering takes; the spinning target is stopped by it. */
const limits: Partial<PluginLimits> = { timeMs: 1_000, outputBytes: 1024 * 1024 };
const catalog = new FilePluginCatalog();
const hostile = resolve('test/fixtures/plugins/hostile-customizer.ts');
const call = { level: { id: 'site-1', kind: 'site' as const }, now: '2026-11-30T10:00:00Z' };
const site: CustomizeTarget = { id: 'site-1', kind: 'site', labels: {} };
const destination = (id: string, labels: Record<string, string> = {}): CustomizeTarget => ({ id, kind: 'destination', labels });
const runners: PluginRunner[] = [new InlineRunner(), new QuickJsRunner({ limits }), new PooledRunner({ workers: 2, limits })];
afterAll(async () => {
  for (const runner of runners) await runner.dispose();
});

const values = (outcomes: RenderOutcome[]) => outcomes.map((outcome) => (outcome.ok ? outcome.object : outcome.error.toJSON()));

describe.each(runners.map((runner) => [runner.name, runner] as const))('customizers in the %s runner', (_name, runner) => {
  it('renders the built-ins for each destination as the inline runner does', async () => {
    const pattern = await loadPattern(
      parsePattern({
        name: 'web',
        customizers: [
          { plugin: 'builtin:image-tag', level: 'center', options: { version: '2.0.0' } },
          { plugin: 'builtin:labels-template', level: 'destination' },
          { plugin: 'builtin:overrides', level: 'destination', options: { rules: [{ selector: { matchLabels: { region: 'eu' } }, merge: { spec: { replicas: 5 } } }] } },
        ],
      }),
      runner,
      catalog,
    );
    const object: Json = { metadata: { labels: { region: '{{ .labels.region }}' } }, spec: { replicas: 1, containers: [{ name: 'web', image: 'web:1' }] } };
    const items = ['eu', 'us'].map((region) => ({ object, target: destination(`edge-${region}`, { region }), chain: [site] }));
    const center = await applyLevel(pattern, [{ object, target: { id: 'center', kind: 'center', labels: {} }, chain: [] }], call);
    const outcomes = await applyLevel(pattern, items.map((item) => ({ ...item, object: (center[0] as { object: Json }).object })), call);
    expect(values(outcomes)).toEqual([
      { metadata: { labels: { region: 'eu' } }, spec: { replicas: 5, containers: [{ name: 'web', image: 'web:2.0.0' }] } },
      { metadata: { labels: { region: 'us' } }, spec: { replicas: 1, containers: [{ name: 'web', image: 'web:2.0.0' }] } },
    ]);
  });

  it('fails only the misbehaving targets, each with a typed error naming pattern, customizer, target and path', async () => {
    const pattern = await loadPattern(parsePattern({ name: 'evil', customizers: [{ name: 'h', plugin: hostile, level: 'destination', limits }] }), runner, catalog);
    // The inline runner runs trusted code without a time limit: it gets no spinning target.
    const attacks = [...(runner.name === 'inline' ? [] : ['spin']), 'nan', 'big', 'fault', 'mutate', 'none'];
    const items = attacks.map((attack) => ({ object: { spec: {} }, target: destination(`edge-${attack}`, { attack }), chain: [site] }));
    const outcomes = await applyLevel(pattern, items, call);
    const seen = outcomes.map((outcome) => (outcome.ok ? 'ok' : `${outcome.error.code} ${outcome.error.place.target} ${outcome.error.place.path}`.trim()));
    expect(seen).toEqual([
      ...(runner.name === 'inline' ? [] : [`${ErrorCodes.PluginTimeout} edge-spin`]),
      `${ErrorCodes.PluginOutput} edge-nan`,
      `${ErrorCodes.PluginOutput} edge-big`,
      `${ErrorCodes.Customize} edge-fault spec.replicas`,
      'ok',
      'ok',
    ]);
    const fault = (outcomes[attacks.indexOf('fault')] as { error: CustomizeError }).error;
    expect(fault).toBeInstanceOf(CustomizeError);
    expect(fault.toJSON()).toMatchObject({ pattern: 'evil', customizer: 'h', target: 'edge-fault', path: 'spec.replicas', code: ErrorCodes.Customize });
    expect(fault.message).toContain('pattern "evil", customizer "h", target edge-fault at spec.replicas');
    // A write to the object stays inside the target's own copy.
    expect(values(outcomes.slice(-2))).toEqual([{ spec: {}, touched: true }, { spec: {}, rendered: 'edge-none' }]);
    expect(items.at(-2)!.object).toEqual({ spec: {} });
  });
});

describe('explaining a rendering', () => {
  it('refuses an explain result that is not a list of rules and paths as an output error of that step', async () => {
    const runner = runners[0]!;
    const pattern = await loadPattern(parsePattern({ name: 'evil', customizers: [{ name: 'h', plugin: hostile, level: 'destination' }] }), runner, catalog);
    const chain = [{ id: 'center', kind: 'center' as const, labels: {} }, site];
    const good = await explainChain(pattern, { spec: {} }, [...chain, destination('edge-1')], call);
    expect(good.steps).toEqual([{ customizer: 'h', target: 'edge-1', changes: [{ rule: 'everything', path: 'rendered' }] }]);
    const bad = await explainChain(pattern, { spec: {} }, [...chain, destination('edge-2', { attack: 'explain' })], call);
    expect(bad.outcome.ok).toBe(false);
    expect((bad.outcome as { error: CustomizeError }).error.toJSON()).toMatchObject({ code: ErrorCodes.PluginOutput, customizer: 'h', target: 'edge-2' });
  });
});

describe('a target whose rendering fails', () => {
  it('keeps its last good rendering and is reported degraded, while others move on', () => {
    const renderings = new Renderings();
    renderings.record('edge-1', { ok: true, object: { v: 1 } });
    const error = new CustomizeError(ErrorCodes.Customize, 'missing label', { pattern: 'p', customizer: 'c', target: 'edge-1', path: 'a' });
    const served = renderings.record('edge-1', { ok: false, error });
    expect(served).toEqual({ object: { v: 1 }, hash: renderingHash({ v: 1 }), degraded: error });
    expect(renderings.record('edge-2', { ok: true, object: { v: 2 } })).toEqual({ object: { v: 2 }, hash: renderingHash({ v: 2 }) });
  });
});

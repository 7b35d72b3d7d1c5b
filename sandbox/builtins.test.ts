import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import type { ChildState, Json, PolicyInput, StatusReport } from '../core/contract.js';
import { callAt } from './fixtures/reports.js';
import { InlineRunner } from './inline.js';
import type { CustomizerHandle, PluginRunner, PluginSource, PolicyHandle, ReducerHandle } from '../core/ports/plugin-runner.js';
import { QuickJsRunner } from './quickjs/runner.js';

const pluginsDir = new URL('../plugins/', import.meta.url);
const fixtureReports = new URL('health/fixtures/reports.jsonl', pluginsDir);

/** Options each built-in needs (their READMEs); every other built-in runs with `{}`. */
const optionsFor: Record<string, Json> = {
  'top-k': { field: 'status.restartCount' },
  overrides: { rules: [{ name: 'eu', selector: { matchLabels: { region: 'eu' } }, patch: [{ op: 'replace', path: '/spec/replicas', value: 4 }] }] },
  aggregate: { fields: { n: { op: 'COUNT' } } },
};

/** Built-in plugins present right now: others are still writing some of them. */
const builtins = existsSync(pluginsDir)
  ? readdirSync(pluginsDir).filter((name) => existsSync(new URL(`${name}/index.ts`, pluginsDir)))
  : [];

/** The health fixture if present, plus synthetic reports carrying what every built-in reads. */
function reports(): StatusReport[] {
  const fromFixture = existsSync(fixtureReports)
    ? readFileSync(fixtureReports, 'utf8')
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as StatusReport)
    : [];
  const synthetic = Array.from({ length: 40 }, (_, i): StatusReport => {
    const ready = i % 5 === 0 ? 1 : 3;
    return {
      destination: `edge-${String(100 + i)}`,
      ref: { group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'shop', name: i % 4 === 0 ? 'api' : 'web' },
      seq: i + 1,
      observedAt: `2026-11-24T10:${String(i % 60).padStart(2, '0')}:00Z`,
      metadata: { generation: 2, labels: { 'app.kubernetes.io/name': 'web', 'app.kubernetes.io/version': i % 3 === 0 ? '1.4.2' : '1.5.0' } },
      spec: { replicas: 3 },
      status: {
        observedGeneration: 2,
        replicas: 3,
        readyReplicas: ready,
        availableReplicas: ready,
        updatedReplicas: 3,
        restartCount: (i * 7) % 11,
        conditions: [{ type: 'Available', status: ready === 3 ? 'True' : 'False', reason: ready === 3 ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable' }],
      },
    };
  });
  return [...fromFixture, ...synthetic];
}

/** Every hook of a reducer over the same reports: partitions, merge, finish, and retraction if any. */
async function exercise(handle: ReducerHandle, all: readonly StatusReport[], options: Json): Promise<Json> {
  const call = callAt('region-eu', options);
  const parts = [all.slice(0, 17), all.slice(17, 50), all.slice(50), []];
  const accs = await handle.reduce(parts, call);
  const merged = await handle.merge([accs, [accs[3]!], []], call);
  const finished = await handle.finish([...merged, ...accs], call);
  const updated = handle.info.retractable ? await handle.update([{ acc: accs[1]!, remove: all.slice(17, 20), add: all.slice(0, 2) }], call) : null;
  return { accs, merged, finished, updated };
}

/** Decisions over rollouts at several stages; built-in policies read the clock from `input.now` only. */
async function decideAll(handle: PolicyHandle, options: Json): Promise<Json> {
  const states: ChildState[][] = [
    ['pending', 'pending', 'pending', 'pending', 'pending'],
    ['succeeded', 'progressing', 'pending', 'pending', 'pending'],
    ['succeeded', 'succeeded', 'failed', 'progressing', 'pending'],
    ['succeeded', 'succeeded', 'succeeded', 'succeeded', 'skipped'],
  ];
  const inputs = states.map(
    (row, stage): PolicyInput => ({
      rollout: { id: 'rollout-1', workload: 'web', version: '2.0.0', startedAt: '2026-11-24T09:00:00Z' },
      level: 'region-eu',
      now: `2026-11-24T1${stage}:00:00Z`,
      memo: null,
      children: row.map((state, i) => ({
        id: `edge-${i}`,
        labels: { zone: i % 2 === 0 ? 'a' : 'b' },
        group: { name: i < 2 ? 'canary' : 'rest', index: i < 2 ? 0 : 1 },
        state,
        ...(state === 'pending' ? {} : { since: '2026-11-24T09:30:00Z' }),
        summary: null,
      })),
    }),
  );
  return (await handle.decide(inputs, options, { id: 'region-eu', kind: 'region' })) as unknown as Json;
}

/** Each built-in customizer renders a Deployment for destinations with and without the labels it reads. */
async function customizeAll(handle: CustomizerHandle, options: Json): Promise<Json> {
  const object = JSON.parse(readFileSync(new URL('../test/fixtures/customize/deployment.json', import.meta.url), 'utf8')) as Json;
  const site = { id: 'site-1', kind: 'site' as const, labels: {} };
  const labelSets: Record<string, string>[] = [{ region: 'eu', tier: 'gold' }, { region: 'us', tier: 'standard', ring: 'canary' }];
  const items = labelSets.map((labels, i) => ({ object, target: { id: `edge-${i}`, kind: 'destination' as const, labels }, chain: [site] }));
  const call = { options, pattern: 'p', level: { id: 'site-1', kind: 'site' as const }, now: '2026-11-24T10:00:00Z' };
  return { rendered: await handle.customize(items, call), explained: (await handle.explain(items, call)) as unknown as Json };
}

describe('built-in plugins in the sandbox', () => {
  it('finds the built-in plugins to run', () => {
    expect(builtins.length).toBeGreaterThan(0);
  });

  // Far above what any built-in does here, so a busy machine cannot turn a test into a timeout.
  const quickjs = new QuickJsRunner({ limits: { timeMs: 60_000 } });
  const inline = new InlineRunner();
  const all = reports();
  afterAll(() => quickjs.dispose());

  it.each(builtins)('%s gives the same JSON through QuickJsRunner as through InlineRunner', async (name) => {
    const source: PluginSource = { spec: `builtin:${name}`, entry: new URL(`${name}/index.ts`, pluginsDir).pathname };
    const kind = await inline.loadReducer(source).then(
      () => 'reducer',
      (error: Error) => /found a (policy|customizer)/.exec(error.message)?.[1] ?? 'reducer',
    );
    const options = optionsFor[name] ?? {};
    const run = async (runner: PluginRunner) =>
      JSON.stringify(
        kind === 'policy'
          ? await decideAll(await runner.loadPolicy(source), options)
          : kind === 'customizer'
            ? await customizeAll(await runner.loadCustomizer!(source), options)
            : await exercise(await runner.loadReducer(source), all, options),
      );
    const [sandboxed, trusted] = await Promise.all([run(quickjs), run(inline)]);
    expect(sandboxed).toBe(trusted);
  });

  it.each(['aggregate', 'workload-replicas'])('%s declares through QuickJsRunner the options it retracts for, as its module does', async (name) => {
    const entry = new URL(`${name}/index.ts`, pluginsDir);
    const { default: plugin } = (await import(entry.href)) as { default: { retractsWhen?: unknown } };
    const handle = await quickjs.loadReducer({ spec: `builtin:${name}`, entry: entry.pathname });
    expect(handle.info.retractable).toBe(true);
    expect(handle.info.retractsWhen).toEqual(plugin.retractsWhen);
    expect(plugin.retractsWhen).toBeDefined();
  });
});

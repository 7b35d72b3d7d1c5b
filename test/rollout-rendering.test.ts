import { afterAll, describe, expect, it } from 'vitest';
import { createHierarchy } from '../app/container.js';
import { FilePluginCatalog } from '../core/catalog/index.js';
import { ManualClock, toIso } from '../core/clock/index.js';
import type { CustomizeTarget, Json } from '../core/contract.js';
import { loadPattern, parsePattern, renderChain, renderingHash, versioned, type Pattern } from '../core/customize/index.js';
import { ErrorCodes } from '../core/errors.js';
import type { TopologyInput } from '../core/model/topology.js';
import type { EdgeDirective } from '../core/rollout/edge-agent.js';
import { DirectiveMessageSchema, type RolloutSpecInput } from '../core/rollout/index.js';
import { MemoryNodeStore, type NodeStore } from '../core/storage/index.js';
import { InlineRunner } from '../sandbox/inline.js';

const topology: TopologyInput = {
  levels: [
    { id: 'center', kind: 'center' },
    { id: 'eu', kind: 'region', parent: 'center', labels: { region: 'eu', tier: 'canary' } },
    { id: 'us', kind: 'region', parent: 'center', labels: { region: 'us' } },
    { id: 'eu-1', kind: 'site', parent: 'eu', labels: { size: 'small' } },
    { id: 'us-1', kind: 'site', parent: 'us', labels: { size: 'large' } },
  ],
  destinations: [
    { id: 'edge-a', parent: 'eu-1', labels: { region: 'eu', pin: 'v1' } },
    { id: 'edge-b', parent: 'eu-1', labels: { region: 'eu' } },
    { id: 'edge-c', parent: 'us-1', labels: { region: 'us' } },
  ],
  workloads: [{ id: 'web', ref: { group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'shop', name: 'web' } }],
};
const object: Json = { metadata: { name: 'web' }, spec: { replicas: 1, containers: [{ name: 'web', image: 'web:0' }], region: '{{ .labels.region }}' } };
/** A step at every level kind; edge-a is pinned to 1.0.0, so its rendering fails at 2.0.0. */
const pattern: Pattern = {
  name: 'web',
  customizers: [
    { plugin: 'builtin:image-tag', level: 'center', options: {} },
    { name: 'ring', plugin: 'builtin:overrides', level: 'region', options: { rules: [{ selector: { matchLabels: { tier: 'canary' } }, merge: { metadata: { annotations: { ring: 'canary' } } } }] } },
    { name: 'size', plugin: 'builtin:overrides', level: 'site', options: { rules: [{ selector: { matchLabels: { size: 'large' } }, merge: { spec: { replicas: 5 } } }] } },
    { plugin: 'builtin:labels-template', level: 'destination', options: {} },
    { name: 'pin', plugin: 'builtin:overrides', level: 'destination', options: { rules: [{ selector: { matchLabels: { pin: 'v1' } }, patch: [{ op: 'test', path: '/metadata/labels/app.kubernetes.io~1version', value: '1.0.0' }] }] } },
  ],
};
const rollout = (version: string): RolloutSpecInput => ({ id: `web-${version}`, workload: 'web', version, previousVersion: '0', customize: { pattern, object } });
const runner = new InlineRunner();
afterAll(() => runner.dispose());

function chainOf(destination: string): CustomizeTarget[] {
  const d = topology.destinations.find((each) => each.id === destination)!;
  const chain: CustomizeTarget[] = [{ id: d.id, kind: 'destination', labels: d.labels ?? {} }];
  for (let at: string | undefined = d.parent; at !== undefined; ) {
    const level = topology.levels.find((each) => each.id === at)!;
    chain.unshift({ id: level.id, kind: level.kind, labels: level.labels ?? {} });
    at = level.parent;
  }
  return chain;
}

async function rolledOut(versions: string[]) {
  const clock = new ManualClock();
  const handed = new Map<string, EdgeDirective>();
  const hierarchy = await createHierarchy({ topology, bindings: [] }, { clock, runner, edgeAgent: { apply: (directive) => handed.set(directive.destination, directive) } });
  for (const version of versions) {
    await hierarchy.startRollout(rollout(version));
    for (let i = 0; i < 4; i++) await hierarchy.tick();
  }
  return { hierarchy, handed, clock };
}

describe('a rollout rendering its object level by level down the hierarchy', () => {
  it('hands every destination what renderChain computes at the center, each level rendering its own part', async () => {
    const { hierarchy, handed, clock } = await rolledOut(['1.0.0']);
    const loaded = await loadPattern(parsePattern(pattern), runner, new FilePluginCatalog());
    for (const destination of ['edge-a', 'edge-b', 'edge-c']) {
      const expected = await renderChain(loaded, versioned(object, '1.0.0'), chainOf(destination), { level: { id: 'center', kind: 'center' }, now: toIso(clock.now()) });
      expect(expected.ok).toBe(true);
      const directive = handed.get(destination)!;
      expect(directive.object).toEqual((expected as { object: Json }).object);
      expect(directive.renderedHash).toBe(renderingHash(directive.object!));
    }
    expect(handed.get('edge-c')!.object).toMatchObject({ spec: { replicas: 5, region: 'us' } });
    expect(hierarchy.rolloutStatus('web-1.0.0').rendering).toEqual({ rendered: 3, degraded: 0, failures: [] });
    await hierarchy.dispose();
  });

  it('keeps the last good rendering of a destination that fails, reports it degraded with pattern, customizer, target and path, and moves the others on', async () => {
    const { hierarchy, handed } = await rolledOut(['1.0.0', '2.0.0']);
    const status = hierarchy.rolloutStatus('web-2.0.0');
    expect(status.rendering).toMatchObject({ rendered: 3, degraded: 1 });
    expect(status.rendering!.failures).toEqual([
      expect.objectContaining({ code: ErrorCodes.Customize, pattern: 'web', customizer: 'pin', target: 'edge-a', path: 'metadata.labels["app.kubernetes.io/version"]' }),
    ]);
    expect(handed.get('edge-a')!.object).toMatchObject({ spec: { containers: [{ image: 'web:1.0.0' }] } });
    for (const destination of ['edge-b', 'edge-c']) expect(handed.get(destination)!.object).toMatchObject({ spec: { containers: [{ image: 'web:2.0.0' }] } });
    await hierarchy.dispose();
  });

  it('hands a rolled-back edge the previous version without the rendering of the new one', async () => {
    const { hierarchy, handed } = await rolledOut(['1.0.0']);
    expect(handed.get('edge-c')!.object).toBeDefined();
    hierarchy.commandRollout('web-1.0.0', 'rollback');
    for (let i = 0; i < 4; i++) await hierarchy.tick();
    for (const destination of ['edge-a', 'edge-b', 'edge-c']) {
      const directive = handed.get(destination)!;
      expect(directive.version).toBe('0');
      expect(directive.object).toBeUndefined();
      expect(directive.renderedHash).toBeUndefined();
    }
    await hierarchy.dispose();
  });

  it('stages the rendering down to levels not started yet, and a restarted site hands its edges what it stored, with no customizer to run', async () => {
    const stores = new Map<string, NodeStore>();
    const store = (level: { id: string }) => stores.get(level.id) ?? stores.set(level.id, new MemoryNodeStore()).get(level.id)!;
    const handed = new Map<string, EdgeDirective>();
    const edgeAgent = { apply: (directive: EdgeDirective) => handed.set(directive.destination, directive) };
    const clock = new ManualClock();
    const first = await createHierarchy({ topology, bindings: [] }, { clock, runner, edgeAgent, store });
    await first.startRollout(rollout('1.0.0'));
    first.commandRollout('web-1.0.0', 'pause');
    for (let i = 0; i < 3; i++) await first.tick();
    expect(handed.size).toBe(0);
    expect(first.rolloutStatus('web-1.0.0').rendering).toEqual({ rendered: 3, degraded: 0, failures: [] });
    await first.dispose();

    // A runner without customizers: whatever reaches the edges now comes from the stores.
    const bare = new InlineRunner();
    Object.defineProperty(bare, 'loadCustomizer', { value: undefined });
    const second = await createHierarchy({ topology, bindings: [] }, { clock, runner: bare, edgeAgent, store });
    second.commandRollout('web-1.0.0', 'resume');
    for (let i = 0; i < 4; i++) await second.tick();
    const loaded = await loadPattern(parsePattern(pattern), runner, new FilePluginCatalog());
    for (const destination of ['edge-a', 'edge-b', 'edge-c']) {
      const expected = await renderChain(loaded, versioned(object, '1.0.0'), chainOf(destination), { level: { id: 'center', kind: 'center' }, now: toIso(clock.now()) });
      expect(handed.get(destination)?.object).toEqual((expected as { object: Json }).object);
    }
    await second.dispose();
    bare.dispose();
  });

  it('refuses a rollout whose pattern is out of order or names a missing customizer, naming the field, before anything starts', async () => {
    const hierarchy = await createHierarchy({ topology, bindings: [] }, { clock: new ManualClock(), runner });
    const steps = pattern.customizers;
    await expect(hierarchy.startRollout({ ...rollout('1.0.0'), customize: { pattern: { name: 'web', customizers: [steps[3]!, steps[0]!] }, object } })).rejects.toMatchObject({
      code: ErrorCodes.InvalidRollout,
      issues: [expect.objectContaining({ path: 'customize.pattern.customizers[1].level' })],
    });
    await expect(hierarchy.startRollout({ ...rollout('1.0.0'), customize: { pattern: { name: 'web', customizers: [{ plugin: 'builtin:no-such', level: 'site', options: {} }] }, object } })).rejects.toMatchObject({
      message: expect.stringContaining('customizers[0]'),
    });
    expect(hierarchy.node('center').rollouts.ids()).toEqual([]);
    await hierarchy.dispose();
  });

  it('rejects a directive whose rendering hash does not match its object, and takes one without a rendering as before', () => {
    const base = { from: 'center', seq: 1, rollout: rollout('1.0.0'), startedAt: '2026-11-30T10:00:00Z', command: 'run', grant: { maxStarted: null, until: null } };
    const parse = (extra: object) => DirectiveMessageSchema.safeParse(JSON.parse(JSON.stringify({ ...base, ...extra })));
    expect(parse({}).success).toBe(true);
    expect(parse({ rendered: { object, hash: renderingHash(object) } }).success).toBe(true);
    const forged = parse({ rendered: { object, hash: '0000000000000000' } });
    expect(forged.success).toBe(false);
    expect(forged.error!.issues[0]!.path).toEqual(['rendered', 'hash']);
    expect(parse({ rendered: { error: { code: 'x', message: 'm', pattern: 'p', customizer: 'c', target: '../etc', path: '' } } }).success).toBe(false);
  });
});

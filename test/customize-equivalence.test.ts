/**
 * The mirror of flat ≡ hierarchy for customizers: for random patterns over every built-in
 * customizer, random label sets and random hierarchies, rendering level by level (each level
 * applies its kind's steps to what its parent passed down) equals rendering each destination once
 * at the center with its whole chain, failures included.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { FilePluginCatalog } from '../core/catalog/index.js';
import type { CustomizeTarget, Json, JsonObject } from '../core/contract.js';
import { renderChain, renderDown, targetKinds, type LoadedPattern, type RenderNode, type RenderOutcome } from '../core/customize/index.js';
import type { CustomizerHandle } from '../core/ports/plugin-runner.js';
import { InlineRunner } from '../sandbox/inline.js';

const seed = 20261130;
const now = '2026-11-30T10:00:00.000Z';
const object = JSON.parse(readFileSync(new URL('fixtures/customize/deployment.json', import.meta.url), 'utf8')) as Json;
const runner = new InlineRunner();
afterAll(() => runner.dispose());
const catalog = new FilePluginCatalog();
const builtins = ['labels-template', 'overrides', 'image-tag'] as const;
const handles = new Map<string, CustomizerHandle>();
for (const name of builtins) handles.set(name, await runner.loadCustomizer(catalog.resolve(`builtin:${name}`)));

const labelsArb = fc.record(
  { region: fc.constantFrom('eu', 'us'), tier: fc.constantFrom('gold', 'standard'), ring: fc.constantFrom('canary', 'main') },
  { requiredKeys: [] },
);
const selectorArb = fc.oneof(
  fc.constant({}),
  labelsArb.map((matchLabels) => ({ matchLabels })),
  fc.record({ key: fc.constantFrom('region', 'ring'), operator: fc.constantFrom('In', 'NotIn'), values: fc.subarray(['eu', 'us', 'canary'], { minLength: 1 }) }).map((r) => ({ matchExpressions: [r] })),
  fc.record({ key: fc.constantFrom('tier', 'zone'), operator: fc.constantFrom('Exists', 'DoesNotExist') }).map((r) => ({ matchExpressions: [r] })),
);
const ruleArb = fc.record(
  {
    selector: selectorArb,
    patch: fc.subarray([
      { op: 'replace', path: '/spec/replicas', value: 5 },
      { op: 'add', path: '/metadata/annotations', value: { touched: 'yes' } },
      { op: 'add', path: '/spec/template/spec/containers/-', value: { name: 'extra', image: 'busybox:1' } },
      { op: 'remove', path: '/spec/paused' },
    ]),
    merge: fc.constantFrom<Json>({ spec: { replicas: 9 } }, { metadata: { labels: { region: null } } }, { spec: { template: { metadata: { labels: { tier: '{{ .labels.tier }}' } } } } }),
  },
  { requiredKeys: ['selector'] },
);
const stepArb = fc.oneof(
  fc.record({ plugin: fc.constant('labels-template'), options: fc.constantFrom<JsonObject>({}, { defaults: { tier: 'standard', region: 'none' } }) }),
  fc.record({ plugin: fc.constant('overrides'), options: fc.record({ match: fc.constantFrom('first', 'last'), rules: fc.array(ruleArb, { maxLength: 3 }) }) as fc.Arbitrary<JsonObject> }),
  fc.record({ plugin: fc.constant('image-tag'), options: fc.constantFrom<JsonObject>({}, { version: '2.0.0' }, { containers: ['sidecar'] }) }),
);
const patternArb = fc.array(fc.record({ step: stepArb, level: fc.constantFrom(...targetKinds) }), { minLength: 1, maxLength: 6 }).map((steps): LoadedPattern => {
  const ordered = [...steps].sort((a, b) => targetKinds.indexOf(a.level) - targetKinds.indexOf(b.level));
  return { name: 'random', steps: ordered.map(({ step, level }, i) => ({ name: `${i}-${step.plugin}`, level, handle: handles.get(step.plugin)!, options: step.options as Json })) };
});

/** center → regions → sites → destinations, every node with random labels. */
const treeArb: fc.Arbitrary<RenderNode> = fc
  .array(fc.array(fc.array(labelsArb, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 2 }), { minLength: 1, maxLength: 3 })
  .chain((shape) => {
    const count = 1 + shape.length + shape.reduce((n, sites) => n + sites.length, 0);
    return fc.array(labelsArb, { minLength: count, maxLength: count }).map((levelLabels) => {
      let next = 0;
      const node = (id: string, kind: CustomizeTarget['kind'], children: RenderNode[] = [], labels: Record<string, string> = levelLabels[next++]!): RenderNode => ({ target: { id, kind, labels }, children });
      return node(
        'center',
        'center',
        shape.map((sites, r) => node(`region-${r}`, 'region', sites.map((destinations, s) => node(`site-${r}-${s}`, 'site', destinations.map((labels, d) => node(`edge-${r}-${s}-${d}`, 'destination', [], labels)))))),
      );
    });
  });

/** Every destination with its chain, center first. */
function destinations(node: RenderNode, chain: CustomizeTarget[] = []): { target: CustomizeTarget; chain: CustomizeTarget[] }[] {
  if (node.target.kind === 'destination') return [{ target: node.target, chain }];
  return (node.children ?? []).flatMap((child) => destinations(child, [...chain, node.target]));
}

const seen = (outcome: RenderOutcome | undefined) => (outcome === undefined ? 'missing' : outcome.ok ? outcome.object : { code: outcome.error.code, ...outcome.error.place });

describe('rendering a pattern', () => {
  it('level by level equals rendering at the center with the whole chain, for random patterns, labels and hierarchies of every built-in', async () => {
    let rendered = 0;
    let failed = 0;
    const used = new Set<string>();
    await fc.assert(
      fc.asyncProperty(patternArb, treeArb, async (pattern, tree) => {
        for (const step of pattern.steps) used.add(step.handle.info.name);
        const down = await renderDown(pattern, object, tree, now);
        for (const { target, chain } of destinations(tree)) {
          const central = await renderChain(pattern, object, [...chain, target], { level: { id: 'center', kind: 'center' }, now });
          expect(seen(down.get(target.id))).toEqual(seen(central));
          if (central.ok) rendered++;
          else failed++;
        }
      }),
      { seed, numRuns: 60 },
    );
    // Both outcomes must have been compared, or the property says little.
    expect(rendered).toBeGreaterThan(50);
    expect(failed).toBeGreaterThan(5);
    expect([...used].sort()).toEqual([...builtins].sort());
  });
});

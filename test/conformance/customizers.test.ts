/**
 * One conformance suite for every built-in customizer: the customizer laws of `edgesum/plugin`,
 * checked by `checkCustomizerLaws` from `core/testing` on hierarchies and label sets fast-check
 * generates.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { expect } from 'vitest';
import type { CustomizeTarget, Json, JsonObject } from '../../core/contract.js';
import { checkCustomizerLaws } from '../../core/testing/index.js';
import { describeConformance, loadBuiltins } from './builtins.js';

const seed = 20261130;
const { customizers } = await loadBuiltins();
const object = JSON.parse(readFileSync(new URL('../fixtures/customize/deployment.json', import.meta.url), 'utf8')) as Json;

/** Options per built-in customizer (valid per each README), one run of the suite per entry. */
const customizerOptions: Readonly<Record<string, readonly JsonObject[]>> = {
  'labels-template': [{}, { defaults: { tier: 'standard' } }],
  overrides: [
    { rules: [{ selector: {}, merge: { spec: { replicas: 3 } } }] },
    {
      match: 'first',
      rules: [
        { name: 'canary', selector: { matchExpressions: [{ key: 'ring', operator: 'In', values: ['canary'] }] }, patch: [{ op: 'replace', path: '/spec/replicas', value: 1 }] },
        { name: 'eu', selector: { matchLabels: { region: 'eu' } }, patch: [{ op: 'add', path: '/metadata/annotations', value: { gdpr: 'true' } }], merge: { spec: { paused: null } } },
      ],
    },
    { match: 'last', rules: [{ selector: { matchExpressions: [{ key: 'tier', operator: 'Exists' }] }, patch: [{ op: 'copy', from: '/metadata/name', path: '/metadata/labels/copy' }, { op: 'replace', path: '/spec/template/spec/containers/1/name', value: 'proxy' }] }] },
  ],
  'image-tag': [{}, { version: '2.0.0', containers: ['web'] }],
};

export const labelsArb: fc.Arbitrary<Record<string, string>> = fc.record(
  { region: fc.constantFrom('eu', 'us', 'ap'), tier: fc.constantFrom('gold', 'standard'), ring: fc.constantFrom('canary', 'main') },
  { requiredKeys: ['region', 'tier'] },
);
const target = (kind: CustomizeTarget['kind'], id: string) => labelsArb.map((labels): CustomizeTarget => ({ id, kind, labels }));
const chainArb = fc.tuple(target('center', 'center'), target('region', 'region-1'), target('site', 'site-1'));
const destinationsArb = fc.integer({ min: 1, max: 4 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => target('destination', `edge-${i}`))));

describeConformance('customizer', customizers, customizerOptions, {
  known: ['image-tag', 'labels-template', 'overrides'],
  behaviour: 'keeps the customizer laws on generated hierarchies',
  check: (plugin, options) => {
    fc.assert(
      fc.property(chainArb, destinationsArb, (chain, destinations) => {
        expect(checkCustomizerLaws(plugin, { options, object, chain, destinations })).toEqual([]);
      }),
      { seed, numRuns: 25 },
    );
  },
});

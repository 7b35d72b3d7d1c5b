import { describe, expect, it } from 'vitest';
import type { CustomizeTarget, Json } from '../../core/contract.js';
import { deepFreeze } from '../../core/testing/index.js';
import plugin, { type LabelsTemplateOptions } from './index.js';

const edge: CustomizeTarget = deepFreeze({ id: 'edge-7', kind: 'destination', labels: { region: 'eu', 'topology.kubernetes.io/zone': 'eu-1a' } });
const render = (object: Json, options: LabelsTemplateOptions = {}, target = edge) => plugin.customize(deepFreeze(object), target, { options, chain: [], now: '2026-11-30T10:00:00Z', pattern: 'p' });

describe('labels-template', () => {
  it('fills label and id placeholders in every string, leaving keys and other values alone', () => {
    expect(render({ a: 'r-{{ .labels.region }}', b: ['{{.id}}', 3, null], '{{ .id }}': { z: '{{ index .labels "topology.kubernetes.io/zone" }}' } })).toEqual({
      a: 'r-eu',
      b: ['edge-7', 3, null],
      '{{ .id }}': { z: 'eu-1a' },
    });
  });

  it('uses a default for a label the target lacks', () => {
    expect(render({ t: '{{ .labels.tier }}' }, { defaults: { tier: 'standard' } })).toEqual({ t: 'standard' });
  });

  it('fails naming the path and the label when a label is missing and has no default', () => {
    expect(() => render({ spec: { env: [{ value: '{{ .labels.tier }}' }] } })).toThrow('at spec.env[0].value: destination edge-7 has no label "tier" for {{ .labels.tier }}');
  });

  it('refuses any other placeholder instead of evaluating it', () => {
    expect(() => render({ x: '{{ .labels.region | upper }}' })).toThrow(/^at x: unsupported placeholder/);
    expect(() => render({ x: '{{ constructor.constructor("return process")() }}' })).toThrow(/unsupported placeholder/);
  });

  it('refuses a label value that would be filled again, so it stays idempotent', () => {
    expect(() => render({ x: '{{ .labels.evil }}' }, {}, { id: 'e', kind: 'destination', labels: { evil: '{{ .id }}' } })).toThrow(/contains "\{\{"/);
  });

  it('explains each placeholder by its path', () => {
    expect(plugin.explain!({ a: ['{{ .id }}'] }, edge, { options: {}, chain: [], now: '', pattern: 'p' })).toEqual([{ rule: '{{ .id }}', path: 'a[0]' }]);
  });
});

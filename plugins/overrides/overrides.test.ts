import { describe, expect, it } from 'vitest';
import type { CustomizeTarget, Json } from '../../core/contract.js';
import { deepFreeze } from '../../core/testing/index.js';
import plugin, { type OverridesOptions } from './index.js';

const target = (labels: Record<string, string>): CustomizeTarget => deepFreeze({ id: 'edge-1', kind: 'destination', labels });
const object: Json = deepFreeze({ metadata: { name: 'web' }, spec: { replicas: 2, list: ['a', 'b'] } });
const ctx = (options: OverridesOptions) => ({ options, chain: [], now: '2026-11-30T10:00:00Z', pattern: 'p' });
const render = (options: OverridesOptions, labels: Record<string, string> = { region: 'eu', ring: 'canary' }) => plugin.customize(object, target(labels), ctx(options));

const eu = { name: 'eu', selector: { matchLabels: { region: 'eu' } }, merge: { spec: { replicas: 3 } } };
const canary = { name: 'canary', selector: { matchExpressions: [{ key: 'ring', operator: 'In' as const, values: ['canary'] }] }, patch: [{ op: 'replace' as const, path: '/spec/replicas', value: 1 }] };

describe('overrides', () => {
  it('applies every matching rule in order with match "last", so the later rule wins', () => {
    expect(render({ rules: [eu, canary] })).toMatchObject({ spec: { replicas: 1 } });
    expect(render({ match: 'last', rules: [canary, eu] })).toMatchObject({ spec: { replicas: 3 } });
  });

  it('applies only the first matching rule with match "first"', () => {
    expect(render({ match: 'first', rules: [eu, canary] })).toMatchObject({ spec: { replicas: 3 } });
    expect(render({ match: 'first', rules: [canary, eu] })).toMatchObject({ spec: { replicas: 1 } });
  });

  it('leaves targets no selector matches as they are', () => {
    expect(render({ rules: [eu, canary] }, { region: 'us' })).toEqual(object);
  });

  it('runs the RFC 6902 operations and RFC 7386 merge patch, deleting on null', () => {
    const rule = {
      selector: {},
      patch: [
        { op: 'add' as const, path: '/spec/list/-', value: 'c' },
        { op: 'move' as const, from: '/spec/list/0', path: '/spec/first' },
        { op: 'copy' as const, from: '/metadata/name', path: '/metadata/labels' },
        { op: 'test' as const, path: '/spec/first', value: 'a' },
        { op: 'remove' as const, path: '/spec/replicas' },
      ],
      merge: { metadata: { name: null, annotations: { 'a/b': 'x' } } },
    };
    expect(render({ rules: [rule] })).toEqual({ metadata: { labels: 'web', annotations: { 'a/b': 'x' } }, spec: { list: ['b', 'c'], first: 'a' } });
  });

  it('fails naming the path and the rule for a patch on a path that does not exist', () => {
    const bad = { name: 'typo', selector: {}, patch: [{ op: 'replace' as const, path: '/spec/replica', value: 1 }] };
    expect(() => render({ rules: [bad] })).toThrow('at spec.replica: no such path (rules[0] typo)');
    expect(() => render({ rules: [{ selector: {}, patch: [{ op: 'remove' as const, path: '/spec/list/5' }] }] })).toThrow('at spec.list[5]: no such array index "5" (rules[0])');
    expect(() => render({ rules: [{ selector: {}, patch: [{ op: 'test' as const, path: '/spec/replicas', value: 9 }] }] })).toThrow(/^at spec.replicas: test failed/);
  });

  it('fails naming the rule for a selector whose requirement is invalid', () => {
    const invalid = { selector: { matchExpressions: [{ key: 'ring', operator: 'In' as const, values: [] }] }, merge: {} };
    expect(() => render({ rules: [invalid] })).toThrow('rules[0].selector.matchExpressions[0]: In needs values');
  });

  it('explains which rule changed which path', () => {
    expect(plugin.explain!(object, target({ region: 'eu', ring: 'canary' }), ctx({ rules: [eu, canary] }))).toEqual([
      { rule: 'rules[0] eu', path: 'spec.replicas' },
      { rule: 'rules[1] canary', path: 'spec.replicas' },
    ]);
  });
});

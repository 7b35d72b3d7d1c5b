import { describe, expect, it } from 'vitest';
import type { ReducerContext, StatusReport } from '../../core/contract.js';
import { checkReducerLaws, deepFreeze } from '../../core/testing/index.js';
import plugin, { type DriftOptions } from './index.js';

const ctx = (options: DriftOptions = {}): ReducerContext<DriftOptions> => ({ options, binding: 'drift', level: { id: 'site-1', kind: 'site' }, now: '2026-11-30T10:00:00Z' });
const report = (destination: string, annotations: Record<string, string>): StatusReport =>
  deepFreeze({ destination, ref: { group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'shop', name: 'web' }, seq: 1, observedAt: '2026-11-30T10:00:00Z', metadata: { annotations }, status: null });
const hashes = (appliedHash: string, renderedHash: string) => ({ 'edgesum.io/applied-hash': appliedHash, 'edgesum.io/rendered-hash': renderedHash });

const reports = [
  report('edge-3', hashes('a', 'a')),
  report('edge-2', hashes('b', 'a')),
  report('edge-1', hashes('a', 'c')),
  report('edge-4', { 'edgesum.io/applied-hash': 'a' }),
  report('edge-5', {}),
];

describe('drift', () => {
  it('counts checked and drifted destinations, with the smallest drifted ids as examples', () => {
    const acc = reports.reduce((a, r) => plugin.add(a, r, ctx()), plugin.init(ctx()));
    expect(plugin.finish(acc, ctx())).toEqual({ checked: 3, drifted: 2, examples: ['edge-1', 'edge-2'] });
    const one = reports.reduce((a, r) => plugin.add(a, r, ctx({ examples: 1 })), plugin.init(ctx()));
    expect(one.examples).toEqual(['edge-1']);
  });

  it('keeps the reducer laws', () => {
    expect(checkReducerLaws(plugin, { options: { examples: 1 }, reports })).toEqual([]);
  });
});

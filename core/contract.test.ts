import { describe, expect, it } from 'vitest';
import { compileProjection, projectReport, readPath, resolveReads, type Projection, type StatusReport } from './contract.js';

describe('readPath', () => {
  it('reads members and indexes along a path', () => {
    expect(readPath({ a: [{ b: 1 }] }, 'a[0].b')).toBe(1);
    expect(readPath({ metadata: { labels: { 'app.kubernetes.io/name': 'web' } } }, 'metadata.labels["app.kubernetes.io/name"]')).toBe('web');
  });

  it('is undefined for a path that leaves the value', () => {
    expect(readPath({ a: 1 }, 'a.b')).toBeUndefined();
    expect(readPath({ a: [1] }, 'a[3]')).toBeUndefined();
    expect(readPath({ a: [7] }, 'a.0')).toBe(7);
    expect(readPath(null, 'a')).toBeUndefined();
  });

  it('never reads inherited members, so a report cannot reach its prototype', () => {
    expect(readPath({}, 'constructor')).toBeUndefined();
    expect(readPath({}, '__proto__')).toBeUndefined();
    expect(readPath({ a: {} }, 'a.toString')).toBeUndefined();
    expect(readPath({ a: [] }, 'a.length')).toBeUndefined();
    expect(readPath({ a: 'text' }, 'a.length')).toBeUndefined();
  });
});

describe('projectReport', () => {
  const report = JSON.parse(
    '{"destination":"edge-1","ref":{"group":"apps","version":"v1","kind":"Deployment","namespace":"shop","name":"web"},"seq":4,"observedAt":"2026-01-01T00:00:00Z",' +
      '"metadata":{"generation":2,"labels":{"app.kubernetes.io/version":"1.2","__proto__":"x"},"annotations":{"big":"…"}},"spec":{"replicas":3},' +
      '"status":{"conditions":[{"type":"Ready","status":"True"}],"readyReplicas":3}}',
  ) as StatusReport;
  const project = (paths: string[]): unknown => projectReport(report, compileProjection(paths)!);
  const cases: [string, string[], string[]][] = [
    ['keeps the identity fields and no other member for no paths', [], ['metadata.generation', 'status.readyReplicas', 'spec']],
    ['keeps one label and drops its siblings', ['metadata.labels["app.kubernetes.io/version"]'], ['metadata.generation', 'metadata.annotations', 'status.readyReplicas']],
    ['keeps an array whole from its first index', ['status.conditions[0].type'], ['metadata', 'status.readyReplicas']],
    ['keeps a whole member when one path names it and another a member inside it', ['metadata.labels.x', 'metadata'], ['status.readyReplicas']],
    ['keeps a `__proto__` key as a member, not a prototype', ['metadata.labels["__proto__"]'], ['metadata.generation']],
  ];
  it.each(cases)('%s, reading every kept path as the whole report does', (_name, paths, dropped) => {
    const projected = project(paths);
    for (const path of [...paths, 'destination', 'ref.name', 'seq', 'observedAt']) expect(readPath(projected, path)).toEqual(readPath(report, path));
    for (const path of dropped) expect(readPath(projected, path)).toBeUndefined();
    expect(Object.getPrototypeOf(readPath(projected, 'metadata.labels') ?? {})).toBe(Object.prototype);
  });

  it('sends status as null when it is not read, as for an object without one', () => {
    expect((project(['spec']) as StatusReport).status).toBeNull();
  });

  it('never copies an inherited member', () => {
    expect(readPath(project(['spec.toString', 'constructor']), 'spec')).toEqual({});
  });

  it('resolves an option to the path it holds, its default when absent, and the whole report for anything else', () => {
    const reads = ['status', { option: 'field', default: 'metadata.generation' }];
    expect(resolveReads(reads, { field: 'spec.replicas' })).toEqual(['status', 'spec.replicas']);
    expect(resolveReads(reads, {})).toEqual(['status', 'metadata.generation']);
    expect(resolveReads(reads, { field: 3 })).toBeUndefined();
    expect(resolveReads(reads, { field: '' })).toBeUndefined();
    expect(resolveReads([{ option: 'field' }], {})).toEqual([]);
    expect(resolveReads(undefined, {})).toBeUndefined();
    const wild = [{ option: 'filter.*.path' }, { option: 'fields.*.path', default: 'status' }];
    expect(resolveReads(wild, { filter: [{ path: 'ref.kind' }, { path: 'spec.x' }], fields: { n: { op: 'COUNT' }, r: { path: 'status.ready' } } })).toEqual(['ref.kind', 'spec.x', 'status.ready']);
    expect(resolveReads(wild, { fields: { n: { op: 'COUNT' } } })).toEqual(['status']);
    expect(resolveReads(wild, { filter: [{ path: 7 }] })).toBeUndefined();
    expect(resolveReads([{ option: 'a.b' }], { 'a.b': 'spec', a: { b: 'status' } })).toEqual(['spec']);
  });

  it('sends the whole report for a path it cannot parse', () => {
    const unparsable: (Projection | undefined)[] = [compileProjection(['a[0']), compileProjection(['[0]']), compileProjection([''])];
    expect(unparsable).toEqual([undefined, undefined, undefined]);
  });
});

import { describe, expect, it } from 'vitest';
import { readPath } from './contract.js';

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

import { describe, expect, it } from 'vitest';
import { checkJson, copyJson } from './json.js';

describe('copyJson', () => {
  it('copies own __proto__ keys as data and -0 as 0, as JSON.parse would build them', () => {
    const copied = copyJson(JSON.parse('{"__proto__":[-0]}'));
    expect(copied.ok && JSON.stringify(copied.value)).toBe('{"__proto__":[0]}');
    expect(copied.ok && Object.getPrototypeOf(copied.value)).toBe(Object.prototype);
  });

  it('stops walking a value as soon as it is certainly larger than allowed', () => {
    const huge = Array.from({ length: 1_000_000 }, (_, i) => i);
    expect(copyJson(huge, { maxSize: 100 })).toMatchObject({ ok: false, fault: { tooLarge: true, path: [] } });
  });

  it('names sparse arrays, accessors and foreign objects by path without reading them', () => {
    let reads = 0;
    const getter = Object.defineProperty({}, 'x', { enumerable: true, get: () => ++reads });
    const sparse = [1, 2, 3];
    delete sparse[1];
    expect(checkJson({ a: sparse })).toMatchObject({ path: ['a', 1], message: 'an array hole is not a JSON value' });
    expect(checkJson({ g: getter })).toMatchObject({ path: ['g', 'x'], message: 'a getter or setter is not a JSON value' });
    expect(checkJson({ m: new Map() })).toMatchObject({ path: ['m'], message: 'a Map is not a JSON value' });
    expect(reads).toBe(0);
  });

  it('keeps values a schema should judge when lenient, and faults on them when strict', () => {
    expect(copyJson({ a: undefined, n: NaN }, { lenient: true })).toMatchObject({ ok: true });
    expect(copyJson({ n: NaN })).toMatchObject({ ok: false, fault: { path: ['n'], message: 'NaN is not a JSON number' } });
  });
});

import { describe, expect, it } from 'vitest';
import { fastReport } from './fast-report.js';
import { schemaParseReport } from './parse.js';

const report = (status: unknown) => ({
  destination: 'edge-1',
  ref: { group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'shop', name: 'web' },
  seq: 1,
  observedAt: '2026-11-24T09:59:00Z',
  status,
});

/** `values` with a hole at `index`. */
function holey(values: unknown[], index: number): unknown[] {
  const out = [...values];
  delete out[index];
  return out;
}

/** Runs `body` with `Array.prototype[index]` defined as `descriptor`, then removes it. */
function withArrayPrototypeIndex(index: number, descriptor: PropertyDescriptor, body: () => void): void {
  Object.defineProperty(Array.prototype, index, { ...descriptor, configurable: true });
  try {
    body();
  } finally {
    delete (Array.prototype as unknown as Record<number, unknown>)[index];
  }
}

describe('the fast path of report validation reading arrays', () => {
  it('leaves an array with a hole to the schema, even when a prototype holds a value at that index', () => {
    withArrayPrototypeIndex(1, { value: 'inherited', writable: true }, () => {
      const item = report({ conditions: holey(['a', 'b', 'c'], 1) });
      expect(fastReport(item)).toBeUndefined();
      expect(schemaParseReport(item).ok).toBe(false);
    });
  });

  it('runs no getter that reading a hole would reach on a prototype', () => {
    let calls = 0;
    withArrayPrototypeIndex(0, { get: () => ++calls }, () => {
      expect(fastReport(report({ conditions: holey(['a', 'b'], 0) }))).toBeUndefined();
    });
    expect(calls).toBe(0);
  });

  it('copies an ordinary array element by element', () => {
    const status = { conditions: [{ type: 'Ready', status: 'True' }, 'x', 1, null] };
    const copied = fastReport(report(status));
    expect(copied?.status).toEqual(status);
    expect((copied?.status as typeof status).conditions).not.toBe(status.conditions);
  });
});

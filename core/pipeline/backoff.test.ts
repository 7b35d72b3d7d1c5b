import { describe, expect, it } from 'vitest';
import { Backoff, defaultRetry } from './backoff.js';

function waits(backoff: Backoff, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    backoff.fail(0);
    out.push(backoff.retryAt!);
  }
  return out;
}

describe('backoff', () => {
  it('doubles the wait from the initial one up to the cap, and starts over after a success', () => {
    const backoff = new Backoff({ initialMs: 100, maxMs: 500 });
    expect(waits(backoff, 5)).toEqual([100, 200, 400, 500, 500]);
    expect(backoff.failures).toBe(5);
    expect(backoff.ready(499)).toBe(false);
    expect(backoff.ready(500)).toBe(true);
    backoff.succeed();
    expect(backoff.ready(0)).toBe(true);
    expect(waits(backoff, 1)).toEqual([100]);
  });

  it('keeps every wait a finite date, whatever the policy says', () => {
    expect(waits(new Backoff({ initialMs: NaN, maxMs: NaN }), 3)).toEqual([defaultRetry.initialMs, 2 * defaultRetry.initialMs, 4 * defaultRetry.initialMs]);
    const forever = waits(new Backoff({ initialMs: 1_000, maxMs: Infinity }), 80);
    expect(forever.every((at) => Number.isFinite(at) && !Number.isNaN(new Date(at).getTime()))).toBe(true);
    expect(waits(new Backoff({ initialMs: -5, maxMs: -5 }), 2)).toEqual([0, 0]);
  });
});

import { describe, expect, it } from 'vitest';
import { DurationSchema, maxDurationMs, parseDuration } from './duration.js';

describe('parseDuration', () => {
  it('adds up the parts of a Kubernetes-style duration', () => {
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('1.5s')).toBe(1_500);
  });

  it('refuses text that is not a duration', () => {
    for (const text of ['', '5', 'soon', '5 m', '-5s', '5d', 'Infinity']) expect(parseDuration(text)).toBeUndefined();
  });

  it('refuses a duration longer than a hundred years, including one too long to be a finite number', () => {
    expect(parseDuration(`${maxDurationMs}ms`)).toBe(maxDurationMs);
    expect(parseDuration(`${maxDurationMs + 1}ms`)).toBeUndefined();
    expect(parseDuration(`${'9'.repeat(400)}h`)).toBeUndefined();
  });

  it('names the limit in the schema error', () => {
    const result = DurationSchema.safeParse(`${'9'.repeat(400)}s`);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toMatch(/at most 100 years/);
  });
});

import { defineReducer, type Json, type Reducer } from '../../../core/contract.js';

/** The accumulator of every hostile fixture: a plain count, so a normal call has an obvious answer. */
export interface Count {
  [key: string]: Json;
  n: number;
}

/**
 * A counting reducer that misbehaves (runs `attack`) on reports whose `status.attack` is true and
 * counts every other report, so one fixture shows both the breach and the normal call after it.
 */
export function hostileReducer(name: string, attack: (acc: Count) => unknown): Reducer<Record<string, Json>, Count, Json> {
  return defineReducer<Record<string, Json>, Count, Json>({
    name,
    version: '1.0.0',
    init: () => ({ n: 0 }),
    add(acc, report) {
      const status = report.status as { attack?: boolean } | null;
      if (status?.attack === true) return attack(acc) as Count;
      acc.n++;
      return acc;
    },
    merge(a, b) {
      a.n += b.n;
      return a;
    },
    finish: (acc) => acc,
  });
}

import { defineReducer, type Json } from '../../../core/contract.js';

/**
 * Joins a sparse array of `status.length` holes: one built-in call that loops in C and never
 * reaches QuickJS's interrupt handler. With 2**32 - 1 holes it runs for minutes. Counts every
 * report without a length.
 */
export default defineReducer<Record<string, Json>, number, Json>({
  name: 'join-huge',
  version: '1.0.0',
  init: () => 0,
  add(acc, report) {
    const length = (report.status as { length?: number }).length;
    return length === undefined ? acc + 1 : new Array(length).join('').length;
  },
  merge: (a, b) => a + b,
  finish: (acc) => acc,
});

import { defineReducer, type Json } from '../../../core/contract.js';

/** QuickJS's own error class: the guest can construct it like any other. */
const InternalError = (globalThis as unknown as { InternalError?: ErrorConstructor }).InternalError ?? Error;

/**
 * Throws what QuickJS throws when a limit trips, chosen by `status.attack`, without breaching any
 * limit: only the host may decide that a limit was breached. Counts every other report.
 */
export default defineReducer<Record<string, Json>, number, Json>({
  name: 'fake-breach',
  version: '1.0.0',
  init: () => 0,
  add(acc, report) {
    switch ((report.status as { attack?: string }).attack) {
      case 'out-of-memory':
        throw new InternalError('out of memory');
      case 'interrupted':
        throw new InternalError('interrupted');
      case 'look-alike': {
        const error = new Error('out of memory');
        error.name = 'InternalError';
        throw error;
      }
      default:
        return acc + 1;
    }
  },
  merge: (a, b) => a + b,
  finish: (acc) => acc,
});

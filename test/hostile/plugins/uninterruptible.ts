import { defineReducer, type Json } from '../../../core/contract.js';

/** The longest array-like the language allows: a built-in walks every index of it in C. */
const huge = { length: 2 ** 53 - 1 };

/** A string search QuickJS does in quadratic time: it compares the needle at every offset of the haystack. */
function searchable(): { haystack: string; needle: string } {
  return { haystack: 'a'.repeat(2 ** 23), needle: `${'a'.repeat(2 ** 22)}b` };
}

/**
 * Calls one built-in, chosen by `status.attack`, that loops in C for hours or more without ever
 * reaching QuickJS's interrupt handler; `join` takes its length from `status.length` when given.
 * Counts every other report.
 */
export default defineReducer<Record<string, Json>, number, Json>({
  name: 'uninterruptible',
  version: '1.0.0',
  init: () => 0,
  add(acc, report) {
    const { attack, length } = report.status as { attack?: string; length?: number };
    switch (attack) {
      case 'array-like indexOf':
        return Array.prototype.indexOf.call(huge, 'x');
      case 'array-like lastIndexOf':
        return Array.prototype.lastIndexOf.call(huge, 'x');
      case 'array-like includes':
        return Array.prototype.includes.call(huge, 'x') ? 1 : 0;
      case 'join':
        return new Array(length ?? 2 ** 32 - 1).join('').length;
      case 'string indexOf': {
        const { haystack, needle } = searchable();
        return haystack.indexOf(needle);
      }
      case 'string includes': {
        const { haystack, needle } = searchable();
        return haystack.includes(needle) ? 1 : 0;
      }
      default:
        return acc + 1;
    }
  },
  merge: (a, b) => a + b,
  finish: (acc) => acc,
});

import { defineReducer, type Json } from '../../../core/contract.js';

function deeper(depth: number): number {
  return deeper(depth + 1) + 1;
}

/** One plugin with several breaches, chosen by `status.attack`: for leak checks across recoveries. */
export default defineReducer<Record<string, Json>, Json, Json>({
  name: 'multi-attack',
  version: '1.0.0',
  init: () => 0,
  add(acc, report) {
    switch ((report.status as { attack?: string }).attack) {
      case 'spin':
        for (;;) {
          // spin
        }
      case 'recurse':
        return deeper(0);
      case 'cyclic': {
        const cyclic: Record<string, unknown> = {};
        cyclic.self = cyclic;
        return cyclic as Json;
      }
      case 'throw':
        throw new TypeError('asked to throw');
      case 'async':
        return Promise.resolve(1) as unknown as Json;
      default:
        return (acc as number) + 1;
    }
  },
  merge: (a, b) => (a as number) + (b as number),
  finish: (acc) => acc,
});

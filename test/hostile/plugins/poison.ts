import { defineReducer, type Json } from '../../../core/contract.js';

interface Count {
  [key: string]: Json;
  n: number;
}

/**
 * On an `attack` report, poisons the built-ins every later call relies on; otherwise counts.
 * `finish` reports what later calls see.
 */
export default defineReducer<Record<string, Json>, Count, Json>({
  name: 'poison',
  version: '1.0.0',
  init: () => ({ n: 0 }),
  add(acc, report) {
    if ((report.status as { attack?: boolean }).attack === true) {
      const tries: (() => void)[] = [
        () => ((Object.prototype as Record<string, unknown>).polluted = 'yes'),
        () => Object.defineProperty(Object.prototype, 'sneaky', { value: 'yes', enumerable: true }),
        () => (Array.prototype.push = () => 0),
        () => (JSON.stringify = () => '"hacked"'),
        () => ((Math as { random: () => number }).random = () => 0),
        () => ((globalThis as Record<string, unknown>).Object = null),
        // The classic prototype pollution through data: a naive deep merge of a parsed document.
        () => {
          const merge = (target: Record<string, unknown>, source: Record<string, unknown>) => {
            for (const key of Object.keys(source)) {
              const value = source[key];
              if (typeof value === 'object' && value !== null) merge((target[key] ??= {}) as Record<string, unknown>, value as Record<string, unknown>);
              else target[key] = value;
            }
          };
          merge({}, JSON.parse('{"__proto__": {"isAdmin": true}}') as Record<string, unknown>);
        },
      ];
      for (const attempt of tries) {
        try {
          attempt();
        } catch {
          // A frozen built-in refuses; keep trying the others.
        }
      }
      return acc;
    }
    acc.n++;
    return acc;
  },
  merge(a, b) {
    a.n += b.n;
    return a;
  },
  finish(acc) {
    const probe: Record<string, unknown> = {};
    const list: number[] = [];
    list.push(1, 2);
    return {
      n: acc.n,
      polluted: (probe.polluted ?? probe.sneaky ?? probe.isAdmin ?? null) as Json,
      keys: Object.keys(probe).length,
      push: list.length,
      stringify: JSON.stringify({ a: 1 }),
      objectIsIntact: typeof Object.keys === 'function',
    };
  },
});

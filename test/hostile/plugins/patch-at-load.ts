import { hostileReducer } from './hostile-reducer.js';

const original = { stringify: JSON.stringify, random: Math.random, Date };

// At the module's top level, before any hook runs: each attempt is refused, silently or with a TypeError.
for (const attempt of [
  () => (Array.prototype.map = () => []),
  () => ((Object.prototype as Record<string, unknown>).polluted = 'yes'),
  () => Object.defineProperty(Object.prototype, 'sneaky', { value: 'yes', enumerable: true }),
  () => (JSON.stringify = () => '"hacked"'),
  () => ((Math as { random: () => number }).random = () => 0),
  () => ((globalThis as Record<string, unknown>).Date = null),
]) {
  try {
    attempt();
  } catch {
    // A frozen built-in refuses; keep trying the others.
  }
}

/** Tries to patch built-ins while its module initializes; an attack report shows what survived. */
export default hostileReducer('patch-at-load', () => {
  const probe: Record<string, unknown> = {};
  return {
    n: 0,
    mapped: [1, 2].map((x) => x * 2),
    polluted: (probe.polluted ?? probe.sneaky ?? null) as string | null,
    stringify: JSON.stringify({ a: 1 }),
    intact: JSON.stringify === original.stringify && Math.random === original.random && Date === original.Date,
  };
});

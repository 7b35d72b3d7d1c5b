import { hostileReducer } from './hostile-reducer.js';

const wanted = ['require', 'process', 'fetch', 'setTimeout', 'setInterval', 'setImmediate', 'queueMicrotask', 'performance', 'WebAssembly', 'XMLHttpRequest', 'WebSocket', 'std', 'os', 'Deno', 'Bun'];

/** Looks for host globals the indirect way, through an unscoped Function and eval. */
export default hostileReducer('probe-globals', () => {
  const global = new Function('return this')() as Record<string, unknown>;
  const viaEval = (0, eval)('Object.getOwnPropertyNames(this)') as string[];
  return wanted.filter((name) => typeof global[name] !== 'undefined' || viaEval.includes(name));
});

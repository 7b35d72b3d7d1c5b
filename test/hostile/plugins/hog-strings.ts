import { hostileReducer } from './hostile-reducer.js';

/**
 * Holds 1 MiB strings until it has 1 GiB. QuickJS's own limit counts each string as one small
 * allocation, so only the host's watch on the WebAssembly heap can stop this one.
 */
export default hostileReducer('hog-strings', () => {
  const kept: string[] = [];
  for (let i = 0; i < 1024; i++) kept.push('x'.repeat(1 << 20) + String(i));
  return kept.length;
});

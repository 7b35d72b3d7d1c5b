import { hostileReducer } from './hostile-reducer.js';

/** Returns an accumulator that refers to itself. */
export default hostileReducer('cyclic', (acc) => {
  const cyclic: Record<string, unknown> = { n: acc.n };
  cyclic.self = cyclic;
  return cyclic;
});

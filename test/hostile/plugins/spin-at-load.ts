import { hostileReducer } from './hostile-reducer.js';

for (;;) {
  // never finishes initializing
}

/** Never finishes its module's top level. */
export default hostileReducer('spin-at-load', (acc) => acc);

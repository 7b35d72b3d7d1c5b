import { hostileReducer } from './hostile-reducer.js';

/** Never returns. */
export default hostileReducer('spin', () => {
  for (;;) {
    // spin
  }
});

import { hostileReducer } from './hostile-reducer.js';

/** Throws an Error from a known line (6). */
export default hostileReducer('throw-error', (acc) => {
  if (acc.n >= 0) {
    throw new RangeError(`replica count went negative after ${acc.n} reports`);
  }
  return acc;
});

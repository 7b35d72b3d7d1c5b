import { hostileReducer } from './hostile-reducer.js';

/** Throws a number instead of an Error. */
export default hostileReducer('throw-42', () => {
  throw 42;
});

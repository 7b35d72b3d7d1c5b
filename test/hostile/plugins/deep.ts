import { hostileReducer } from './hostile-reducer.js';

/** Returns a value nested a million levels deep: built in a loop, too deep to serialize. */
export default hostileReducer('deep', () => {
  let value: unknown[] = [];
  for (let i = 0; i < 1_000_000; i++) value = [value];
  return value;
});

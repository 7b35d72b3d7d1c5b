import { hostileReducer } from './hostile-reducer.js';

/** Grows one array of numbers without bound, one small allocation at a time. */
export default hostileReducer('hog-array', () => {
  const kept: number[] = [];
  for (let i = 0; ; i++) kept.push(i * 1.5);
});

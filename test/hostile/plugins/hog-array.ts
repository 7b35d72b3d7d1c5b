import { hostileReducer } from './hostile-reducer.js';

/** Grows one array of numbers without bound: QuickJS's own allocation limit trips. */
export default hostileReducer('hog-array', () => {
  const kept: number[] = [];
  for (let i = 0; ; i++) kept.push(i * 1.5);
});

import { hostileReducer } from './hostile-reducer.js';

function deeper(depth: number): number {
  return deeper(depth + 1) + 1;
}

/** Recurses without bound. */
export default hostileReducer('recurse', () => deeper(0));

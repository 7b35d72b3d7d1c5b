import { hostileReducer } from './hostile-reducer.js';

/** Returns a 100 MB string as its accumulator. */
export default hostileReducer('big-output', () => 'x'.repeat(100_000_000));

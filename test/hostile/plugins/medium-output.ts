import { hostileReducer } from './hostile-reducer.js';

/** Returns a 2 MB string: buildable within the memory budget, above the output limit. */
export default hostileReducer('medium-output', () => 'x'.repeat(2_000_000));

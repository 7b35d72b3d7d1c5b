import { hostileReducer } from './hostile-reducer.js';

/** Returns a BigInt, which JSON cannot carry. */
export default hostileReducer('bigint', () => 10n ** 30n);

import { hostileReducer } from './hostile-reducer.js';

// Never finishes initializing, and never reaches the interrupt handler while it tries.
Array.prototype.indexOf.call({ length: 2 ** 53 - 1 }, 'x');

/** Never finishes its module's top level. */
export default hostileReducer('uninterruptible-at-load', (acc) => acc);

import { hostileReducer } from './hostile-reducer.js';

/** Tries to reach the network. */
export default hostileReducer('uses-fetch', () => fetch('http://169.254.169.254/latest/meta-data/'));

import { hostileReducer } from './hostile-reducer.js';

const home = process.env.HOME ?? '';

/** Reads the host environment while its module initializes. */
export default hostileReducer('process-at-load', () => home);

import { hostileReducer } from './hostile-reducer.js';

/** Tries to end the host process. */
export default hostileReducer('uses-process', () => {
  process.exit(1);
});

// @ts-expect-error -- a host file has no types: importing it as text is the attack
import environ from '/proc/self/environ' with { type: 'text' };
import { hostileReducer } from './hostile-reducer.js';

/** Puts the bundling process's environment (its secrets) into its accumulator. */
export default hostileReducer('reads-environ', () => String(environ));

// @ts-expect-error -- a host file has no types: importing it as text is the attack
import passwd from '/etc/passwd' with { type: 'text' };
import { hostileReducer } from './hostile-reducer.js';

/** Puts the host's user list into its accumulator, read by the bundler. */
export default hostileReducer('reads-passwd', () => String(passwd));

import { hostileReducer } from './hostile-reducer.js';

/** Tries to load a Node built-in with a dynamic import. */
export default hostileReducer('uses-import', () => import('fs').then((fs) => fs.readFileSync('/etc/passwd', 'utf8')));

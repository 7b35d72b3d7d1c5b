import { hostileReducer } from './hostile-reducer.js';

/** Tries to load a Node built-in with require. */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- reaching for require is the point of this fixture
export default hostileReducer('uses-require', () => (require('child_process') as { execSync(command: string): unknown }).execSync('id'));

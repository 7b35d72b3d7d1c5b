// Worker threads on Node 20 do not inherit tsx's module hooks from the main thread, so the worker
// registers them itself before it loads the TypeScript worker body.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');

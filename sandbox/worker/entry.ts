/**
 * The module a worker thread runs for the worker body `name` (a file name without extension)
 * beside the module at `spawner` (its `import.meta.url`). When the spawner runs as compiled
 * JavaScript (`dist/…/threads.js`), that is the compiled body `name.js` beside it. When it runs from
 * TypeScript source (tsx, vitest), that is the shim `name.mjs`, which registers tsx's loader and
 * then imports `name.ts`: worker threads on Node 20 do not inherit the main thread's module hooks.
 * Every place that starts a worker thread asks this function, so both layouts work everywhere.
 */
export function workerModule(spawner: string, name: string): URL {
  const compiled = new URL(spawner).pathname.endsWith('.js');
  return new URL(`./${name}.${compiled ? 'js' : 'mjs'}`, spawner);
}

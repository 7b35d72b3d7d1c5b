import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ErrorCodes, PluginLoadError } from '../core/errors.js';
import { BundleCache, bundleFilename, bundlePlugin } from './bundle.js';
import { hashCode } from './describe.js';
import { fixture } from './fixtures/reports.js';

const scratch = mkdtempSync(join(tmpdir(), 'edgesum-bundle-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const contract = JSON.stringify(new URL('../core/contract.js', import.meta.url).pathname);

/** Writes a plugin module into the scratch folder and returns its source. */
function plugin(name: string, code: string) {
  const entry = join(scratch, name);
  writeFileSync(entry, code);
  return { spec: `./${name}`, entry };
}

async function loadError(source: { spec: string; entry: string }): Promise<PluginLoadError> {
  const error = await bundlePlugin(source).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(PluginLoadError);
  return error as PluginLoadError;
}

describe('bundlePlugin', () => {
  it('bundles a TypeScript plugin, its imports and the guest shim into one classic script', async () => {
    const bundle = await bundlePlugin(fixture('counter'));
    expect(bundle.code.startsWith('(() => {')).toBe(true);
    expect(bundle.code).not.toMatch(/^\s*(import|export)\s/m);
    expect(bundle.code).toContain('__edgesum');
    expect(bundle.code).toContain('function readPath');
    expect(bundle.hash).toBe(hashCode(bundle.code));
    expect(bundle.filename).toBe(bundleFilename);
    expect(JSON.parse(bundle.sourceMap)).toMatchObject({ version: 3, sources: expect.arrayContaining(['counter.ts']) });
  });

  it('bundles an npm package a plugin imports', async () => {
    const bundle = await bundlePlugin(fixture('with-zod'));
    expect(bundle.code).toMatch(/ZodError/);
  });

  it('rejects a Node built-in import at bundle time, naming the file and line', async () => {
    const error = await loadError(fixture('imports-fs'));
    expect(error.code).toBe(ErrorCodes.PluginLoad);
    expect(error.message).toMatch(/sandbox\/fixtures\/imports-fs\.ts:1:\d+: cannot import "fs": plugins run in a sandbox without host access/);
    expect(error.issues[0]?.path).toMatch(/imports-fs\.ts:1:\d+$/);
  });

  it.each([
    ['node:fs', `import { readFileSync } from 'node:fs';\nexport default { readFileSync };`],
    ['fs/promises', `import { readFile } from 'fs/promises';\nexport default { readFile };`],
    ['child_process', `export default { run: () => import('child_process') };`],
    ['fs', `export default { run: () => require('fs') };`],
  ])('rejects %s however it is imported', async (name, code) => {
    const error = await loadError(plugin(`uses-${name.replace(/\W/g, '-')}.ts`, code));
    expect(error.message).toContain(`cannot import "${name}"`);
    expect(error.message).toMatch(/\.ts:\d+:\d+: /);
  });

  it('reports a syntax error with file, line and column', async () => {
    const source = plugin('broken.ts', `import { defineReducer } from ${contract};\nexport default defineReducer({\n  name: 'broken',,\n});\n`);
    const error = await loadError(source);
    expect(error.message).toBe(`./broken.ts: ${relative(process.cwd(), source.entry)}:3:18: Expected identifier but found ","`);
  });

  it('reports a module without a default export', async () => {
    const error = await loadError(plugin('no-default.ts', `export const reducer = {};\n`));
    expect(error.message).toMatch(/No matching export .* for import "default"/);
  });

  it('reports a missing entry file as a load error', async () => {
    await expect(new BundleCache().get({ spec: './gone.ts', entry: join(scratch, 'gone.ts') })).rejects.toMatchObject({
      code: ErrorCodes.PluginLoad,
      message: expect.stringMatching(/^\.\/gone\.ts: cannot read /),
    });
  });
});

describe('BundleCache', () => {
  it('builds once per entry path and modification time', async () => {
    const source = plugin('cached.ts', `export default { name: 'cached', version: '1.0.0', decide: () => null };\n`);
    const cache = new BundleCache();
    const first = await cache.get(source);
    expect(await cache.get(source)).toBe(first);
    writeFileSync(source.entry, `export default { name: 'cached', version: '2.0.0', decide: () => null };\n`);
    utimesSync(source.entry, new Date(), new Date(Date.now() + 5_000));
    const second = await cache.get(source);
    expect(second).not.toBe(first);
    expect(second.hash).not.toBe(first.hash);
    expect(await new BundleCache().get(source)).not.toBe(second);
  });

  it('does not keep a failed build', async () => {
    const source = plugin('fixed-later.ts', `export default {\n`);
    const cache = new BundleCache();
    await expect(cache.get(source)).rejects.toBeInstanceOf(PluginLoadError);
    writeFileSync(source.entry, `export default { name: 'fixed', version: '1.0.0', decide: () => null };\n`);
    await expect(cache.get(source)).resolves.toMatchObject({ entry: source.entry });
  });
});

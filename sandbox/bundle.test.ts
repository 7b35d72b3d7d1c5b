import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ErrorCodes, PluginLoadError } from '../core/errors.js';
import { BundleCache, bundleFilename, bundlePlugin, maxSourceFileBytes, shimFilename } from './bundle.js';
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
  it('bundles a TypeScript plugin and its imports into one classic script, with the guest shim beside it', async () => {
    const bundle = await bundlePlugin(fixture('counter'));
    expect(bundle.code.startsWith('(() => {')).toBe(true);
    expect(bundle.code).not.toMatch(/^\s*(import|export)\s/m);
    expect(bundle.code).toContain('__edgesum.install(');
    expect(bundle.code).not.toContain('hardenIntrinsics');
    expect(bundle.shim).toMatchObject({ filename: shimFilename, hash: hashCode(bundle.shim!.code) });
    expect(bundle.shim!.code).toContain('hardenIntrinsics');
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

describe('bundlePlugin reading host files', () => {
  /** A plugin package of its own in the scratch folder, from `files` (path → contents). */
  function pack(name: string, files: Record<string, string>) {
    const dir = join(scratch, name);
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    return { spec: `./${name}`, entry: join(dir, 'index.ts') };
  }
  const reducer = (value: string) => `import { defineReducer } from ${contract};\nexport default defineReducer({ name: 'p', version: '1.0.0', init: () => ${value}, add: (a) => a, merge: (a) => a, finish: (a) => a });\n`;

  it('bundles JSON from the plugin’s own package, with or without the json import attribute', async () => {
    const source = pack('own-json', {
      'index.ts': `import a from './data/a.json';\nimport b from './data/b.json' with { type: 'json' };\n${reducer('a.n + b.n')}`,
      'data/a.json': '{"n": 1}',
      'data/b.json': '{"n": 2}',
    });
    await expect(bundlePlugin(source)).resolves.toMatchObject({ entry: source.entry });
  });

  it.each([
    [`import x from './data.json' with { type: 'text' };`, `import attributes (type: 'text') are not allowed`],
    [`import x from './data.json' with { loader: 'base64' };`, `import attributes (loader: 'base64') are not allowed`],
    [`import x from './notes.md' with { type: 'json' };`, 'notes.md is not a JavaScript, TypeScript or JSON source'],
    [`import x from './logo.png';`, 'logo.png is not a JavaScript, TypeScript or JSON source'],
  ])('refuses what would need a loader other than JavaScript, TypeScript or JSON: %s', async (line, why) => {
    const name = `loader-${line.replace(/\W+/g, '-')}`;
    const error = await loadError(pack(name, { 'index.ts': `${line}\n${reducer('String(x)')}`, 'data.json': '{"secret": "in-data"}', 'notes.md': '# in-notes', 'logo.png': 'in-png' }));
    expect(error).toMatchObject({ code: ErrorCodes.PluginLoad, plugin: `./${name}` });
    expect(error.message).toContain(why);
    expect(error.message).not.toMatch(/in-(data|notes|png)/);
  });

  it('refuses a source file above the size limit without reading it', async () => {
    const source = pack('huge', { 'index.ts': `import big from './big.js';\n${reducer('big')}`, 'big.js': '' });
    truncateSync(join(scratch, 'huge', 'big.js'), maxSourceFileBytes + 1);
    const error = await loadError(source);
    expect(error.message).toContain(`cannot import "./big.js": ${join(scratch, 'huge', 'big.js')} has ${maxSourceFileBytes + 1} bytes, above the ${maxSourceFileBytes} byte limit of one source file`);
  });

  it('refuses a package manifest the resolver would read that is not a regular file', async () => {
    const source = pack('manifest', { 'index.ts': `import evil from 'evil';\n${reducer('evil')}`, 'node_modules/evil/index.js': 'export default 1;\n' });
    const manifest = join(scratch, 'manifest', 'node_modules', 'evil', 'package.json');
    expect(spawnSync('mkfifo', [manifest]).status).toBe(0);
    const error = await loadError(source);
    expect(error.message).toContain(`cannot import "evil": ${manifest}, which the bundler would read while it resolves the import, is not a regular file`);
  });

  it('reads no tsconfig.json, not even one that links to /dev/zero', async () => {
    const source = pack('tsconfig', { 'index.ts': reducer('1') });
    symlinkSync('/dev/zero', join(scratch, 'tsconfig', 'tsconfig.json'));
    await expect(bundlePlugin(source)).resolves.toMatchObject({ entry: source.entry });
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

/**
 * `edgesum plugin new|test` in-process: what a new repository holds, a readable diff when a fixture
 * fails, and clear errors for a wrong name, kind, manifest or fixture.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FilePluginCatalog } from '../core/catalog/index.js';
import { ErrorCodes } from '../core/errors.js';
import { cli } from './support/cli.js';

const fresh = () => mkdtempSync(join(tmpdir(), 'edgesum-plugin-'));

async function scaffold(kind: string): Promise<string> {
  const dir = join(fresh(), 'p');
  const result = await cli('plugin', 'new', 'p', '--kind', kind, '--dir', dir);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return dir;
}

describe('edgesum plugin new', () => {
  it('writes a reducer repository that depends on edgesum and names its kind and module', async () => {
    const dir = join(fresh(), 'ready');
    const { stdout } = await cli('plugin', 'new', 'ready', '--kind', 'reducer', '--dir', dir, '--json');
    expect(JSON.parse(stdout).files).toEqual(['.gitignore', 'README.md', 'fixtures/expected.json', 'fixtures/options.json', 'fixtures/reports.jsonl', 'package.json', 'src/index.ts', 'test/plugin.test.mjs', 'tsconfig.json']);
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<string, Record<string, string>>;
    expect(manifest.edgesum).toEqual({ kind: 'reducer', plugin: 'src/index.ts' });
    expect(manifest.dependencies!.edgesum).toMatch(/^\^\d+\.\d+\.\d+/);
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toContain('## Layout');
  });

  it.each([['../escape'], ['Upper'], [''], ['a'.repeat(200)], ['x\u0000y']])('refuses the name %j with a usage error', async (name) => {
    const { code, stderr } = await cli('plugin', 'new', name, '--kind', 'reducer', '--dir', join(fresh(), 'x'));
    expect(code).toBe(2);
    expect(stderr).toContain(ErrorCodes.Usage);
    expect(stderr).toContain('is not a plugin name');
  });

  it('refuses an unknown kind, listing the kinds, and a folder that is not empty', async () => {
    const unknown = await cli('plugin', 'new', 'p', '--kind', 'widget', '--dir', join(fresh(), 'p'));
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('the kinds are reducer, policy, customizer');
    const dir = await scaffold('policy');
    const again = await cli('plugin', 'new', 'p', '--kind', 'policy', '--dir', dir);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already exists and is not empty');
    const file = join(dir, 'package.json');
    const onFile = await cli('plugin', 'new', 'p', '--kind', 'policy', '--dir', file);
    expect(onFile.code).toBe(2);
    expect(onFile.stderr).toContain('exists and is not a folder');
  });
});

describe('edgesum plugin test', () => {
  it('prints where the summary differs from expected.json, path by path, and exits 1', async () => {
    const dir = await scaffold('reducer');
    writeFileSync(join(dir, 'fixtures', 'expected.json'), JSON.stringify({ ready: 5, total: 6, readyRatio: 0.5 }));
    const { code, stdout } = await cli('plugin', 'test', dir);
    expect(code).toBe(1);
    expect(stdout).toContain('  ready: expected 5, got 4\n');
    expect(stdout).toContain('  readyRatio: expected 0.5, got 0.6666666666666666\n');
  });

  it('runs every decision case of a policy and passes as scaffolded', async () => {
    const { code, stdout } = await cli('plugin', 'test', await scaffold('policy'), '--runner', 'inline');
    expect(stdout).toMatch(/^2 passed, 0 failed$/m);
    expect(code).toBe(0);
  });

  it('renders a scaffolded customizer level by level in the sandbox and passes its check as written', async () => {
    const dir = await scaffold('customizer');
    const tested = await cli('plugin', 'test', dir);
    expect(tested.stdout).toBe('ok   2 destinations render as fixtures/expected.json says\n');
    expect(tested.code).toBe(0);
    const checked = await cli('plugin', 'check', dir);
    expect(checked.stdout).toBe('ok   src/index.ts keeps every customizer law\n');
    expect(checked.code).toBe(0);
  });

  it("prints where a customizer's rendering differs from expected.json, path by path, and exits 1", async () => {
    const dir = await scaffold('customizer');
    const file = join(dir, 'fixtures', 'expected.json');
    const expected = JSON.parse(readFileSync(file, 'utf8')) as Record<string, { metadata: { labels: Record<string, string> } }>;
    expected['edge-2']!.metadata.labels.tier = 'silver';
    writeFileSync(file, JSON.stringify(expected));
    const { code, stdout } = await cli('plugin', 'test', dir, '--runner', 'inline');
    expect(stdout).toContain('  edge-2.metadata.labels.tier: expected "silver", got "bronze"\n');
    expect(code).toBe(1);
  });

  it('names the field of a customizer target that is invalid and refuses two destinations with one id', async () => {
    const dir = await scaffold('customizer');
    writeFileSync(join(dir, 'fixtures', 'targets.json'), JSON.stringify({ chain: [{ id: 'center', kind: 'center' }, { id: 'paris', kind: 'site' }], destinations: [{ id: 'edge-1', kind: 'site' }] }));
    const { code, stderr } = await cli('plugin', 'test', dir);
    expect(code).toBe(2);
    expect(stderr).toContain('targets.json');
    expect(stderr).toContain('destinations[0].kind');
    writeFileSync(join(dir, 'fixtures', 'targets.json'), JSON.stringify({ chain: [{ id: 'center', kind: 'center' }, { id: 'paris', kind: 'site' }], destinations: [{ id: 'edge-1' }, { id: 'edge-1' }] }));
    const twice = await cli('plugin', 'check', dir);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toContain('two destinations have the same id');
  });

  it('names the line of a fixture that is not JSON and the field of a report that is invalid', async () => {
    const dir = await scaffold('reducer');
    const reports = join(dir, 'fixtures', 'reports.jsonl');
    const lines = readFileSync(reports, 'utf8').split('\n');
    writeFileSync(reports, [lines[0], '{"destination":', ...lines.slice(1)].join('\n'));
    const broken = await cli('plugin', 'check', dir);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain('reports.jsonl:2 is not valid JSON');
    writeFileSync(reports, [lines[0], '{"destination":"edge-9","seq":-1}', ...lines.slice(1)].join('\n'));
    const invalid = await cli('plugin', 'test', dir);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain('report 2');
  });

  it('refuses a folder that is no plugin repository, naming the file and key', async () => {
    const none = await cli('plugin', 'test', fresh());
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('no package.json');
    const dir = fresh();
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'x', edgesum: { kind: 7 } }));
    const wrong = await cli('plugin', 'check', dir);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('edgesum.kind');
  });
});

describe('edgesum plugin list', () => {
  it('lists every built-in plugin of every kind with its description and options, as text and as JSON', async () => {
    const json = await cli('plugin', 'list', '--json');
    expect(json.code).toBe(0);
    const { plugins } = JSON.parse(json.stdout) as { plugins: { spec: string; kind: string; description: string; options: string }[] };
    expect(plugins.map((plugin) => plugin.spec)).toEqual(new FilePluginCatalog().builtins().map((name) => `builtin:${name}`));
    expect(new Set(plugins.map((plugin) => plugin.kind))).toEqual(new Set(['reducer', 'policy', 'customizer']));
    for (const plugin of plugins) expect(plugin.description, plugin.spec).not.toBe('');
    expect(plugins.find((plugin) => plugin.spec === 'builtin:top-k')?.options).toBe('field: string, k?: integer, order?: "desc" | "asc"');
    expect(plugins.find((plugin) => plugin.spec === 'builtin:overrides')).toMatchObject({ kind: 'customizer', options: 'match?: "first" | "last", rules: object[]' });
    const text = await cli('plugin', 'list');
    expect(text.stdout).toMatch(/^builtin:labels-template +customizer +Fills \{\{ \.labels\.KEY \}\}/m);
    expect(text.stdout).toMatch(/^ +options: defaults\?: object$/m);
  });
});

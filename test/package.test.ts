/**
 * edgesum as its users get it: the packed tarball, installed from the registry's point of view
 * into projects that have no dev tools, used from plain Node ESM, from strict TypeScript, through
 * its installed binary, and by the policy-as-code example as a repository of its own.
 */
import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCodes } from '../core/errors.js';

const repo = resolve(import.meta.dirname, '..');
const tsc = join(repo, 'node_modules', 'typescript', 'bin', 'tsc');
// npm's own output must not mix with a test's; its cache (filled by `npm ci`) serves the installs.
const npmEnv = { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false', npm_config_loglevel: 'error' };

let work: string;
let tarball: string;
let packed: string[];

function npm(cwd: string, ...args: string[]): string {
  return execFileSync('npm', args, { cwd, env: npmEnv, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A fresh project with only the tarball installed (and its dependencies), no dev tools. */
function project(name: string, files: Record<string, string> = {}): string {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true, type: 'module' }));
  for (const [path, text] of Object.entries(files)) writeFileSync(join(dir, path), text);
  npm(dir, 'install', '--prefer-offline', '--omit=dev', tarball);
  return dir;
}

function run(cwd: string, command: string, ...args: string[]): SpawnSyncReturns<string> {
  return spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'edgesum-package-'));
  const [pack] = JSON.parse(npm(repo, 'pack', '--json', '--pack-destination', work)) as { filename: string; files: { path: string }[] }[];
  tarball = join(work, pack!.filename);
  packed = pack!.files.map((file) => file.path);
}, 300_000);

afterAll(() => {
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

describe('the packed edgesum tarball', () => {
  it('ships compiled JavaScript with types, and no test, fixture, bench or CI file', () => {
    expect(packed).toContain('dist/app/index.js');
    expect(packed).toContain('dist/app/index.d.ts');
    expect(packed).toContain('dist/cli/bin.js');
    expect(packed).toContain('LICENSE');
    expect(packed.filter((path) => /\.ts$/.test(path) && !path.endsWith('.d.ts'))).toEqual([]);
    expect(packed.filter((path) => /(\.test\.|(^|\/)(test|tests|fixtures|bench|\.ci|examples)\/)/.test(path))).toEqual([]);
  });

  it('needs no TypeScript loader at run time', () => {
    const manifest = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(Object.keys(manifest.dependencies)).not.toContain('tsx');
    expect(Object.keys(manifest.dependencies)).not.toContain('typescript');
  });
});

describe('edgesum installed in a project without dev tools', () => {
  let dir: string;
  beforeAll(() => {
    dir = project('consumer');
    cpSync(join(repo, 'plugins', 'health', 'fixtures', 'reports.jsonl'), join(dir, 'reports.jsonl'));
    cpSync(join(repo, 'test', 'fixtures', 'plugins', 'loop.js'), join(dir, 'loop.js'));
  }, 300_000);

  it('runs a small hierarchy from plain Node ESM through edgesum, edgesum/plugin and edgesum/testing', () => {
    writeFileSync(
      join(dir, 'hierarchy.mjs'),
      `import { createHierarchy, ManualClock, InlineRunner, QuickJsRunner, ErrorCodes } from 'edgesum';
import { defineReducer, readPath } from 'edgesum/plugin';
import { checkReducerLaws } from 'edgesum/testing';

const count = defineReducer({ name: 'count', version: '1.0.0', init: () => 0, add: (n) => n + 1, merge: (a, b) => a + b, finish: (n) => n });
const report = (destination, seq) => ({ destination, seq, observedAt: '2026-11-24T10:00:00Z', ref: { group: '', version: 'v1', kind: 'ConfigMap', namespace: 'shop', name: 'settings' }, status: null });
const hierarchy = await createHierarchy(
  {
    topology: {
      levels: [{ id: 'center', kind: 'center' }, { id: 'site-1', kind: 'site', parent: 'center' }, { id: 'site-2', kind: 'site', parent: 'center' }],
      destinations: [{ id: 'edge-1', parent: 'site-1' }, { id: 'edge-2', parent: 'site-2' }, { id: 'edge-3', parent: 'site-2' }],
    },
    bindings: [{ name: 'health', reducer: 'builtin:health' }],
  },
  { clock: new ManualClock() },
);
const result = hierarchy.ingest([report('edge-1', 1), report('edge-2', 1), report('edge-3', 1), { destination: 'nowhere' }]);
await hierarchy.settle();
const summaries = await hierarchy.summaries();
await hierarchy.dispose();
const laws = checkReducerLaws(count, { options: {}, reports: [report('edge-1', 1), report('edge-2', 2)] });
console.log(JSON.stringify({ runner: hierarchy.runner.name, accepted: result.accepted, rejected: result.rejected.length, health: summaries.health, laws, read: readPath({ a: [{ b: 1 }] }, 'a[0].b'), code: ErrorCodes.PluginTimeout, runners: [typeof InlineRunner, typeof QuickJsRunner] }));
`,
    );
    const result = run(dir, process.execPath, 'hierarchy.mjs');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const out = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(out).toMatchObject({ runner: 'quickjs', accepted: 3, rejected: 1, laws: [], read: 1, code: 'EDGESUM_PLUGIN_TIMEOUT', runners: ['function', 'function'] });
    expect(out.health).toMatchObject({ value: { counts: { healthy: 3 } }, coverage: { expected: 3, reporting: 3 }, degraded: false });
  });

  it('compiles a strict TypeScript consumer with zero errors and runs it', () => {
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          exactOptionalPropertyTypes: true,
          noPropertyAccessFromIndexSignature: true,
          noUncheckedIndexedAccess: true,
          skipLibCheck: true,
          outDir: 'out',
          types: [],
        },
        files: ['app.ts'],
      }),
    );
    writeFileSync(
      join(dir, 'app.ts'),
      `import { createHierarchy, EdgesumError, InlineRunner, ManualClock, type HierarchyConfig, type SummaryView, type PluginRunner, type Transport, type Clock } from 'edgesum';
import { defineReducer, type StatusReport } from 'edgesum/plugin';
import { checkReducerLaws, diffJson } from 'edgesum/testing';

interface Tally { [key: string]: number; n: number }
const tally = defineReducer<{ field?: string }, Tally, number>({
  name: 'tally',
  version: '1.0.0',
  init: () => ({ n: 0 }),
  add: (acc) => ({ n: acc.n + 1 }),
  merge: (a, b) => ({ n: a.n + b.n }),
  finish: (acc) => acc.n,
});
const report: StatusReport = { destination: 'edge-1', seq: 1, observedAt: '2026-11-24T10:00:00Z', ref: { group: '', version: 'v1', kind: 'ConfigMap', name: 'settings' }, status: null };
const config: HierarchyConfig = {
  topology: { levels: [{ id: 'center', kind: 'center' }], destinations: [{ id: 'edge-1', parent: 'center' }] },
  bindings: [{ name: 'versions', reducer: 'builtin:version-histogram', options: { field: 'ref.kind' } }],
};
const clock: Clock = new ManualClock();
const runner: PluginRunner = new InlineRunner();
const hierarchy = await createHierarchy(config, { clock, runner });
const transport: Transport = hierarchy.transport;
hierarchy.ingest([report]);
await hierarchy.settle();
const summaries: Record<string, SummaryView> = await hierarchy.summaries();
await hierarchy.dispose();
let code = '';
try {
  await createHierarchy({ ...config, bindings: [{ name: 'x', reducer: 'builtin:no-such-reducer' }] }, { runner: new InlineRunner() });
} catch (error) {
  if (error instanceof EdgesumError) code = error.code;
}
console.log(JSON.stringify({ versions: summaries['versions']?.value, laws: checkReducerLaws(tally, { options: {}, reports: [report] }).length, diff: diffJson({ a: 1 }, { a: 2 }).length, code, bound: typeof transport.bind }));
`,
    );
    const compiled = run(dir, process.execPath, tsc, '-p', 'tsconfig.json');
    expect(compiled.stdout + compiled.stderr).toBe('');
    expect(compiled.status).toBe(0);
    const result = run(dir, process.execPath, 'out/app.js');
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({ versions: { total: 1, versions: { ConfigMap: 1 } }, laws: 0, diff: 1, code: ErrorCodes.UnknownPlugin, bound: 'function' });
  });

  it('runs the installed edgesum reduce on a fixture through the sandbox, on one worker thread or a pool', () => {
    for (const runner of ['quickjs', 'quickjs-pool', 'inline']) {
      const result = run(dir, join(dir, 'node_modules', '.bin', 'edgesum'), 'reduce', '--reducer', 'builtin:version-histogram', '--options', '{"field":"ref.kind"}', '--reports', 'reports.jsonl', '--runner', runner, '--json');
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ total: 61 });
    }
  });

  it('stops a looping reducer at its time limit from the installed binary, exit 1 with the timeout code', () => {
    const result = run(dir, join(dir, 'node_modules', '.bin', 'edgesum'), 'reduce', '--reducer', './loop.js', '--reports', 'reports.jsonl', '--time-limit', '1000', '--json');
    expect(result.status).toBe(1);
    expect(JSON.parse(result.stderr)).toMatchObject({ error: { code: ErrorCodes.PluginTimeout, plugin: 'loop', hook: 'add' } });
  });

  it('runs the installed edgesum customize with the built-in customizers in the sandbox', () => {
    for (const name of ['pattern.json', 'deployment.json']) cpSync(join(repo, 'examples', 'customize', name), join(dir, name));
    const result = run(dir, join(dir, 'node_modules', '.bin', 'edgesum'), 'customize', '--pattern', 'pattern.json', '--object', 'deployment.json', '--destination', 'edge-1', '--labels', '{"region":"eu"}', '--json');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ spec: { replicas: 3, template: { metadata: { labels: { region: 'eu' } }, spec: { containers: [{ image: 'registry.example:5000/shop/web:1.5.0' }] } } } });
  });

  it('runs the installed edgesum simulate over HTTP as installed edgesum serve processes, which name the optional SQLite package they need', () => {
    // better-sqlite3 is an optional peer: its absence, reported by the first served level, shows
    // that simulate found and started the installed binary.
    const result = run(dir, join(dir, 'node_modules', '.bin', 'edgesum'), 'simulate', '--transport', 'http', '--runner', 'inline', '--regions', '1', '--sites', '1', '--destinations', '5', '--rounds', '2', '--json');
    expect(result.status).toBe(2);
    expect(JSON.parse(result.stderr.split('\n').find((line) => line.startsWith('{'))!)).toMatchObject({
      error: { code: ErrorCodes.InvalidConfig, level: 'center', message: expect.stringMatching(/^simulate: edgesum serve of level center exited \(2\) before it listened: storage kind "sqlite" needs the better-sqlite3 package/) },
    });
  }, 120_000);

  it('runs the installed edgesum decide on a policy input', () => {
    cpSync(join(repo, 'examples', 'policy-as-code', 'cases', 'progressive-window', 'input.json'), join(dir, 'input.json'));
    const result = run(dir, join(dir, 'node_modules', '.bin', 'edgesum'), 'decide', '--policy', 'builtin:progressive', '--options', '{"maxConcurrency":"50%","maxFailures":1,"progressDeadline":"10m"}', '--input', 'input.json', '--json');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(JSON.parse(readFileSync(join(repo, 'examples', 'policy-as-code', 'cases', 'progressive-window', 'expected.json'), 'utf8')));
  });
});

describe('the policy-as-code example as a repository of its own', () => {
  let dir: string;
  beforeAll(() => {
    dir = join(work, 'policy-as-code');
    cpSync(join(repo, 'examples', 'policy-as-code'), dir, { recursive: true, filter: (path) => !path.includes('node_modules') });
    npm(dir, 'install', '--prefer-offline', '--omit=dev', tarball);
  }, 300_000);

  it('passes its own tests: unit tests under node --test and every decision case', () => {
    const result = spawnSync('npm', ['test'], { cwd: dir, encoding: 'utf8', env: npmEnv });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/# fail 0/);
    expect(result.stdout).toMatch(/^4 passed, 0 failed$/m);
  });

  it('type-checks its policies against the installed edgesum/plugin', () => {
    const result = run(dir, process.execPath, tsc, '-p', 'tsconfig.json');
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});

describe('plugin repositories scaffolded by the installed edgesum, outside the repository', () => {
  let dir: string;
  let edgesum: string;
  beforeAll(() => {
    // One install for every plugin: their own node_modules would hold the same edgesum and TypeScript,
    // and Node and npm look for both up the tree.
    dir = join(work, 'plugins');
    mkdirSync(dir);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'plugins', version: '1.0.0', private: true }));
    const typescript = (JSON.parse(readFileSync(join(repo, 'node_modules', 'typescript', 'package.json'), 'utf8')) as { version: string }).version;
    npm(dir, 'install', '--prefer-offline', tarball, `typescript@${typescript}`);
    edgesum = join(dir, 'node_modules', '.bin', 'edgesum');
  }, 300_000);

  /** The README's "Write your first plugin" commands, for `kind`; `npm install` was done once above. */
  function readmeCommands(kind: 'reducer' | 'policy' | 'customizer'): string[] {
    const readme = readFileSync(join(repo, 'README.md'), 'utf8');
    const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf('## Write your first plugin')))![1]!;
    return block
      .split('\n')
      .map((line) => line.replace(/\s+#.*$/, '').trim())
      .filter((line) => line !== '' && line !== 'npm install')
      .map((line) => (kind === 'reducer' ? line : line.replace('--kind reducer', `--kind ${kind}`).replace('ready-replicas', `first-${kind}`)));
  }

  for (const kind of ['reducer', 'policy', 'customizer'] as const) {
    it(`runs the README's first ${kind}: new, build, test and check pass with no edits`, () => {
      let cwd = dir;
      for (const command of readmeCommands(kind)) {
        const [program, ...args] = command.split(/\s+/);
        if (program === 'cd') {
          cwd = join(cwd, args[0]!);
          continue;
        }
        const result = program === 'npx' ? run(cwd, edgesum, ...args.slice(1)) : spawnSync(program!, args, { cwd, encoding: 'utf8', env: npmEnv });
        expect(result.stderr, command).toBe('');
        expect(result.status, `${command}\n${result.stdout}`).toBe(0);
      }
      expect(readFileSync(join(cwd, 'dist', 'edgesum-plugin.js.map'), 'utf8')).toContain('../src/index.ts');
    });
  }

  it('prints a type error as file:line:col and exits 1', () => {
    const plugin = join(dir, 'ready-replicas');
    const source = readFileSync(join(plugin, 'src', 'index.ts'), 'utf8');
    writeFileSync(join(plugin, 'src', 'index.ts'), source.replace('total: acc.total + 1 })', "total: 'one' })"));
    const result = run(plugin, edgesum, 'plugin', 'build');
    writeFileSync(join(plugin, 'src', 'index.ts'), source);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^src\/index\.ts:\d+:\d+ - error TS2322: /m);
  });
});

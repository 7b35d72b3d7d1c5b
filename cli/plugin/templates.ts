/**
 * The files `edgesum plugin new` writes, per kind. Each repository passes its own `npm test` and
 * `edgesum plugin check` as written; the author edits from a working plugin, not from a blank page.
 */

/** What every plugin repository shares, whatever its kind. */
export interface CommonFiles {
  readonly name: string;
  readonly kind: string;
  /** edgesum's version, for the dependency range. */
  readonly edgesumVersion: string;
  /** The README's part about this kind's fixtures. */
  readonly fixturesDoc: string;
  /** The contract type that documents the kind's laws, `Reducer` or `Policy`. */
  readonly contractType: string;
  /** The command that runs the plugin once, e.g. `edgesum reduce --reducer ./src/index.ts --reports …`. */
  readonly tryIt: string;
}

/** `package.json`, `tsconfig.json`, `.gitignore` and the README of a plugin repository. */
export function commonFiles(given: CommonFiles): Record<string, string> {
  const manifest = {
    name: given.name,
    version: '0.1.0',
    private: true,
    description: `An edgesum ${given.kind} plugin.`,
    type: 'module',
    edgesum: { kind: given.kind, plugin: 'src/index.ts' },
    scripts: {
      build: 'edgesum plugin build',
      test: 'node --test test/plugin.test.mjs && edgesum plugin test',
      check: 'edgesum plugin check',
    },
    dependencies: { edgesum: `^${given.edgesumVersion}` },
    devDependencies: { typescript: '^5.9.3' },
  };
  const tsconfig = {
    compilerOptions: {
      target: 'ES2022',
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      types: [],
    },
    include: ['src'],
  };
  return {
    'package.json': `${JSON.stringify(manifest, null, 2)}\n`,
    'tsconfig.json': `${JSON.stringify(tsconfig, null, 2)}\n`,
    '.gitignore': 'node_modules/\ndist/\n',
    'README.md': readme(given),
  };
}

function readme(given: CommonFiles): string {
  return `# ${given.name}

An edgesum ${given.kind} plugin. It runs in edgesum's QuickJS sandbox: it sees only its arguments,
its \`Date\` is the call's \`now\` and its \`Math.random\` is seeded.

\`\`\`sh
npm install
npm run build     # type-check, then bundle for the sandbox into dist/ with a source map
npm test          # the unit test under node --test, then the fixtures in the sandbox
npm run check     # every law of the plugin contract, with a shrunk counterexample per violation
\`\`\`

## Layout

\`\`\`
package.json        "edgesum": { "kind": "${given.kind}", "plugin": "src/index.ts" } tells edgesum plugin what this is
tsconfig.json       strict TypeScript; edgesum plugin build type-checks with it
src/index.ts        the plugin: its default export, made with define${given.contractType} from edgesum/plugin
fixtures/           what edgesum plugin test runs and edgesum plugin check checks
test/plugin.test.mjs  a unit test under node --test, through edgesum/testing
dist/               written by npm run build: edgesum-plugin.js and its source map
\`\`\`

${given.fixturesDoc}

Bind the plugin by its path (\`"${given.kind}": "./src/index.ts"\`) in an edgesum config, or try it with
\`${given.tryIt}\`. The laws it must keep are documented on the \`${given.contractType}\` type of
\`edgesum/plugin\`.
`;
}

/** The reducer template: the share of ready copies, with an exact retraction. */
export function reducerFiles(name: string): Record<string, string> {
  const report = (destination: string, ready: number, replicas: number) =>
    JSON.stringify({
      destination,
      seq: 1,
      observedAt: '2026-01-01T00:00:00Z',
      ref: { group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'shop', name: 'web' },
      status: { replicas, readyReplicas: ready },
    });
  const reports = [report('edge-1', 2, 2), report('edge-2', 1, 2), report('edge-3', 3, 3), report('edge-4', 0, 2), report('edge-5', 2, 2), report('edge-6', 1, 1)];
  return {
    'src/index.ts': `import { defineReducer, type StatusReport } from 'edgesum/plugin';

/** No options yet: add properties here and to the \`options\` schema below. */
type Options = Record<string, never>;
/** The accumulator: a \`type\`, not an \`interface\`, so TypeScript can prove it is JSON. */
type Acc = { ready: number; total: number };
type Summary = { ready: number; total: number; readyRatio: number | null };

function isReady(report: StatusReport): boolean {
  const status = report.status as { replicas?: unknown; readyReplicas?: unknown } | null;
  return typeof status?.replicas === 'number' && status.readyReplicas === status.replicas;
}

export default defineReducer<Options, Acc, Summary>({
  name: ${JSON.stringify(name)},
  version: '0.1.0',
  description: 'How many copies have every replica ready',
  options: { type: 'object', additionalProperties: false },
  init: () => ({ ready: 0, total: 0 }),
  add: (acc, report) => ({ ready: acc.ready + (isReady(report) ? 1 : 0), total: acc.total + 1 }),
  remove: (acc, report) => ({ ready: acc.ready - (isReady(report) ? 1 : 0), total: acc.total - 1 }),
  merge: (a, b) => ({ ready: a.ready + b.ready, total: a.total + b.total }),
  finish: (acc) => ({ ready: acc.ready, total: acc.total, readyRatio: acc.total === 0 ? null : acc.ready / acc.total }),
});
`,
    'fixtures/options.json': '{}\n',
    'fixtures/reports.jsonl': `${reports.join('\n')}\n`,
    'fixtures/expected.json': `${JSON.stringify({ ready: 4, total: 6, readyRatio: 4 / 6 }, null, 2)}\n`,
    'test/plugin.test.mjs': `import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { checkReducerLaws, loadReducer } from 'edgesum/testing';

const read = (path) => readFileSync(new URL(path, import.meta.url), 'utf8');
const reducer = await loadReducer(new URL('../src/index.ts', import.meta.url));
const options = JSON.parse(read('../fixtures/options.json'));
const reports = read('../fixtures/reports.jsonl').trim().split('\\n').map((line) => JSON.parse(line));
const ctx = { options, binding: 'test', level: { id: 'site-1', kind: 'site' }, now: '2026-01-01T00:00:00Z' };

test('folds the fixture reports into the expected summary', () => {
  const acc = reports.reduce((sum, report) => reducer.add(sum, report, ctx), reducer.init(ctx));
  assert.deepEqual(reducer.finish(acc, ctx), JSON.parse(read('../fixtures/expected.json')));
});

test('keeps the reducer laws on the fixture reports', () => {
  assert.deepEqual(checkReducerLaws(reducer, { options, reports }), []);
});
`,
  };
}

/** The policy template: a sliding window of children, halting on the first failure. */
export function policyFiles(name: string): Record<string, string> {
  const child = (id: string, state: string, since?: string) => ({ id, labels: {}, group: { name: 'default', index: 0 }, state, ...(since === undefined ? {} : { since }), summary: null });
  const input = (children: object[]) => ({
    rollout: { id: 'r1', workload: 'web', version: '2.0.0', startedAt: '2026-01-01T10:00:00Z' },
    level: 'region-1',
    now: '2026-01-01T10:05:00Z',
    memo: null,
    grant: { maxStarted: null, until: null },
    children,
  });
  const policyJson = `${JSON.stringify({ policy: '../../../src/index.ts', options: { maxInFlight: 2 } })}\n`;
  const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
  return {
    'src/index.ts': `import { definePolicy, type Decision } from 'edgesum/plugin';

type Options = { maxInFlight?: number };

export default definePolicy<Options>({
  name: ${JSON.stringify(name)},
  version: '0.1.0',
  description: 'At most maxInFlight children at a time; pause at the first failure',
  options: {
    type: 'object',
    additionalProperties: false,
    properties: { maxInFlight: { type: 'integer', minimum: 1 } },
  },
  decide(input, options): Decision {
    const children = input.children.filter((child) => child.state !== 'skipped');
    const inFlight = children.filter((child) => child.state === 'progressing').map((child) => child.id);
    const failed = children.filter((child) => child.state === 'failed' || child.state === 'timed-out');
    const timedOut = failed.filter((child) => child.state === 'timed-out').map((child) => child.id);
    if (failed.length > 0) {
      return { action: 'pause', targets: inFlight, timedOut, budgetExceeded: true, reason: \`\${failed.length} children failed\` };
    }
    if (children.every((child) => child.state === 'succeeded')) {
      return { action: 'complete', targets: [], timedOut, budgetExceeded: false, reason: 'every child succeeded' };
    }
    const room = Math.max(0, (options.maxInFlight ?? 1) - inFlight.length);
    const next = children.filter((child) => child.state === 'pending').slice(0, room).map((child) => child.id);
    return {
      action: next.length > 0 ? 'advance' : 'hold',
      targets: [...inFlight, ...next],
      timedOut,
      budgetExceeded: false,
      reason: next.length > 0 ? \`starting \${next.join(', ')}\` : \`waiting for \${inFlight.length} in flight\`,
    };
  },
});
`,
    'fixtures/cases/first-wave/policy.json': policyJson,
    'fixtures/cases/first-wave/input.json': json(input([child('site-1', 'succeeded', '2026-01-01T10:03:00Z'), child('site-2', 'progressing', '2026-01-01T10:01:00Z'), child('site-3', 'pending'), child('site-4', 'pending')])),
    'fixtures/cases/first-wave/expected.json': json({ action: 'advance', targets: ['site-2', 'site-3'], timedOut: [], budgetExceeded: false, reason: 'starting site-3' }),
    'fixtures/cases/halts-on-failure/policy.json': policyJson,
    'fixtures/cases/halts-on-failure/input.json': json(input([child('site-1', 'failed', '2026-01-01T10:03:00Z'), child('site-2', 'progressing', '2026-01-01T10:01:00Z'), child('site-3', 'pending')])),
    'fixtures/cases/halts-on-failure/expected.json': json({ action: 'pause', targets: ['site-2'], timedOut: [], budgetExceeded: true, reason: '1 children failed' }),
    'test/plugin.test.mjs': `import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { checkPolicyConformance, loadPolicy } from 'edgesum/testing';

const read = (path) => JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8'));
const policy = await loadPolicy(new URL('../src/index.ts', import.meta.url));
const cases = readdirSync(new URL('../fixtures/cases/', import.meta.url));

for (const name of cases) {
  const { options } = read(\`../fixtures/cases/\${name}/policy.json\`);
  const input = read(\`../fixtures/cases/\${name}/input.json\`);

  test(\`\${name}: decides as expected.json says\`, () => {
    assert.deepEqual(policy.decide(input, options), read(\`../fixtures/cases/\${name}/expected.json\`));
  });

  test(\`\${name}: keeps the policy laws\`, () => {
    assert.deepEqual(checkPolicyConformance(policy, { options, input }), []);
  });
}
`,
  };
}

/** The customizer template: copies labels of each level and destination into the object's labels. */
export function customizerFiles(name: string): Record<string, string> {
  const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
  const object = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'shop', labels: { app: 'web' } }, spec: { replicas: 2 } };
  const chain = [
    { id: 'center', kind: 'center', labels: {} },
    { id: 'eu', kind: 'region', labels: { region: 'eu' } },
    { id: 'eu-paris', kind: 'site', labels: { region: 'eu', zone: 'eu-west-3a' } },
  ];
  const destinations = [
    { id: 'edge-1', kind: 'destination', labels: { tier: 'gold' } },
    { id: 'edge-2', kind: 'destination', labels: { tier: 'bronze', zone: 'eu-west-3b' } },
  ];
  const rendered = (extra: Record<string, string>) => ({ ...object, metadata: { ...object.metadata, labels: { app: 'web', region: 'eu', zone: 'eu-west-3a', ...extra } } });
  return {
    'src/index.ts': `import { customizeFault, defineCustomizer, type Json, type JsonObject } from 'edgesum/plugin';

type Options = { labels?: string[] };

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export default defineCustomizer<Options>({
  name: ${JSON.stringify(name)},
  version: '0.1.0',
  description: "Copies the target's labels named in options.labels into metadata.labels",
  idempotent: true,
  options: {
    type: 'object',
    additionalProperties: false,
    properties: { labels: { type: 'array', items: { type: 'string', minLength: 1 } } },
  },
  customize(object, target, ctx) {
    if (!isObject(object)) throw customizeFault('', 'expected an object');
    const metadata = object.metadata ?? {};
    if (!isObject(metadata)) throw customizeFault('metadata', 'expected an object');
    const labels = metadata.labels ?? {};
    if (!isObject(labels)) throw customizeFault('metadata.labels', 'expected an object');
    // A new object: the one received may be shared with sibling targets.
    const copied: JsonObject = { ...labels };
    for (const key of ctx.options.labels ?? ['region']) {
      const value = target.labels[key];
      if (value !== undefined) copied[key] = value;
    }
    return { ...object, metadata: { ...metadata, labels: copied } };
  },
});
`,
    'fixtures/options.json': json({ labels: ['region', 'zone', 'tier'] }),
    'fixtures/object.json': json(object),
    'fixtures/targets.json': json({ chain, destinations }),
    'fixtures/expected.json': json({ 'edge-1': rendered({ tier: 'gold' }), 'edge-2': rendered({ tier: 'bronze', zone: 'eu-west-3b' }) }),
    'test/plugin.test.mjs': `import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { checkCustomizerLaws, loadCustomizer } from 'edgesum/testing';

const read = (path) => JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8'));
const customizer = await loadCustomizer(new URL('../src/index.ts', import.meta.url));
const options = read('../fixtures/options.json');
const object = read('../fixtures/object.json');
const { chain, destinations } = read('../fixtures/targets.json');
const expected = read('../fixtures/expected.json');
const now = '2026-01-01T00:00:00Z';

test('renders the fixture object for each destination as expected.json says', () => {
  const atSite = chain.reduce((rendered, level, i) => customizer.customize(rendered, level, { options, chain: chain.slice(0, i), now, pattern: 'test' }), object);
  for (const destination of destinations) {
    assert.deepEqual(customizer.customize(atSite, destination, { options, chain, now, pattern: 'test' }), expected[destination.id]);
  }
});

test('keeps the customizer laws on the fixtures', () => {
  assert.deepEqual(checkCustomizerLaws(customizer, { options, object, chain, destinations }), []);
});
`,
  };
}

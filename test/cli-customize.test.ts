import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../core/errors.js';
import { cli } from './support/cli.js';

const pattern = 'examples/customize/pattern.json';
const object = 'examples/customize/deployment.json';
const customize = (destination: string, labels: object, ...more: string[]) =>
  cli('customize', '--pattern', pattern, '--object', object, '--destination', destination, '--labels', JSON.stringify(labels), '--runner', 'inline', ...more);

interface Rendered {
  metadata: { annotations?: Record<string, string> };
  spec: { replicas: number; template: { metadata: { labels: Record<string, string> }; spec: { containers: { image: string; env: { name: string; value: string }[] }[] } } };
}
const env = (rendered: Rendered) => Object.fromEntries(rendered.spec.template.spec.containers[0]!.env.map((e) => [e.name, e.value]));

describe('edgesum customize', () => {
  it('renders the example for three destinations with different labels', async () => {
    const results = await Promise.all([
      customize('edge-eu-1', { region: 'eu', tier: 'gold' }, '--json'),
      customize('edge-eu-2', { region: 'eu', ring: 'canary' }, '--json'),
      customize('edge-us-1', { region: 'us' }, '--json'),
    ]);
    for (const result of results) expect([result.code, result.stderr]).toEqual([0, '']);
    const [gold, canary, us] = results.map((result) => JSON.parse(result.stdout) as Rendered);
    expect(env(gold!)).toEqual({ REGION: 'eu', TIER: 'gold', EDGE: 'edge-eu-1' });
    expect(env(canary!)).toEqual({ REGION: 'eu', TIER: 'standard', EDGE: 'edge-eu-2' });
    expect(env(us!)).toEqual({ REGION: 'us', TIER: 'standard', EDGE: 'edge-us-1' });
    expect([gold!.spec.replicas, canary!.spec.replicas, us!.spec.replicas]).toEqual([3, 1, 2]);
    expect(canary!.metadata.annotations).toEqual({ canary: 'true' });
    expect(us!.metadata.annotations).toBeUndefined();
    for (const rendered of [gold, canary, us]) expect(rendered!.spec.template.spec.containers[0]!.image).toBe('registry.example:5000/shop/web:1.5.0');
  });

  it('with --explain names which rule of which customizer changed which path', async () => {
    const { code, stdout } = await customize('edge-eu-2', { region: 'eu', ring: 'canary' }, '--explain');
    expect(code).toBe(0);
    const explained = stdout.slice(stdout.indexOf('changes for edge-eu-2:'));
    expect(explained.split('\n')).toEqual([
      'changes for edge-eu-2:',
      '  spec.template.spec.containers[0].image: builtin:image-tag container web (at center)',
      '  spec.template.metadata.labels.region: builtin:labels-template {{ .labels.region }} (at edge-eu-2)',
      '  spec.template.spec.containers[0].env[0].value: builtin:labels-template {{ .labels.region }} (at edge-eu-2)',
      '  spec.template.spec.containers[0].env[1].value: builtin:labels-template {{ .labels.tier }} (at edge-eu-2)',
      '  spec.template.spec.containers[0].env[2].value: builtin:labels-template {{ .id }} (at edge-eu-2)',
      '  metadata.annotations: builtin:overrides rules[1] canary (at edge-eu-2)',
      '  spec.replicas: builtin:overrides rules[1] canary (at edge-eu-2)',
      '',
    ]);
    const json = await customize('edge-eu-1', { region: 'eu' }, '--explain', '--json');
    expect((JSON.parse(json.stdout) as { changes: unknown[] }).changes).toContainEqual({ customizer: 'builtin:overrides', target: 'edge-eu-1', rule: 'rules[0] eu', path: 'spec.replicas' });
  });

  it("runs the README's example as written", () => {
    const readme = readFileSync('README.md', 'utf8');
    const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf('## Customization')))![1]!;
    const stdout = execFileSync('bash', ['-c', block], { encoding: 'utf8' });
    expect(stdout).toContain('"value": "edge-0001"');
    expect(stdout).toContain('  spec.replicas: builtin:overrides rules[1] canary (at edge-0001)\n');
  });

  it('fails with EDGESUM_CUSTOMIZE naming pattern, customizer, target and path for a missing label, and exits 1', async () => {
    const { code, stdout, stderr } = await customize('edge-x', {}, '--json');
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(JSON.parse(stderr)).toMatchObject({ error: { code: ErrorCodes.Customize, pattern: 'web', customizer: 'builtin:labels-template', target: 'edge-x', path: 'spec.template.metadata.labels.region' } });
  });

  describe('refuses hostile files with a typed error, never a crash', () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgesum-customize-'));
    const file = (name: string, text: string) => {
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    };
    const run = (patternFile: string, objectFile = object, ...more: string[]) => cli('customize', '--pattern', patternFile, '--object', objectFile, '--destination', 'edge-1', '--runner', 'inline', '--json', ...more);
    const errorOf = (stderr: string) => (JSON.parse(stderr) as { error: { code: string; message: string } }).error;

    it.each([
      ['not JSON', '{"name": ', ErrorCodes.InvalidInput, /line 1, column/],
      ['a pattern without steps', '{"name":"p","customizers":[]}', ErrorCodes.InvalidPattern, /customizers/],
      ['steps listed bottom up', '{"name":"p","customizers":[{"plugin":"builtin:image-tag","level":"site"},{"plugin":"builtin:overrides","level":"center","options":{"rules":[]}}]}', ErrorCodes.InvalidPattern, /customizers\[1\]\.level/],
      ['an unknown field', '{"name":"p","customizers":[{"plugin":"builtin:image-tag","level":"center","eval":"x"}]}', ErrorCodes.InvalidPattern, /eval/],
      ['an unknown plugin', '{"name":"p","customizers":[{"plugin":"builtin:nope","level":"center"}]}', ErrorCodes.UnknownPlugin, /nope/],
      ['a rule with an invalid selector', '{"name":"p","customizers":[{"plugin":"builtin:overrides","level":"destination","options":{"rules":[{"selector":{"matchExpressions":[{"key":"a","operator":"Near"}]}}]}}]}', ErrorCodes.InvalidOptions, /operator/],
      ['a reducer where a customizer belongs', '{"name":"p","customizers":[{"plugin":"builtin:health","level":"center"}]}', ErrorCodes.PluginLoad, /expected a customizer/],
      ['a __proto__ key', '{"name":"p","__proto__":{"x":1},"customizers":[{"plugin":"builtin:image-tag","level":"center"}]}', ErrorCodes.InvalidPattern, /__proto__|Unrecognized/],
      ['nesting 100,000 levels deep', `${'['.repeat(100_000)}${']'.repeat(100_000)}`, ErrorCodes.InvalidPattern, /./],
    ])('a pattern that is %s', async (_what, text, code, message) => {
      const result = await run(file(`p-${code}-${text.length}.json`, text));
      expect(result.code).toBeGreaterThan(0);
      expect(errorOf(result.stderr)).toMatchObject({ code, message: expect.stringMatching(message) });
      expect(result.stderr).not.toMatch(/\n\s+at /);
    });

    it('a patch on a path that does not exist, naming the path', async () => {
      const bad = file('bad-path.json', JSON.stringify({ name: 'p', customizers: [{ name: 'ov', plugin: 'builtin:overrides', level: 'destination', options: { rules: [{ selector: {}, patch: [{ op: 'remove', path: '/spec/nope' }] }] } }] }));
      const result = await run(bad);
      expect(result.code).toBe(1);
      expect(errorOf(result.stderr)).toMatchObject({ code: ErrorCodes.Customize, customizer: 'ov', target: 'edge-1', path: 'spec.nope' });
    });

    it('labels that are not a map of strings, a destination id with a newline, a missing object file', async () => {
      const ok = file('ok.json', JSON.stringify({ name: 'p', customizers: [{ plugin: 'builtin:image-tag', level: 'center' }] }));
      expect(errorOf((await run(ok, object, '--labels', '{"a": 1}')).stderr)).toMatchObject({ code: ErrorCodes.InvalidInput, message: expect.stringMatching(/--labels at a/) });
      expect(errorOf((await cli('customize', '--pattern', ok, '--object', object, '--destination', 'a\nb', '--json')).stderr).code).toBe(ErrorCodes.InvalidInput);
      const missing = await run(ok, join(dir, 'nope.json'));
      expect(errorOf(missing.stderr)).toMatchObject({ code: ErrorCodes.InvalidInput, message: expect.stringContaining('no such file') });
    });
  });
});

/**
 * `edgesum plugin check` on plugins that each break one law on purpose: it names the law, the hook
 * and the hook's source line, and shows a shrunk counterexample.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from './support/cli.js';

/** A scaffolded repository of `kind` whose plugin is the fixture `file`, importing the contract as a plugin author does. */
async function projectWith(kind: 'reducer' | 'policy' | 'customizer', file: string): Promise<string> {
  const dir = join(mkdtempSync(join(tmpdir(), 'edgesum-kit-')), 'plugin');
  expect((await cli('plugin', 'new', 'subject', '--kind', kind, '--dir', dir)).code).toBe(0);
  writeFileSync(join(dir, 'src', 'index.ts'), readFileSync(file, 'utf8').replace(/'(\.\.\/)+core\/contract\.js'/, "'edgesum/plugin'"));
  return dir;
}

const broken: { name: string; kind: 'reducer' | 'policy' | 'customizer'; file: string; law: string; hook: string; line: number }[] = [
  { name: 'an average of averages', kind: 'reducer', file: 'test/fixtures/plugins/average-of-averages.ts', law: 'partition-independence', hook: 'merge', line: 16 },
  { name: 'an order-dependent reducer', kind: 'reducer', file: 'test/fixtures/kit/order-dependent.ts', law: 'order-insensitivity', hook: 'add', line: 8 },
  { name: 'Math.random in add', kind: 'reducer', file: 'test/fixtures/kit/math-random.ts', law: 'randomness', hook: 'add', line: 8 },
  { name: 'Date.now() in add', kind: 'reducer', file: 'test/fixtures/kit/date-now-add.ts', law: 'clock', hook: 'add', line: 8 },
  { name: 'new Date() in finish', kind: 'reducer', file: 'test/fixtures/kit/date-now-finish.ts', law: 'clock', hook: 'finish', line: 10 },
  { name: 'an unbounded accumulator', kind: 'reducer', file: 'test/fixtures/kit/unbounded.ts', law: 'bounded-growth', hook: 'add', line: 8 },
  { name: 'a report mutated in add', kind: 'reducer', file: 'test/fixtures/kit/mutates-input.ts', law: 'no-mutation', hook: 'add', line: 8 },
  { name: 'a summary past the output limit on 10,000 reports', kind: 'reducer', file: 'test/fixtures/kit/big-summary.ts', law: 'limits', hook: 'finish', line: 20 },
  { name: 'Date.now() in a policy', kind: 'policy', file: 'test/fixtures/kit/date-now-policy.ts', law: 'clock', hook: 'decide', line: 7 },
  { name: 'a non-idempotent policy', kind: 'policy', file: 'test/fixtures/kit/non-idempotent-policy.ts', law: 'idempotence', hook: 'decide', line: 7 },
  { name: 'Date.now() in a customizer', kind: 'customizer', file: 'test/fixtures/kit/date-now-customizer.ts', law: 'clock', hook: 'customize', line: 7 },
  { name: 'a customizer declared idempotent that is not', kind: 'customizer', file: 'test/fixtures/kit/non-idempotent-customizer.ts', law: 'idempotence', hook: 'customize', line: 8 },
];

describe('edgesum plugin check', () => {
  for (const bad of broken) {
    it(`catches ${bad.name}, with its hook and its source line${bad.law === 'limits' ? '' : ', and a shrunk counterexample'}`, async () => {
      const dir = await projectWith(bad.kind, bad.file);
      const { code, stdout, stderr } = await cli('plugin', 'check', dir);
      expect(stderr).toBe('');
      expect(code).toBe(1);
      const heading = new RegExp(`^✗ ${bad.law} in ${bad.hook} \\(\\S*src/index\\.ts:${bad.line}:\\d+\\)$`, 'm');
      expect(stdout).toMatch(heading);
      const section = stdout.slice(stdout.search(heading)).split(/\n(?=✗)/)[0]!;
      if (bad.law !== 'limits') expect(section).toMatch(/\n {2}counterexample: /);
      // Every line of the counterexample is whole JSON: nothing is cut off.
      for (const line of section.split('\n').filter((text) => text.startsWith('    '))) expect(() => JSON.parse(line)).not.toThrow();
    });
  }

  it('stops a hook that never returns in the sandbox and reports it without hanging on the other laws', async () => {
    const dir = await projectWith('reducer', 'test/fixtures/plugins/loop.js');
    const { code, stdout } = await cli('plugin', 'check', dir);
    expect(code).toBe(1);
    expect(stdout).toMatch(/^✗ limits in add \(\S*src\/index\.ts:6:\d+\)$/m);
    expect(stdout).toContain('EDGESUM_PLUGIN_TIMEOUT');
    expect(stdout).toContain('the other laws were not checked');
  });

  it.each([
    ['policy', 'decide'],
    ['customizer', 'customize'],
  ] as const)('stops a %s whose %s never returns in the sandbox, without hanging on its laws', async (kind, hook) => {
    const dir = await projectWith(kind, `test/fixtures/kit/date-now-${kind}.ts`);
    writeFileSync(join(dir, 'src', 'index.ts'), `export default { name: 'spin', version: '1.0.0', ${hook}() { for (;;) {} } };\n`);
    const { code, stdout } = await cli('plugin', 'check', dir);
    expect(code).toBe(1);
    expect(stdout).toMatch(new RegExp(`^✗ limits in ${hook} \\(\\S*src/index\\.ts:1:\\d+\\)$`, 'm'));
    expect(stdout).toContain('EDGESUM_PLUGIN_TIMEOUT');
  });

  it('shrinks an average of averages to two reports in two parts, printed as JSON', async () => {
    const dir = await projectWith('reducer', 'test/fixtures/plugins/average-of-averages.ts');
    const { stdout } = await cli('plugin', 'check', dir, '--json');
    const { findings } = JSON.parse(stdout) as { findings: { law: string; counterexample?: { reports: unknown[]; partitions: string[][] } }[] };
    const found = findings.find((finding) => finding.law === 'partition-independence');
    expect(found?.counterexample?.partitions.length).toBeGreaterThanOrEqual(2);
    expect(found?.counterexample?.reports.length).toBeLessThanOrEqual(3);
  });
});

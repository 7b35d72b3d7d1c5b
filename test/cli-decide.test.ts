import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../core/errors.js';
import { cli } from './support/cli.js';

const casesDir = 'examples/policy-as-code/cases';
const read = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;

describe('edgesum decide', () => {
  for (const name of readdirSync(casesDir)) {
    it(`gives the expected decision for the example case ${name}`, async () => {
      const dir = join(casesDir, name);
      const { policy, options } = read(join(dir, 'policy.json')) as { policy: string; options: unknown };
      const { code, stdout, stderr } = await cli('decide', '--policy', policy, '--options', JSON.stringify(options), '--input', join(dir, 'input.json'), '--json');
      expect(stderr).toBe('');
      expect(code).toBe(0);
      expect(JSON.parse(stdout)).toEqual(read(join(dir, 'expected.json')));
    });
  }

  it('prints a human view with the action, targets and reason', async () => {
    const { code, stdout } = await cli('decide', '--policy', 'builtin:progressive', '--options', '{"maxConcurrency":"50%"}', '--input', join(casesDir, 'progressive-window', 'input.json'));
    expect(code).toBe(0);
    expect(stdout).toMatch(/progressive@.* at region-1: advance\n {2}targets: {2}site-2, site-3/);
  });

  it('refuses a policy input whose child state lacks since, naming the field', async () => {
    const bad = JSON.stringify({ ...read(join(casesDir, 'progressive-window', 'input.json')), children: [{ id: 'a', labels: {}, group: { name: 'g', index: 0 }, state: 'progressing', summary: null }] });
    const file = join(mkdtempSync(join(tmpdir(), 'edgesum-')), 'input.json');
    writeFileSync(file, bad);
    const { code, stderr } = await cli('decide', '--policy', 'builtin:all-at-once', '--input', file, '--json');
    expect(code).toBe(2);
    const { error } = JSON.parse(stderr) as { error: { code: string; message: string } };
    expect(error.code).toBe(ErrorCodes.InvalidPolicyInput);
    expect(error.message).toContain('children[0].since');
  });

  it('exits 2 naming the option for invalid policy options', async () => {
    const { code, stderr } = await cli('decide', '--policy', 'builtin:progressive', '--options', '{"maxConcurrency":"lots"}', '--input', join(casesDir, 'progressive-window', 'input.json'));
    expect(code).toBe(2);
    expect(stderr).toContain(ErrorCodes.InvalidOptions);
    expect(stderr).toContain('maxConcurrency');
  });
});

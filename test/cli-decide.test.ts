import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../core/errors.js';
import { cli } from './support/cli.js';

const casesDir = 'examples/policy-as-code/cases';
const read = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;

describe('edgesum decide', () => {
  it('passes every decision case of the policy-as-code example with --cases', async () => {
    const { code, stdout, stderr } = await cli('decide', '--cases', casesDir);
    expect(stderr).toBe('');
    expect(stdout).toMatch(/^4 passed, 0 failed$/m);
    expect(code).toBe(0);
  });

  it('prints where a decision differs from expected.json, path by path, and exits 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgesum-cases-'));
    cpSync(join(casesDir, 'progressive-window'), join(dir, 'window'), { recursive: true });
    const expected = read(join(dir, 'window', 'expected.json'));
    writeFileSync(join(dir, 'window', 'expected.json'), JSON.stringify({ ...expected, targets: ['site-9'], extra: true }));
    cpSync(join(casesDir, 'waves-canary'), join(dir, 'waves'), { recursive: true });
    const { code, stdout } = await cli('decide', '--cases', dir);
    expect(code).toBe(1);
    expect(stdout).toContain('FAIL window\n');
    expect(stdout).toContain('  targets[0]: expected "site-9", got "site-2"\n');
    expect(stdout).toContain('  extra: expected true, got (missing)\n');
    expect(stdout).toContain('ok   waves\n');
    expect(stdout).toMatch(/^1 passed, 1 failed$/m);
  });

  it('reports a case it cannot run, and still runs the others, in --json', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgesum-cases-'));
    cpSync(join(casesDir, 'waves-canary'), join(dir, 'a-good'), { recursive: true });
    mkdirSync(join(dir, 'b-broken'));
    writeFileSync(join(dir, 'b-broken', 'policy.json'), '{"policy": "./missing.ts"}');
    cpSync(join(casesDir, 'waves-canary', 'input.json'), join(dir, 'b-broken', 'input.json'));
    const { code, stdout } = await cli('decide', '--cases', dir, '--json');
    expect(code).toBe(1);
    const result = JSON.parse(stdout) as { passed: number; failed: number; cases: { name: string; ok: boolean; error?: { code: string } }[] };
    expect(result).toMatchObject({ passed: 1, failed: 1 });
    expect(result.cases[1]).toMatchObject({ name: 'b-broken', ok: false, error: { code: ErrorCodes.UnknownPlugin } });
  });

  it('exits 2 for a --cases folder without cases, and for --cases with --policy', async () => {
    expect((await cli('decide', '--cases', mkdtempSync(join(tmpdir(), 'edgesum-empty-')))).code).toBe(2);
    expect((await cli('decide', '--cases', casesDir, '--policy', 'builtin:waves')).code).toBe(2);
    expect((await cli('decide', '--policy', 'builtin:waves')).code).toBe(2);
  });

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

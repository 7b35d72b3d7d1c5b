import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../core/errors.js';

function edgesum(...args: string[]) {
  return spawnSync(process.execPath, ['bin/edgesum.js', ...args], { encoding: 'utf8' });
}

describe('the installed edgesum binary', () => {
  it('stops a looping reducer at its time limit, exits non-zero and prints the timeout code', () => {
    const result = edgesum('reduce', '--reducer', './test/fixtures/plugins/loop.js', '--reports', 'plugins/health/fixtures/reports.jsonl', '--time-limit', '300');
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(ErrorCodes.PluginTimeout);
    expect(result.stderr).toContain('300 ms time limit');
  });

  it('prints a machine-readable error with --json', () => {
    const result = edgesum('reduce', '--reducer', './test/fixtures/plugins/loop.js', '--reports', 'plugins/health/fixtures/reports.jsonl', '--time-limit', '300', '--json');
    expect(result.status).toBe(1);
    expect(JSON.parse(result.stderr)).toMatchObject({ error: { code: ErrorCodes.PluginTimeout, plugin: 'loop', hook: 'add' } });
  });

  it('runs a built-in reducer through the sandbox', () => {
    const result = edgesum('reduce', '--reducer', 'builtin:version-histogram', '--options', '{"field":"ref.kind"}', '--reports', 'plugins/health/fixtures/reports.jsonl', '--json');
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ total: 61 });
  });
});

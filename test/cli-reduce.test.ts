import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../core/errors.js';
import { builtinCases } from './support/builtins.js';
import { cli } from './support/cli.js';
import { deploymentReport, namespaceReport } from './support/reports.js';

const fixture = 'plugins/health/fixtures/reports.jsonl';

describe('edgesum reduce', () => {
  for (const builtin of builtinCases) {
    it(`prints byte-identical JSON with --partitions 7 and --partitions 1 for ${builtin.name}`, async () => {
      const args = ['reduce', '--reducer', builtin.reducer, '--options', JSON.stringify(builtin.options), '--reports', fixture, '--json'];
      const one = await cli(...args, '--partitions', '1');
      const seven = await cli(...args, '--partitions', '7');
      expect(one.stderr).toBe('');
      expect(one.code).toBe(0);
      expect(seven.code).toBe(0);
      expect(JSON.parse(one.stdout)).not.toBeNull();
      expect(seven.stdout).toBe(one.stdout);
    });
  }

  it('folds cluster-scoped objects', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgesum-'));
    const file = join(dir, 'ns.jsonl');
    writeFileSync(file, [namespaceReport('edge-1'), namespaceReport('edge-2', 'Terminating')].map((r) => JSON.stringify(r)).join('\n'));
    const { code, stdout } = await cli('reduce', '--reducer', 'builtin:version-histogram', '--options', '{"field":"status.phase"}', '--reports', file, '--json');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({ versions: { Active: 1, Terminating: 1 }, total: 2 });
  });

  it('reports a malformed line by line number and field path and still folds the valid ones', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgesum-'));
    const file = join(dir, 'mixed.jsonl');
    const bad = { ...deploymentReport('edge-2'), seq: 'seven' };
    writeFileSync(file, [JSON.stringify(deploymentReport('edge-1')), '{not json', JSON.stringify(bad), JSON.stringify(deploymentReport('edge-3'))].join('\n'));
    const { code, stdout, stderr } = await cli('reduce', '--reducer', 'builtin:version-histogram', '--reports', file, '--json');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({ versions: { '1.0.0': 2 }, total: 2 });
    expect(stderr).toContain(`line 2: ${ErrorCodes.InvalidInput}`);
    expect(stderr).toMatch(new RegExp(`line 3 \\(report 1\\): ${ErrorCodes.InvalidReport}: seq: `));
    const strict = await cli('reduce', '--reducer', 'builtin:version-histogram', '--reports', file, '--json', '--strict');
    expect(strict.code).toBe(1);
  });

  it('exits 2 naming the plugin for an unknown reducer', async () => {
    const { code, stderr } = await cli('reduce', '--reducer', 'builtin:nope', '--reports', fixture);
    expect(code).toBe(2);
    expect(stderr).toContain(ErrorCodes.UnknownPlugin);
    expect(stderr).toContain('"nope"');
  });

  it('exits 2 naming the option for invalid options', async () => {
    const { code, stderr } = await cli('reduce', '--reducer', 'builtin:top-k', '--options', '{"field":"status.x","k":"ten"}', '--reports', fixture, '--json');
    expect(code).toBe(2);
    const { error } = JSON.parse(stderr) as { error: { code: string; message: string } };
    expect(error.code).toBe(ErrorCodes.InvalidOptions);
    expect(error.message).toMatch(/reduce --options: option "k" of plugin top-k/);
  });

  it('exits 2 when --options is not JSON', async () => {
    const { code, stderr } = await cli('reduce', '--reducer', 'builtin:health', '--options', '{', '--reports', fixture);
    expect(code).toBe(2);
    expect(stderr).toContain('--options: not valid JSON');
  });

  it('exits 1 naming partition independence when K partitions give another summary than one', async () => {
    const { code, stdout, stderr } = await cli('reduce', '--reducer', './test/fixtures/plugins/average-of-averages.ts', '--reports', 'plugins/health/fixtures/reports.jsonl', '--partitions', '3', '--json');
    expect(code).toBe(1);
    expect(stdout).toBe('');
    const { error } = JSON.parse(stderr) as { error: { code: string; message: string } };
    expect(error.code).toBe(ErrorCodes.PluginLaw);
    expect(error.message).toMatch(/^average-of-averages breaks partition independence: the \d+ reports folded in 3 partitions and merged give a different summary than folded in one; at the top: /);
    expect((await cli('reduce', '--reducer', './test/fixtures/plugins/average-of-averages.ts', '--reports', 'plugins/health/fixtures/reports.jsonl', '--json')).code).toBe(0);
  });
});

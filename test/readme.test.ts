import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StatusReport } from '../core/contract.js';
import { loadReducer } from '../app/testing.js';
import { parseReports } from '../core/model/index.js';
import { latestReports, reduceOnce } from '../core/pipeline/index.js';
import { checkReducerLaws } from '../core/testing/index.js';
import { QuickJsRunner } from '../sandbox/index.js';
import { eventually, startNode } from './support/serve.js';

/** The README's "Writing a reducer" example, as written: `edgesum/plugin` resolves to this package. */
function readmeReducerSource(): string {
  const readme = readFileSync('README.md', 'utf8');
  const section = readme.slice(readme.indexOf('## Writing a reducer'));
  const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  expect(code, 'README has a ts block under "Writing a reducer"').toBeDefined();
  return code!;
}

describe('the README', () => {
  it('shows a reducer that obeys the merge laws and runs in the sandbox', async () => {
    // Inside the package, so the package's own name resolves as it does for a plugin author.
    mkdirSync('.tmp', { recursive: true });
    const file = resolve(mkdtempSync(join('.tmp', 'readme-')), 'ready-ratio.ts');
    writeFileSync(file, readmeReducerSource());
    const reports = latestReports(parseReports(readFileSync('plugins/health/fixtures/reports.jsonl', 'utf8').trim().split('\n').map((line) => JSON.parse(line) as unknown)).accepted).latest;

    const plugin = await loadReducer<Record<string, never>>(file);
    expect(checkReducerLaws(plugin, { options: {}, reports: reports as StatusReport[] })).toEqual([]);

    const runner = new QuickJsRunner();
    try {
      const handle = await runner.loadReducer({ spec: file, entry: file });
      const summary = await reduceOnce(handle, reports, { options: {}, now: '2026-11-24T10:00:00Z', partitions: 3 });
      expect(summary).toEqual({ readyRatio: expect.any(Number) });
    } finally {
      await runner.dispose();
    }
  });
});

describe("the README's serving example", () => {
  it('serves the example node, takes the report it posts with curl and shows it in the summary it reads', async () => {
    const readme = readFileSync('README.md', 'utf8');
    const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf('## Serving a level node')))![1]!;
    // One command per line that starts a command; the lines after it (continued, or inside its quotes) belong to it.
    const [serveLine, ...curl] = block.split('\n').reduce<string[]>((commands, line) => {
      if (/^(npm|curl) /.test(line)) commands.push(line);
      else if (commands.length > 0) commands[commands.length - 1] += `\n${line}`;
      return commands;
    }, []);
    const config = /--config (\S+)/.exec(serveLine!)![1]!;
    const node = await startNode(config, '--port', '0', '--data', mkdtempSync(join(tmpdir(), 'edgesum-readme-')));
    try {
      const run = (command: string) => execFileSync('bash', ['-c', command.replaceAll('http://127.0.0.1:7070', node.url)], { encoding: 'utf8' });
      expect(JSON.parse(run(curl[0]!))).toEqual({ accepted: 1, duplicates: 0, outOfOrder: 0, rejected: [] });
      const summary = await eventually(async () => {
        const value = JSON.parse(run(curl[1]!)) as { value: { counts: { healthy: number } } };
        return value.value.counts.healthy === 1 ? value : undefined;
      }, 'the summary to count the posted report');
      expect(summary).toMatchObject({ coverage: { expected: 100, reporting: 1 }, degraded: false });
    } finally {
      await node.kill('SIGTERM');
    }
  });
});

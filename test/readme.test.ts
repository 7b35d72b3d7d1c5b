import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StatusReport } from '../core/contract.js';
import { loadReducer } from '../app/testing.js';
import { parseReports } from '../core/model/index.js';
import { latestReports, reduceOnce } from '../core/pipeline/index.js';
import { checkReducerLaws } from '../core/testing/index.js';
import { QuickJsRunner } from '../sandbox/index.js';

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

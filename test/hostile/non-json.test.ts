/** A hook that returns something JSON cannot carry fails as EDGESUM_PLUGIN_OUTPUT in every runner, never converted quietly. */
import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../core/errors.js';
import type { PluginRunner } from '../../core/ports/plugin-runner.js';
import { InlineRunner, QuickJsRunner } from '../../sandbox/index.js';

const attacks = ['function', 'undefined', 'undefined-field', 'symbol', 'nan', 'infinity', 'bigint', 'promise', 'thenable', 'date', 'map', 'getter', 'cycle', 'hole'];
const report = (attack: string) => ({ destination: 'edge-1', seq: 1, observedAt: '2026-11-30T10:00:00Z', ref: { group: '', version: 'v1', kind: 'ConfigMap', name: 'x' }, status: { attack } });
const call = { options: {}, binding: 'b', level: { id: 'site-1', kind: 'site' as const }, now: '2026-11-30T10:00:00Z' };
const runners: PluginRunner[] = [];
afterAll(async () => {
  for (const runner of runners) await runner.dispose();
});

for (const make of [() => new QuickJsRunner({ limits: { timeMs: 60_000 } }), () => new InlineRunner()]) {
  const runner = make();
  runners.push(runner);
  describe(`the ${runner.name} runner`, () => {
    it.each(attacks)('refuses an accumulator that is %s as not JSON, naming where', async (attack) => {
      const handle = await runner.loadReducer({ spec: 'non-json', entry: resolve('test/fixtures/plugins/non-json.ts') });
      await expect(handle.reduce([[report(attack)]], call)).rejects.toMatchObject({ code: ErrorCodes.PluginOutput, message: expect.stringMatching(/not JSON: \$/) });
    });

    it('refuses the Promise an async add returns', async () => {
      const handle = await runner.loadReducer({ spec: 'async-add', entry: resolve('test/fixtures/plugins/async-add.ts') });
      await expect(handle.reduce([[report('x')]], call)).rejects.toMatchObject({ code: ErrorCodes.PluginOutput, message: expect.stringContaining('is a Promise') });
    });
  });
}

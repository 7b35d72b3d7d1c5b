/**
 * The clock and randomness laws of `checkCustomizerLaws`: a rendering must not change with the time
 * it is made nor with the seed of `Math.random`, on plain customizers and on loaded ones.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCustomizer } from '../app/testing.js';
import { defineCustomizer, type CustomizeTarget, type JsonObject } from '../core/contract.js';
import { checkCustomizerLaws } from '../core/testing/index.js';

const chain: CustomizeTarget[] = [
  { id: 'center', kind: 'center', labels: {} },
  { id: 'eu', kind: 'region', labels: {} },
  { id: 'paris', kind: 'site', labels: {} },
];
const setup = { options: {}, object: { spec: { replicas: 1 } }, chain, destinations: [{ id: 'edge-1', kind: 'destination' as const, labels: {} }] };

/** The laws on a customizer loaded with `loadCustomizer` that adds `body` to the object. */
async function checkLaws(body: string) {
  const file = join(mkdtempSync(join(tmpdir(), 'edgesum-laws-')), 'index.js');
  writeFileSync(file, `export default { name: 'subject', version: '1.0.0', customize(object) { return { ...object, ${body} }; } };\n`);
  return checkCustomizerLaws(await loadCustomizer(file), setup);
}

describe('checkCustomizerLaws on the clock and randomness', () => {
  it('reports a plain customizer that renders ctx.now into the object under clock, on customize', () => {
    const stamps = defineCustomizer<Record<string, never>>({ name: 'stamps', version: '1.0.0', customize: (object, _target, ctx) => ({ ...(object as JsonObject), at: ctx.now }) });
    const found = checkCustomizerLaws(stamps, setup);
    expect(found.map((violation) => [violation.law, violation.hook])).toEqual([['clock', 'customize']]);
    expect(found[0]!.message).toContain('destination edge-1 changed');
  });

  it('reports Math.random in a loaded customizer under randomness, and Date.now() under clock', async () => {
    expect((await checkLaws('pick: Math.random()')).map((violation) => violation.law)).toEqual(['randomness']);
    expect((await checkLaws('at: Date.now()')).map((violation) => violation.law)).toEqual(['clock']);
    expect(await checkLaws('replicas: 3')).toEqual([]);
  });
});

import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

/** Lints one line of code as if it were the file at `path`, and returns the layering messages. */
async function layering(path: string, code: string): Promise<string[]> {
  const [result] = await new ESLint().lintText(code, { filePath: path });
  return result!.messages.filter((message) => message.ruleId === 'edgesum/layering').map((message) => message.message);
}

describe('the layering lint rule', () => {
  it('refuses an import of the sandbox from core', async () => {
    expect(await layering('core/node/extra.ts', "export { QuickJsRunner } from '../../sandbox/index.js';\n")).toEqual([
      'core/node may not import sandbox (../../sandbox/index.js): see the layering in docs/architecture.md',
    ]);
  });

  it('refuses an import that would make a folder cycle inside core', async () => {
    expect(await layering('core/rollout/extra.ts', "import type { LevelNode } from '../node/index.js';\nexport type X = LevelNode;\n")).toHaveLength(1);
    expect(await layering('core/transport/extra.ts', "import type { Hierarchy } from '../node/index.js';\nexport type X = Hierarchy;\n")).toHaveLength(1);
  });

  it('refuses a built-in plugin importing anything but the contract', async () => {
    expect(await layering('plugins/health/extra.ts', "import { parseReports } from '../../core/model/index.js';\nexport const p = parseReports;\n")).toHaveLength(1);
    expect(await layering('plugins/health/extra.ts', "import { readPath } from '../../core/contract.js';\nexport const p = readPath;\n")).toEqual([]);
  });

  it('keeps the NATS transport out of core and lets the composition root load it', async () => {
    expect(await layering('core/node/extra.ts', "export { NatsTransport } from '../../nats/index.js';\n")).toHaveLength(1);
    expect(await layering('nats/extra.ts', "export { serveLevel } from '../app/serve.js';\n")).toHaveLength(1);
    expect(await layering('app/extra.ts', "export const load = () => import('../nats/index.js');\n")).toEqual([]);
  });

  it('lets the composition root wire core and the sandbox together', async () => {
    expect(await layering('app/extra.ts', "export { QuickJsRunner } from '../sandbox/index.js';\nexport { LevelNode } from '../core/node/index.js';\n")).toEqual([]);
  });
});

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** How a plugin imports the plugin contract. */
export const contractSpecifier = 'edgesum/plugin';

/**
 * This installation's plugin contract module: `.ts` in a checkout, `.js` once compiled. A plugin's
 * `edgesum/plugin` resolves to it, so a plugin builds wherever it lives — with edgesum in its own
 * `node_modules`, a global install or a checkout — and always against the helpers of the host it runs in.
 */
export function contractModule(): string {
  const ts = fileURLToPath(new URL('../core/contract.ts', import.meta.url));
  return existsSync(ts) ? ts : fileURLToPath(new URL('../core/contract.js', import.meta.url));
}

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { ErrorCodes, PluginLoadError } from '../core/errors.js';

/** A plugin module imported into the host process, with the code that identifies its build. */
export interface HostModule {
  readonly exports: { default?: unknown };
  /** The entry file's text, or the bundle's for TypeScript: what the plugin hash is computed from. */
  readonly code: string;
}

const typeScript = new Set(['.ts', '.mts', '.cts', '.tsx']);

/**
 * Imports a plugin module into the host process, for the inline runner and `edgesum/testing`.
 * JavaScript is imported as it is. TypeScript is bundled with esbuild into one ES module and
 * imported from memory: an installed edgesum runs on plain Node.js, which cannot import `.ts`
 * (and Node's own type stripping would not map a plugin's `./x.js` imports to `./x.ts`).
 *
 * @throws PluginLoadError naming the module and what failed.
 */
export async function importPluginModule(entry: string, spec: string = entry): Promise<HostModule> {
  try {
    if (!typeScript.has(extname(entry))) {
      const code = await readFile(entry, 'utf8');
      return { exports: (await import(pathToFileURL(entry).href)) as HostModule['exports'], code };
    }
    const result = await build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'node',
      target: 'es2022',
      sourcemap: 'inline',
      sourcesContent: false,
      logLevel: 'silent',
      plugins: [ownContractPlugin()],
    });
    const code = result.outputFiles[0]!.text;
    const url = `data:text/javascript;base64,${Buffer.from(code).toString('base64')}`;
    return { exports: (await import(url)) as HostModule['exports'], code };
  } catch (error) {
    const first = (error as { errors?: { text: string; location: { file: string; line: number; column: number } | null }[] }).errors?.[0];
    const why = first === undefined ? (error as Error).message : `${first.location === null ? '' : `${first.location.file}:${first.location.line}:${first.location.column + 1}: `}${first.text}`;
    throw new PluginLoadError(ErrorCodes.PluginLoad, `${spec}: cannot load ${entry}: ${why}`, { cause: error });
  }
}

/** How a plugin imports the plugin contract. */
export const contractSpecifier = 'edgesum/plugin';

/** This installation's plugin contract module: `.ts` in a checkout, `.js` once compiled. */
export function contractModule(): string {
  const ts = fileURLToPath(new URL('../core/contract.ts', import.meta.url));
  return existsSync(ts) ? ts : fileURLToPath(new URL('../core/contract.js', import.meta.url));
}

/**
 * Resolves `edgesum/plugin` to the contract of the edgesum that runs the plugin, so a plugin builds
 * wherever it lives — with edgesum in its own `node_modules`, a global install or a checkout — and
 * always against the helpers of the host it runs in.
 */
export function ownContractPlugin(): Plugin {
  return {
    name: 'edgesum-own-contract',
    setup(build) {
      build.onResolve({ filter: /^edgesum\/plugin$/ }, () => ({ path: contractModule() }));
    },
  };
}

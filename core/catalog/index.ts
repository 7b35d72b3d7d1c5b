import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorCodes, NotFoundError } from '../errors.js';
import type { PluginSource } from '../ports/plugin-runner.js';

const builtinPrefix = 'builtin:';
const entryNames = ['index.ts', 'index.js', 'index.mjs'];

/** Resolves plugin names (`builtin:NAME` or a path) to module files. */
export interface PluginCatalog {
  /** The built-in plugin names, sorted. */
  builtins(): string[];
  /** Resolves a spec, or throws `EDGESUM_UNKNOWN_PLUGIN` naming what was tried. */
  resolve(spec: string, where?: string): PluginSource;
}

/** The catalog over the repository's `plugins/` folder and the file system. */
export class FilePluginCatalog implements PluginCatalog {
  constructor(
    private readonly pluginsDir: string = defaultPluginsDir(),
    private readonly cwd: string = process.cwd(),
  ) {}

  builtins(): string[] {
    return readdirSync(this.pluginsDir)
      .filter((name) => entryNames.some((entry) => existsSync(join(this.pluginsDir, name, entry))))
      .sort();
  }

  resolve(spec: string, where = 'plugin'): PluginSource {
    if (spec.startsWith(builtinPrefix)) {
      const name = spec.slice(builtinPrefix.length);
      const entry = /^[a-z0-9-]+$/.test(name) ? findEntry(join(this.pluginsDir, name)) : undefined;
      if (entry === undefined) {
        throw new NotFoundError(ErrorCodes.UnknownPlugin, `${where}: unknown built-in plugin "${name}"; built-ins are ${this.builtins().join(', ')}`);
      }
      return { spec, entry };
    }
    const path = isAbsolute(spec) ? spec : resolve(this.cwd, spec);
    const stats = statOrUndefined(path);
    const entry = stats?.isDirectory() ? findEntry(path) : stats !== undefined ? path : undefined;
    if (entry === undefined) {
      // The spec as given, and where it led relative to the working directory: an absolute path
      // would tell whoever reads the output how this machine's file system is laid out.
      const looked = relative(this.cwd, path) || '.';
      throw new NotFoundError(ErrorCodes.UnknownPlugin, `${where}: no plugin module at "${spec}" (looked for ${looked}; use builtin:<name> or a path to a .ts/.js module)`);
    }
    return { spec, entry };
  }
}

function statOrUndefined(path: string): ReturnType<typeof statSync> | undefined {
  try {
    return statSync(path, { throwIfNoEntry: false });
  } catch {
    // Unreadable (EACCES, ELOOP, a name too long): no module there as far as the catalog can tell.
    return undefined;
  }
}

function findEntry(dir: string): string | undefined {
  for (const name of entryNames) {
    const candidate = join(dir, name);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

function defaultPluginsDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '../../plugins');
}

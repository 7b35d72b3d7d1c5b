import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildFailure, type Message, type Plugin } from 'esbuild';
import { ErrorCodes, PluginLoadError, type Issue } from '../core/errors.js';
import { hashCode } from './describe.js';
import { ownContractPlugin } from './module.js';
import type { PluginSource } from '../core/ports/plugin-runner.js';

/** A plugin module bundled with the guest shim into one script for the sandbox. */
export interface PluginBundle {
  /** The module that default-exports the plugin. */
  readonly entry: string;
  /** One classic script (IIFE) that defines the `__edgesum` guest global when evaluated. */
  readonly code: string;
  /** The source map of `code` (JSON), to point guest stack frames at the plugin's own files. */
  readonly sourceMap: string;
  /** The directory the source map's `sources` are relative to. */
  readonly sourceRoot: string;
  /** The file name the code is evaluated under; guest stack frames carry it. */
  readonly filename: string;
  /** {@link hashCode} of `code`: identifies the exact build that runs. */
  readonly hash: string;
}

/** The file name guest stack frames of a bundle carry. */
export const bundleFilename = 'edgesum-plugin.js';

const realmModule = 'edgesum:realm';

/**
 * Bundles a plugin module (JS or TS, with its npm imports) and the guest shim into one script.
 * Node built-ins cannot be imported: the sandbox has no host access, so that fails here, at build
 * time, with the importing file and line rather than at the first call.
 *
 * @throws PluginLoadError with `file:line:column` of the first problem, and every problem as issues.
 */
export async function bundlePlugin(source: PluginSource): Promise<PluginBundle> {
  const guest = guestModule('guest');
  const realm = guestModule('guest-realm');
  const outfile = join(dirname(source.entry), bundleFilename);
  // The realm module comes first so it runs before any plugin code (ES module evaluation order).
  const entryCode = [
    `import { realm } from ${JSON.stringify(realmModule)};`,
    `import { installEdgesum } from ${JSON.stringify(guest)};`,
    `import plugin from ${JSON.stringify(source.entry)};`,
    'installEdgesum(plugin, realm);',
  ].join('\n');
  try {
    const result = await build({
      stdin: { contents: entryCode, resolveDir: dirname(source.entry), sourcefile: 'edgesum-entry.js', loader: 'js' },
      bundle: true,
      write: false,
      format: 'iife',
      platform: 'neutral',
      // `neutral` resolves no package entry fields by default; npm packages need `module`/`main`.
      mainFields: ['module', 'main'],
      target: 'es2022',
      outfile,
      sourcemap: 'external',
      sourcesContent: false,
      legalComments: 'none',
      logLevel: 'silent',
      plugins: [guestRealmPlugin(realm), ownContractPlugin(), noHostModulesPlugin()],
    });
    const code = result.outputFiles.find((file) => file.path.endsWith('.js'))?.text;
    const sourceMap = result.outputFiles.find((file) => file.path.endsWith('.map'))?.text;
    if (code === undefined || sourceMap === undefined) {
      throw new PluginLoadError(ErrorCodes.PluginLoad, `${source.spec}: bundling ${source.entry} produced no script`);
    }
    return { entry: source.entry, code, sourceMap, sourceRoot: dirname(outfile), filename: bundleFilename, hash: hashCode(code) };
  } catch (error) {
    if (error instanceof PluginLoadError) throw error;
    throw toLoadError(source, error);
  }
}

/**
 * Bundles per entry file, rebuilding when the entry's modification time changes. Lives inside one
 * runner: nothing is cached across runners. Only the entry's own mtime is watched; an edit to an
 * imported file alone is picked up by a new runner.
 */
export class BundleCache {
  private readonly bundles = new Map<string, { readonly mtimeMs: number; readonly bundle: Promise<PluginBundle> }>();

  /** The bundle of `source`, built once per entry path and modification time. */
  async get(source: PluginSource): Promise<PluginBundle> {
    let mtimeMs: number;
    try {
      mtimeMs = (await stat(source.entry)).mtimeMs;
    } catch (error) {
      throw new PluginLoadError(ErrorCodes.PluginLoad, `${source.spec}: cannot read ${source.entry}: ${(error as Error).message}`, { cause: error });
    }
    const cached = this.bundles.get(source.entry);
    if (cached !== undefined && cached.mtimeMs === mtimeMs) return cached.bundle;
    const bundle = bundlePlugin(source);
    this.bundles.set(source.entry, { mtimeMs, bundle });
    // A failed build is not cached: the next load after a fix must rebuild even if mtime is coarse.
    bundle.catch(() => {
      if (this.bundles.get(source.entry)?.bundle === bundle) this.bundles.delete(source.entry);
    });
    return bundle;
  }
}

function guestModule(name: string): string {
  const ts = fileURLToPath(new URL(`./quickjs/${name}.ts`, import.meta.url));
  return existsSync(ts) ? ts : fileURLToPath(new URL(`./quickjs/${name}.js`, import.meta.url));
}

/** Serves the virtual module that installs the deterministic realm, so no file has that side effect. */
function guestRealmPlugin(realmFile: string): Plugin {
  return {
    name: 'edgesum-guest-realm',
    setup(build) {
      build.onResolve({ filter: /^edgesum:realm$/ }, () => ({ path: 'realm', namespace: 'edgesum' }));
      build.onLoad({ filter: /.*/, namespace: 'edgesum' }, () => ({
        contents: `import { installDeterministicRealm } from ${JSON.stringify(realmFile)};\nexport const realm = installDeterministicRealm(globalThis);\n`,
        resolveDir: dirname(realmFile),
        loader: 'js',
      }));
    },
  };
}

/**
 * Rejects imports of Node built-ins with a message that says why. A bare name that an installed npm
 * package provides (a browser polyfill such as `events`) still resolves to that package.
 */
function noHostModulesPlugin(): Plugin {
  const names = builtinModules.filter((name) => !name.startsWith('_')).map((name) => name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'));
  const filter = new RegExp(`^(node:.*|(${names.join('|')})(/.*)?)$`);
  // Marks the nested resolve that asks whether an npm package provides the name.
  const probe = Symbol('probe');
  const why = (path: string) => `cannot import "${path}": plugins run in a sandbox without host access (no Node built-ins, file system, network or timers)`;
  return {
    name: 'edgesum-no-host-modules',
    setup(build) {
      build.onResolve({ filter }, async (args) => {
        if (args.pluginData === probe) return undefined;
        if (args.path.startsWith('node:')) return { errors: [{ text: why(args.path) }] };
        const resolved = await build.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: probe });
        return resolved.errors.length > 0 ? { errors: [{ text: why(args.path) }] } : { path: resolved.path, namespace: resolved.namespace };
      });
    },
  };
}

function toLoadError(source: PluginSource, error: unknown): PluginLoadError {
  const messages: Message[] = isBuildFailure(error) ? error.errors : [];
  if (messages.length === 0) {
    return new PluginLoadError(ErrorCodes.PluginLoad, `${source.spec}: cannot bundle ${source.entry}: ${(error as Error).message}`, { cause: error });
  }
  const issues: Issue[] = messages.map((message) => ({ path: where(message), message: message.text }));
  const first = issues[0]!;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  return new PluginLoadError(ErrorCodes.PluginLoad, `${source.spec}: ${first.path ? `${first.path}: ` : ''}${first.message}${more}`, { issues, cause: error });
}

function where(message: Message): string {
  const location = message.location;
  return location === null ? '' : `${location.file}:${location.line}:${location.column + 1}`;
}

function isBuildFailure(error: unknown): error is BuildFailure {
  return error instanceof Error && Array.isArray((error as Partial<BuildFailure>).errors);
}

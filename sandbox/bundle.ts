import { constants, existsSync } from 'node:fs';
import { open, realpath, stat } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { dirname, extname, isAbsolute, join, parse, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildFailure, type Loader, type Message, type Plugin } from 'esbuild';
import { ErrorCodes, PluginLoadError, type Issue } from '../core/errors.js';
import { hashCode } from './describe.js';
import { contractModule, contractSpecifier } from './module.js';
import { guestGlobal } from './quickjs/protocol.js';
import type { PluginSource } from '../core/ports/plugin-runner.js';

/** One classic script for QuickJS, as every runtime evaluates it. */
export interface GuestScript {
  readonly code: string;
  /** The file name the code is evaluated under; guest stack frames carry it. */
  readonly filename: string;
  /** {@link hashCode} of `code`. */
  readonly hash: string;
}

/** A plugin module bundled into one script: for the sandbox, the script a runtime evaluates after the guest shim. */
export interface PluginBundle {
  /** The module that default-exports the plugin. */
  readonly entry: string;
  /**
   * One classic script (IIFE). For the sandbox it evaluates the plugin module and hands its default
   * export to the `__edgesum` global that {@link shim} defined.
   */
  readonly code: string;
  /**
   * Sandbox bundles only: the guest shim (deterministic realm, hardening, the `__edgesum` entry
   * point), the same for every plugin, which every runtime evaluates before {@link code}.
   */
  readonly shim?: GuestScript;
  /** The source map of `code` (JSON), to point guest stack frames at the plugin's own files. */
  readonly sourceMap: string;
  /** The directory the source map's `sources` are relative to. */
  readonly sourceRoot: string;
  /** The file name the code is evaluated under; guest stack frames carry it. */
  readonly filename: string;
  /** {@link hashCode} of `code`: identifies the exact build that runs. */
  readonly hash: string;
}

/** A bundle built for the sandbox: it carries the guest shim. */
export type SandboxBundle = PluginBundle & { readonly shim: GuestScript };

/** The file name guest stack frames of a bundle carry. */
export const bundleFilename = 'edgesum-plugin.js';

/** The file name guest stack frames of the shim carry: never mapped to a plugin's sources. */
export const shimFilename = 'edgesum-guest.js';

const realmModule = 'edgesum:realm';

/**
 * What a bundle is for: `sandbox`, one script that installs the guest shim in QuickJS; `host`, one
 * function expression `(Date, Math, export) => void` the inline runner evaluates in the host
 * process, handing the plugin its `Date` and `Math` as bindings (its globals are never touched)
 * and receiving the default export.
 */
export type BundleTarget = 'sandbox' | 'host';

/** The parameter through which a host bundle hands back the plugin. */
const hostExport = '__edgesumExport';
const hostBanner = `(function (Date, Math, ${hostExport}) {`;

/** The largest source file a bundle may read, in bytes. */
export const maxSourceFileBytes = 8 * 1024 * 1024;

/** The most a bundle may read over all its source files, in bytes. */
export const maxBundleSourceBytes = 32 * 1024 * 1024;

/** What a bundle may be built from, by file extension: JavaScript, TypeScript and JSON sources only. */
const sourceLoaders: Readonly<Record<string, Loader>> = {
  '.js': 'js',
  '.mjs': 'js',
  '.cjs': 'js',
  '.jsx': 'jsx',
  '.ts': 'ts',
  '.mts': 'ts',
  '.cts': 'ts',
  '.tsx': 'tsx',
  '.json': 'json',
};

/**
 * Bundles a plugin module (JS or TS, with its npm imports) into one script; a sandbox bundle carries
 * the guest shim (`shim`, built by {@link bundleGuestShim} unless given) beside it.
 * Node built-ins cannot be imported: the sandbox has no host access, so that fails here, at build
 * time, with the importing file and line rather than at the first call.
 *
 * Bundling reads host files, so it reads only what a plugin may ship: JavaScript, TypeScript and
 * JSON sources (no import attribute may choose another loader: a text import of `/etc/passwd` would
 * put the file into the bundle), regular files only (a FIFO or `/dev/zero` would be read forever),
 * at most {@link maxSourceFileBytes} each and {@link maxBundleSourceBytes} in all, and only from
 * the plugin's own package (see {@link allowedRoots}) once every symbolic link is followed. The
 * `package.json` files esbuild reads on its own while it resolves imports are checked the same way
 * before it reads them, and it reads no `tsconfig.json`: plugins compile with TypeScript's defaults.
 *
 * @throws PluginLoadError with `file:line:column` of the first problem, and every problem as issues;
 *   a refused import is named, never its contents.
 */
export async function bundlePlugin(source: PluginSource, target: BundleTarget = 'sandbox', shim?: Promise<GuestScript>): Promise<PluginBundle> {
  const guestShim = target === 'sandbox' ? (shim ?? bundleGuestShim()) : undefined;
  // Settled below; until then a failed shim build must not surface as an unhandled rejection.
  guestShim?.catch(() => {});
  const roots = await allowedRoots(source.entry);
  const outfile = join(dirname(source.entry), bundleFilename);
  const handOver = target === 'sandbox' ? `${guestGlobal}.install(plugin);` : `${hostExport}(plugin);`;
  const entryCode = `import plugin from ${JSON.stringify(source.entry)};\n${handOver}`;
  try {
    const result = await build({
      ...(target === 'host' ? { banner: { js: hostBanner }, footer: { js: '})' } } : {}),
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
      // esbuild would read every tsconfig.json and jsconfig.json above each source, and whatever
      // file one `extends`, outside the checks below: plugins compile with TypeScript's defaults.
      tsconfigRaw: {},
      plugins: [confinedSourcesPlugin(roots)],
    });
    const code = result.outputFiles.find((file) => file.path.endsWith('.js'))?.text;
    const sourceMap = result.outputFiles.find((file) => file.path.endsWith('.map'))?.text;
    if (code === undefined || sourceMap === undefined) {
      throw new PluginLoadError(ErrorCodes.PluginLoad, `${source.spec}: bundling ${source.entry} produced no script`, { plugin: source.spec });
    }
    const bundle = { entry: source.entry, code, sourceMap, sourceRoot: dirname(outfile), filename: bundleFilename, hash: hashCode(code) };
    return guestShim === undefined ? bundle : { ...bundle, shim: await guestShim };
  } catch (error) {
    if (error instanceof PluginLoadError) throw error;
    throw toLoadError(source, error);
  }
}

/**
 * Bundles the guest shim: the deterministic realm (`guest-realm.ts`, installed and hardened first)
 * and the `__edgesum` entry point (`guest.ts`), one script that every plugin runtime evaluates
 * before the plugin's own. It reads only this installation's own files.
 *
 * @throws PluginLoadError if the installation's shim sources cannot be bundled.
 */
export async function bundleGuestShim(): Promise<GuestScript> {
  const guest = guestModule('guest');
  const entryCode = [`import { realm } from ${JSON.stringify(realmModule)};`, `import { installGuest } from ${JSON.stringify(guest)};`, 'installGuest(realm);'].join('\n');
  try {
    const result = await build({
      stdin: { contents: entryCode, resolveDir: dirname(guest), sourcefile: 'edgesum-guest-entry.js', loader: 'js' },
      bundle: true,
      write: false,
      format: 'iife',
      platform: 'neutral',
      target: 'es2022',
      legalComments: 'none',
      logLevel: 'silent',
      tsconfigRaw: {},
      plugins: [guestRealmPlugin(guestModule('guest-realm'))],
    });
    const code = result.outputFiles[0]?.text;
    if (code === undefined) throw new PluginLoadError(ErrorCodes.PluginLoad, `edgesum: bundling the guest shim ${guest} produced no script`);
    return { code, filename: shimFilename, hash: hashCode(code) };
  } catch (error) {
    if (error instanceof PluginLoadError) throw error;
    throw toLoadError({ spec: 'edgesum guest shim', entry: guest }, error);
  }
}

/**
 * Bundles per entry file, rebuilding when the entry's modification time changes. Lives inside one
 * runner: nothing is cached across runners. Only the entry's own mtime is watched; an edit to an
 * imported file alone is picked up by a new runner.
 */
export class BundleCache {
  private readonly bundles = new Map<string, { readonly mtimeMs: number; readonly bundle: Promise<PluginBundle> }>();
  private shim: Promise<GuestScript> | undefined;

  /** The bundle of `source`, built once per entry path and modification time. */
  async get(source: PluginSource): Promise<PluginBundle> {
    let mtimeMs: number;
    try {
      mtimeMs = (await stat(source.entry)).mtimeMs;
    } catch (error) {
      throw new PluginLoadError(ErrorCodes.PluginLoad, `${source.spec}: cannot read ${source.entry}: ${(error as Error).message}`, { plugin: source.spec, cause: error });
    }
    const cached = this.bundles.get(source.entry);
    if (cached !== undefined && cached.mtimeMs === mtimeMs) return cached.bundle;
    const bundle = bundlePlugin(source, 'sandbox', this.guestShim());
    this.bundles.set(source.entry, { mtimeMs, bundle });
    // A failed build is not cached: the next load after a fix must rebuild even if mtime is coarse.
    bundle.catch(() => {
      if (this.bundles.get(source.entry)?.bundle === bundle) this.bundles.delete(source.entry);
    });
    return bundle;
  }

  /** The guest shim every bundle of this cache carries, built once. */
  guestShim(): Promise<GuestScript> {
    if (this.shim === undefined) {
      const shim = bundleGuestShim();
      this.shim = shim;
      // A failed build is not cached either.
      shim.catch(() => {
        if (this.shim === shim) this.shim = undefined;
      });
    }
    return this.shim;
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
 * The directories (and single files) a plugin's bundle may read from, with every symbolic link
 * resolved: the plugin's directory; the package it sits in (the nearest directory upward with a
 * `package.json`), `node_modules` included; the `node_modules` folders Node would search from the
 * plugin's directory; and of the edgesum installation, the plugin contract, the built-in plugins
 * (which share code with each other). The guest shim is bundled on its own (see {@link bundleGuestShim}).
 */
async function allowedRoots(entry: string): Promise<string[]> {
  const dir = dirname(resolve(entry));
  const candidates = [dir, ...installationRoots()];
  for (let at = dir; ; at = dirname(at)) {
    candidates.push(join(at, 'node_modules'));
    if (existsSync(join(at, 'package.json')) && !candidates.includes(at)) candidates.push(at);
    if (dirname(at) === at) break;
  }
  const roots = await Promise.all(candidates.map((path) => realpath(path).catch(() => undefined)));
  return [...new Set(roots.filter((root): root is string => root !== undefined))];
}

function installationRoots(): string[] {
  const install = fileURLToPath(new URL('../', import.meta.url));
  return [join(install, 'core', 'contract.ts'), join(install, 'core', 'contract.js'), join(install, 'plugins')];
}

function within(path: string, roots: readonly string[]): boolean {
  return roots.some((root) => {
    const rest = relative(root, path);
    return rest === '' || (!rest.startsWith('..') && !isAbsolute(rest));
  });
}

/**
 * Resolves every import with esbuild's own rules, then lets through only what {@link bundlePlugin}
 * may read, and reads it itself (esbuild never opens a plugin file). Node built-ins are refused
 * with a message that says why; a bare name that an installed npm package provides (a browser
 * polyfill such as `events`) still resolves to that package.
 */
function confinedSourcesPlugin(roots: readonly string[]): Plugin {
  const names = builtinModules.filter((name) => !name.startsWith('_')).map((name) => name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'));
  const builtin = new RegExp(`^(node:.*|(${names.join('|')})(/.*)?)$`);
  // Marks the nested resolve that asks esbuild where an import leads.
  const probe = Symbol('probe');
  const noHost = (path: string) => `cannot import "${path}": plugins run in a sandbox without host access (no Node built-ins, file system, network or timers)`;
  const refuse = (path: string, why: string) => ({ errors: [{ text: `cannot import "${path}": ${why}` }] });
  return {
    name: 'edgesum-confined-sources',
    setup(build) {
      let bytesRead = 0;
      const manifests = new ManifestCheck();
      build.onResolve({ filter: /.*/ }, async (args) => {
        if (args.pluginData === probe) return undefined;
        if (args.path.startsWith('node:')) return { errors: [{ text: noHost(args.path) }] };
        const attributes = Object.entries(args.with);
        const jsonOnly = attributes.length === 1 && attributes[0]![0] === 'type' && attributes[0]![1] === 'json';
        if (attributes.length > 0 && !jsonOnly) return refuse(args.path, `import attributes (${attributes.map(([key, value]) => `${key}: '${value}'`).join(', ')}) are not allowed: a plugin imports JavaScript, TypeScript and JSON only`);
        // `edgesum/plugin` is the contract of the edgesum that runs the plugin, wherever the plugin lives.
        const specifier = args.path === contractSpecifier ? contractModule() : args.path;
        const manifest = await manifests.before(specifier, args.resolveDir);
        if (manifest !== undefined) return refuse(args.path, manifest);
        const resolved = await build.resolve(specifier, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: probe, with: args.with });
        if (resolved.errors.length > 0) return builtin.test(args.path) ? { errors: [{ text: noHost(args.path) }] } : { errors: resolved.errors };
        if (resolved.external || resolved.namespace !== 'file') return { path: resolved.path, namespace: resolved.namespace, external: resolved.external };
        let real: string;
        try {
          real = await realpath(resolved.path);
        } catch {
          return refuse(args.path, 'the file cannot be found');
        }
        if (!within(real, roots)) return refuse(args.path, `${real} is outside the plugin's package`);
        const found = await stat(real);
        if (!found.isFile()) return refuse(args.path, `${real} is not a regular file`);
        const loader = sourceLoaders[extname(real).toLowerCase()];
        if (loader === undefined) return refuse(args.path, `${parse(real).base} is not a JavaScript, TypeScript or JSON source`);
        if (jsonOnly && loader !== 'json') return refuse(args.path, `${parse(real).base} is not JSON`);
        if (found.size > maxSourceFileBytes) return refuse(args.path, `${real} has ${found.size} bytes, above the ${maxSourceFileBytes} byte limit of one source file`);
        return { path: real, pluginData: { loader } };
      });
      build.onLoad({ filter: /.*/, namespace: 'file' }, async (args) => {
        const loader = (args.pluginData as { loader?: Loader } | undefined)?.loader;
        // Every file path comes from onResolve above; one that did not is not read.
        if (loader === undefined) return { errors: [{ text: `cannot read "${args.path}": it was not resolved as a plugin source` }] };
        const contents = await readSource(args.path, Math.min(maxSourceFileBytes, maxBundleSourceBytes - bytesRead));
        if (typeof contents === 'string') return { errors: [{ text: `cannot read "${args.path}": ${contents}` }] };
        bytesRead += contents.byteLength;
        return { contents, loader, resolveDir: dirname(args.path) };
      });
    },
  };
}

/**
 * Checks the `package.json` files esbuild's resolver will read on its own while it resolves an
 * import (it reads the one of every directory it looks into, and of each directory above), before
 * it looks: each must be absent or a regular file of at most {@link maxSourceFileBytes}. Reading
 * one that is a FIFO or `/dev/zero` would never end. The directories are those on the way to a
 * relative or absolute import, and for a package name, the package's directory in every
 * `node_modules` Node would search and the directories its `exports`, `main` and `module` lead to.
 */
class ManifestCheck {
  /** The problem with a directory's `package.json`, or undefined, by directory. */
  private readonly checked = new Map<string, Promise<string | undefined>>();

  /** The first problem on the way to `specifier` imported from `resolveDir`, or undefined. */
  async before(specifier: string, resolveDir: string): Promise<string | undefined> {
    const problem = await this.upFrom(resolveDir);
    if (problem !== undefined || specifier.startsWith('#') || resolveDir === '') return problem;
    if (specifier.startsWith('.') || isAbsolute(specifier)) return this.upFrom(resolve(resolveDir, specifier));
    const parts = specifier.split('/');
    const name = parts.slice(0, specifier.startsWith('@') ? 2 : 1).join('/');
    const subpath = parts.slice(specifier.startsWith('@') ? 2 : 1).join('/');
    for (let at = resolve(resolveDir); ; at = dirname(at)) {
      const root = join(at, 'node_modules', name);
      const problem = await this.upFrom(join(root, subpath));
      // Like Node, the resolver stops at the first `node_modules` that holds the package.
      if (problem !== undefined || existsSync(root)) return problem ?? (await this.targetsOf(root));
      if (dirname(at) === at) return undefined;
    }
  }

  /** The first problem in `dir` or any directory above it. */
  private async upFrom(dir: string): Promise<string | undefined> {
    for (let at = dir; ; at = dirname(at)) {
      const problem = await this.at(at);
      if (problem !== undefined || dirname(at) === at) return problem;
    }
  }

  /** The first problem on the way from a package's directory to what its manifest points at. */
  private async targetsOf(root: string): Promise<string | undefined> {
    const text = await readSource(join(root, 'package.json'), maxSourceFileBytes);
    if (typeof text === 'string') return undefined;
    let manifest: unknown;
    try {
      manifest = JSON.parse(new TextDecoder().decode(text));
    } catch {
      return undefined;
    }
    for (const target of manifestTargets(manifest)) {
      const problem = await this.upFrom(join(root, dirname(target.replace(/\*.*$/, 'x'))));
      if (problem !== undefined) return problem;
    }
    return undefined;
  }

  private at(dir: string): Promise<string | undefined> {
    let problem = this.checked.get(dir);
    if (problem === undefined) {
      problem = checkManifest(join(dir, 'package.json'));
      this.checked.set(dir, problem);
    }
    return problem;
  }
}

async function checkManifest(file: string): Promise<string | undefined> {
  let found;
  try {
    found = await stat(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // Absent (or under something that is not a directory): esbuild finds nothing to read either.
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    return `${file} cannot be examined (${code ?? 'error'})`;
  }
  if (!found.isFile()) return `${file}, which the bundler would read while it resolves the import, is not a regular file`;
  if (found.size > maxSourceFileBytes) return `${file} has ${found.size} bytes, above the ${maxSourceFileBytes} byte limit of one file`;
  return undefined;
}

/** Every relative path a package manifest's `exports`, `main` and `module` name. */
function manifestTargets(manifest: unknown): string[] {
  const targets: string[] = [];
  const collect = (value: unknown): void => {
    if (typeof value === 'string') {
      if (value.startsWith('./')) targets.push(value);
    } else if (typeof value === 'object' && value !== null) {
      for (const nested of Object.values(value)) collect(nested);
    }
  };
  if (typeof manifest === 'object' && manifest !== null) {
    const { exports, main, module } = manifest as Record<string, unknown>;
    collect(exports);
    for (const entry of [main, module]) if (typeof entry === 'string') targets.push(entry.startsWith('./') ? entry : `./${entry}`);
  }
  return targets;
}

/**
 * Reads a regular file of at most `limit` bytes, or says why not. Opened without blocking and
 * checked through the open descriptor, so a file swapped for a FIFO or a device after it was
 * resolved is refused rather than read forever.
 */
async function readSource(path: string, limit: number): Promise<Uint8Array | string> {
  let file;
  try {
    file = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  } catch (error) {
    return `the file cannot be opened (${(error as NodeJS.ErrnoException).code ?? 'error'})`;
  }
  try {
    const found = await file.stat();
    if (!found.isFile()) return 'it is not a regular file';
    if (found.size > limit) return `the plugin's sources would pass ${limit === maxSourceFileBytes ? `the ${maxSourceFileBytes} byte limit of one file` : `the ${maxBundleSourceBytes} byte limit of a bundle`}`;
    // One byte more than allowed tells a file that grew since it was measured.
    const buffer = new Uint8Array(found.size + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await file.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length === buffer.length) return 'it changed while it was read';
    }
    return buffer.subarray(0, length);
  } finally {
    await file.close();
  }
}

function toLoadError(source: PluginSource, error: unknown): PluginLoadError {
  const messages: Message[] = isBuildFailure(error) ? error.errors : [];
  if (messages.length === 0) {
    return new PluginLoadError(ErrorCodes.PluginLoad, `${source.spec}: cannot bundle ${source.entry}: ${(error as Error).message}`, { plugin: source.spec, cause: error });
  }
  const issues: Issue[] = messages.map((message) => ({ path: where(message), message: message.text }));
  const first = issues[0]!;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  return new PluginLoadError(ErrorCodes.PluginLoad, `${source.spec}: ${first.path ? `${first.path}: ` : ''}${first.message}${more}`, { plugin: source.spec, issues, cause: error });
}

function where(message: Message): string {
  const location = message.location;
  return location === null ? '' : `${location.file}:${location.line}:${location.column + 1}`;
}

function isBuildFailure(error: unknown): error is BuildFailure {
  return error instanceof Error && Array.isArray((error as Partial<BuildFailure>).errors);
}

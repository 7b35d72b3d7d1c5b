import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { ErrorCodes, ValidationError } from '../../core/errors.js';
import { bundlePlugin, contractModule } from '../../sandbox/index.js';
import type { Output } from '../io.js';
import { shown, type PluginProject } from './project.js';

/** The part of the TypeScript compiler API `edgesum plugin build` uses. */
interface TypeScriptApi {
  readonly version: string;
  readonly sys: { readFile(path: string): string | undefined; fileExists(path: string): boolean; readDirectory: unknown };
  readConfigFile(path: string, read: (path: string) => string | undefined): { config?: unknown; error?: Diagnostic };
  parseJsonConfigFileContent(json: unknown, host: unknown, basePath: string): { options: object; fileNames: string[]; errors: Diagnostic[] };
  createProgram(files: readonly string[], options: object): { getSourceFiles(): unknown };
  getPreEmitDiagnostics(program: unknown): readonly Diagnostic[];
  flattenDiagnosticMessageText(text: unknown, newLine: string): string;
}

interface Diagnostic {
  readonly file?: { readonly fileName: string; getLineAndCharacterOfPosition(at: number): { line: number; character: number } };
  readonly start?: number;
  readonly code: number;
  readonly category: number;
  readonly messageText: unknown;
}

/** TypeScript's `DiagnosticCategory.Error`. */
const errorCategory = 1;

/**
 * The TypeScript compiler of the plugin's own repository (its `devDependencies`, as
 * `edgesum plugin new` writes them), so the plugin is checked with the TypeScript version its
 * author chose, and edgesum does not carry a compiler for everyone who only embeds it. A checkout
 * of edgesum falls back to its own.
 */
async function typescriptOf(project: PluginProject): Promise<TypeScriptApi> {
  for (const from of [join(project.dir, 'package.json'), import.meta.url]) {
    let path: string;
    try {
      path = createRequire(from).resolve('typescript');
    } catch {
      continue;
    }
    const loaded = (await import(path)) as { default?: TypeScriptApi } & TypeScriptApi;
    return loaded.default ?? loaded;
  }
  throw new ValidationError(ErrorCodes.Usage, `plugin build: TypeScript is not installed in ${shown(project.dir)}; run npm install --save-dev typescript there`);
}

/** `src/index.ts:3:7 - error TS2322: Type 'string' is not assignable to type 'number'.` */
function formatDiagnostic(ts: TypeScriptApi, diagnostic: Diagnostic, dir: string): string {
  const text = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
  if (diagnostic.file === undefined || diagnostic.start === undefined) return `error TS${diagnostic.code}: ${text}`;
  const { line, character } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
  return `${relative(dir, diagnostic.file.fileName)}:${line + 1}:${character + 1} - error TS${diagnostic.code}: ${text}`;
}

/**
 * The type errors of a plugin repository, checked with its `tsconfig.json` (or, without one, the
 * plugin module alone under `strict`), as `file:line:col - error TSxxxx: message` lines.
 */
export async function typeErrors(project: PluginProject): Promise<string[]> {
  const ts = await typescriptOf(project);
  const configPath = join(project.dir, 'tsconfig.json');
  let files = [project.source.entry];
  let options: object = { strict: true, noEmit: true, skipLibCheck: true, target: 9, module: 199, moduleResolution: 99 };
  if (ts.sys.fileExists(configPath)) {
    const read = ts.readConfigFile(configPath, (path) => ts.sys.readFile(path));
    if (read.error !== undefined) return [formatDiagnostic(ts, read.error, project.dir)];
    const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, project.dir);
    if (parsed.errors.length > 0) return parsed.errors.map((error) => formatDiagnostic(ts, error, project.dir));
    files = parsed.fileNames.length > 0 ? parsed.fileNames : files;
    options = { ...parsed.options, noEmit: true };
  }
  // As in the bundle, `edgesum/plugin` is the contract of the edgesum that builds the plugin.
  const paths = { ...(options as { paths?: Record<string, string[]> }).paths, 'edgesum/plugin': [contractModule().replace(/\.js$/, '.d.ts')] };
  const program = ts.createProgram(files, { ...options, paths });
  return ts
    .getPreEmitDiagnostics(program)
    .filter((diagnostic) => diagnostic.category === errorCategory)
    .map((diagnostic) => formatDiagnostic(ts, diagnostic, project.dir));
}

/** Where `edgesum plugin build` writes the sandbox bundle. */
export const bundleOut = join('dist', 'edgesum-plugin.js');

/**
 * `edgesum plugin build`: type-checks the repository, then bundles the plugin into the script the
 * sandbox evaluates after its guest shim, with its source map beside it (`dist/edgesum-plugin.js` and
 * `.map`). Type errors are printed as `file:line:col` and exit 1; nothing is written then.
 */
export async function buildCommand(project: PluginProject, deps: { output: Output; json: boolean }): Promise<number> {
  const errors = await typeErrors(project);
  if (errors.length > 0) {
    if (deps.json) deps.output.out(`${JSON.stringify({ ok: false, errors })}\n`);
    else deps.output.err(`${errors.join('\n')}\n${errors.length} type error${errors.length === 1 ? '' : 's'}; nothing was built\n`);
    return 1;
  }
  const bundle = await bundlePlugin(project.source);
  const out = join(project.dir, bundleOut);
  mkdirSync(dirname(out), { recursive: true });
  // The map's sources are relative to the plugin's folder; the map now sits in dist/.
  const map = JSON.parse(bundle.sourceMap) as { sources: string[] };
  map.sources = map.sources.map((source) => (source.startsWith('edgesum:') ? source : relative(dirname(out), resolve(bundle.sourceRoot, source))));
  writeFileSync(out, bundle.code);
  writeFileSync(`${out}.map`, JSON.stringify(map));
  if (deps.json) deps.output.out(`${JSON.stringify({ ok: true, bundle: bundleOut, bytes: Buffer.byteLength(bundle.code), hash: bundle.hash })}\n`);
  else deps.output.out(`built ${bundleOut} (${Buffer.byteLength(bundle.code)} bytes, hash ${bundle.hash}) and its source map; no type errors\n`);
  return 0;
}


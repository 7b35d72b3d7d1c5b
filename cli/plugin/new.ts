import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { ErrorCodes, ValidationError } from '../../core/errors.js';
import type { Output } from '../io.js';
import { kindNamed } from './kinds.js';
import { commonFiles } from './templates.js';

/** An npm package name without a scope: what a plugin repository and its plugin are called. */
const namePattern = /^[a-z0-9][a-z0-9._-]{0,127}$/;

/** The version of the running edgesum, for the new repository's dependency range. */
function edgesumVersion(): string {
  for (const up of ['../../package.json', '../../../package.json']) {
    const path = new URL(up, import.meta.url);
    if (!existsSync(path)) continue;
    const manifest = JSON.parse(readFileSync(path, 'utf8')) as { name?: string; version?: string };
    if (manifest.name === 'edgesum' && typeof manifest.version === 'string') return manifest.version;
  }
  return '0.1.0';
}

/**
 * `edgesum plugin new <name> --kind K`: writes a plugin repository in `./<name>` (or `--dir`) that
 * builds, passes its own test and its check as written. Refuses a folder that exists and is not empty.
 */
export function newCommand(name: string, flags: { kind: string; dir?: string }, deps: { output: Output; json: boolean }): number {
  if (!namePattern.test(name)) throw new ValidationError(ErrorCodes.Usage, `plugin new: ${JSON.stringify(name.slice(0, 140))} is not a plugin name: use lowercase letters, digits, '.', '_' and '-', starting with a letter or digit`);
  const kind = kindNamed(flags.kind, 'plugin new --kind');
  const dir = resolve(flags.dir ?? name);
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new ValidationError(ErrorCodes.Usage, `plugin new: ${basename(dir)} exists and is not a folder`);
  if (existsSync(dir) && readdirSync(dir).length > 0) throw new ValidationError(ErrorCodes.Usage, `plugin new: ${basename(dir)} already exists and is not empty; choose another name or --dir`);
  const files = { ...commonFiles({ name, kind: flags.kind, edgesumVersion: edgesumVersion(), fixturesDoc: kind.fixturesDoc, contractType: kind.contractType, tryIt: kind.tryIt }), ...kind.files(name) };
  for (const [path, text] of Object.entries(files)) {
    const file = join(dir, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
  if (deps.json) deps.output.out(`${JSON.stringify({ dir, kind: flags.kind, files: Object.keys(files).sort() })}\n`);
  else deps.output.out(`created ${flags.kind} plugin ${name} in ${flags.dir ?? name}\nnext: cd ${flags.dir ?? name} && npm install && npm run build && npm test && npm run check\n`);
  return 0;
}

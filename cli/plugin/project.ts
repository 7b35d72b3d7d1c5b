import { existsSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { z } from 'zod';
import { ErrorCodes, ValidationError } from '../../core/errors.js';
import { parseOrThrow } from '../../core/model/index.js';
import type { PluginSource } from '../../sandbox/index.js';

/** The `edgesum` key of a plugin repository's `package.json`. */
const ManifestSchema = z.object({
  name: z.string().min(1).optional(),
  edgesum: z.strictObject({
    kind: z.string().min(1),
    plugin: z.string().min(1).default('src/index.ts'),
  }),
});

/** A path as diagnostics show it: relative to the working directory, never absolute. */
export function shown(path: string): string {
  return relative(process.cwd(), path) || '.';
}

/** A plugin repository, as `edgesum plugin new` lays it out. */
export interface PluginProject {
  /** The repository's folder. */
  readonly dir: string;
  /** Its kind, by name in the kind table (`reducer`, `policy`). */
  readonly kind: string;
  /** The plugin module. */
  readonly source: PluginSource;
  /** The fixtures folder. */
  readonly fixtures: string;
}

/**
 * Reads the plugin repository at `dir`: its `package.json` names the kind and the plugin module
 * (`"edgesum": { "kind": "reducer", "plugin": "src/index.ts" }`).
 *
 * @throws ValidationError naming the file and the key when the manifest is missing or wrong.
 */
export function readProject(dir: string): PluginProject {
  const root = resolve(dir);
  const manifestPath = join(root, 'package.json');
  if (!existsSync(manifestPath)) {
    throw new ValidationError(ErrorCodes.InvalidConfig, `${dir}: no package.json; a plugin repository made with edgesum plugin new has one with an "edgesum" key`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(manifestPath, 'utf8'));
  } catch {
    throw new ValidationError(ErrorCodes.InvalidConfig, `${shown(manifestPath)} is not valid JSON`);
  }
  const manifest = parseOrThrow(ManifestSchema, raw, shown(manifestPath), ErrorCodes.InvalidConfig);
  const entry = resolve(root, manifest.edgesum.plugin);
  if (!existsSync(entry)) throw new ValidationError(ErrorCodes.InvalidConfig, `${shown(manifestPath)}: edgesum.plugin names ${manifest.edgesum.plugin}, which does not exist`);
  return { dir: root, kind: manifest.edgesum.kind, source: { spec: manifest.edgesum.plugin, entry }, fixtures: join(root, 'fixtures') };
}

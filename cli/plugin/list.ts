import type { PluginCatalog } from '../../core/catalog/index.js';
import type { OptionsSchema } from '../../core/contract.js';
import { ErrorCodes, PluginLoadError } from '../../core/errors.js';
import type { PluginInfo } from '../../core/ports/index.js';
import { describeExport, loadHostPlugin, toPluginInfo } from '../../sandbox/index.js';
import type { Output } from '../io.js';

/** One built-in plugin as `edgesum plugin list` shows it. */
export interface ListedPlugin {
  /** What a config or a flag names it by: `builtin:health`. */
  readonly spec: string;
  readonly kind: PluginInfo['kind'];
  readonly name: string;
  readonly version: string;
  readonly description: string;
  /** Its options in one line: `field: string, top?: integer`; `none` when it takes none. */
  readonly options: string;
}

/** Every built-in plugin of `catalog`, of every kind, described by its own `PluginMeta`. */
export async function listBuiltins(catalog: PluginCatalog): Promise<ListedPlugin[]> {
  return Promise.all(
    catalog.builtins().map(async (name): Promise<ListedPlugin> => {
      const source = catalog.resolve(`builtin:${name}`);
      const host = await loadHostPlugin(source);
      const raw = describeExport(host.exported);
      if (typeof raw === 'string') throw new PluginLoadError(ErrorCodes.PluginLoad, `builtin:${name}: ${raw}`);
      const info = toPluginInfo(raw, source, host.bundle.code);
      return { spec: `builtin:${name}`, kind: info.kind, name: info.name, version: info.version, description: info.description ?? '', options: optionsSummary(info.options) };
    }),
  );
}

type SchemaNode = { type?: unknown; enum?: unknown; const?: unknown; items?: unknown; oneOf?: unknown; anyOf?: unknown; properties?: unknown; required?: unknown };

function typeOf(node: SchemaNode | undefined): string {
  if (typeof node !== 'object' || node === null) return 'any';
  if (Array.isArray(node.enum)) return node.enum.map((value) => JSON.stringify(value)).join(' | ');
  if (node.const !== undefined) return JSON.stringify(node.const);
  const alternatives = Array.isArray(node.oneOf) ? node.oneOf : Array.isArray(node.anyOf) ? node.anyOf : undefined;
  if (alternatives !== undefined) return [...new Set(alternatives.map((alternative) => typeOf(alternative as SchemaNode)))].join(' | ');
  const types = Array.isArray(node.type) ? node.type.map(String) : typeof node.type === 'string' ? [node.type] : [];
  return types.map((type) => (type === 'array' ? `${typeOf(node.items as SchemaNode)}[]` : type)).join(' | ') || 'any';
}

/** The top-level options of a schema in one line, optional ones marked with `?`. */
export function optionsSummary(schema: OptionsSchema | undefined): string {
  const node = schema as SchemaNode | undefined;
  const properties = typeof node?.properties === 'object' && node.properties !== null ? (node.properties as Record<string, SchemaNode>) : {};
  const required = Array.isArray(node?.required) ? node.required : [];
  const entries = Object.entries(properties);
  if (entries.length === 0) return 'none';
  return entries.map(([key, property]) => `${key}${required.includes(key) ? '' : '?'}: ${typeOf(property)}`).join(', ');
}

/** `edgesum plugin list`: the built-ins, by kind, one paragraph each, or as JSON. */
export async function listCommand(catalog: PluginCatalog, deps: { output: Output; json: boolean }): Promise<number> {
  const plugins = await listBuiltins(catalog);
  if (deps.json) {
    deps.output.out(`${JSON.stringify({ plugins })}\n`);
    return 0;
  }
  const order = ['reducer', 'policy', 'customizer'];
  const sorted = [...plugins].sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind) || a.spec.localeCompare(b.spec));
  const width = Math.max(...sorted.map((plugin) => plugin.spec.length));
  const lines = sorted.map((plugin) => `${plugin.spec.padEnd(width)}  ${plugin.kind.padEnd(10)}  ${plugin.description}\n${' '.repeat(width + 14)}options: ${plugin.options}`);
  deps.output.out(`${lines.join('\n')}\n`);
  return 0;
}

/**
 * Plain-data description of a plugin module's default export. This file is bundled into the
 * sandbox as well as used by the host, so it imports nothing and uses only language built-ins.
 */

/** What the guest reports about a plugin, before the host validates it. */
export interface RawDescription {
  kind: 'reducer' | 'policy' | 'customizer';
  retractable: boolean;
  idempotent?: boolean;
  name: unknown;
  version: unknown;
  description?: unknown;
  options?: unknown;
  reads?: unknown;
  retractsWhen?: unknown;
}

const reducerHooks = ['init', 'add', 'merge', 'finish'] as const;

/**
 * Describes a module's default export as a plugin, or explains why it is not one. Runs inside the
 * sandbox too (as source), so it must stay plain JavaScript semantics: no host objects.
 */
export function describeExport(exported: unknown): RawDescription | string {
  if (typeof exported !== 'object' || exported === null) return 'the module has no default export object';
  const plugin = exported as Record<string, unknown>;
  const isPolicy = typeof plugin.decide === 'function';
  if (!isPolicy && typeof plugin.customize === 'function') {
    const customizer: RawDescription = { kind: 'customizer', retractable: false, idempotent: plugin.idempotent === true, name: plugin.name, version: plugin.version };
    for (const key of ['description', 'options'] as const) if (plugin[key] !== undefined) customizer[key] = plugin[key];
    return customizer;
  }
  const missing = reducerHooks.filter((hook) => typeof plugin[hook] !== 'function');
  if (!isPolicy && missing.length > 0) return `the default export is neither a reducer (missing ${missing.join(', ')}) nor a policy (missing decide) nor a customizer (missing customize)`;
  const description: RawDescription = { kind: isPolicy ? 'policy' : 'reducer', retractable: typeof plugin.remove === 'function', name: plugin.name, version: plugin.version };
  // Absent fields stay absent, so the description is plain JSON the host can check strictly.
  for (const key of ['description', 'options', 'reads'] as const) if (plugin[key] !== undefined) description[key] = plugin[key];
  if (!isPolicy && plugin.retractsWhen !== undefined) description.retractsWhen = plugin.retractsWhen;
  return description;
}


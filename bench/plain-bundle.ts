/**
 * Builds the peer bundle: both reducers and the plain batch shim in one classic script (esbuild,
 * `iife`, a global name), evaluated as is by bare QuickJS, isolated-vm and SES.
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Json } from '../core/contract.js';
import { ErrorCodes, PluginLoadError, PluginThrewError } from '../core/errors.js';
import type { PlainHook } from './plain-guest.js';
import { defaultLimits } from '../sandbox/index.js';
import { callContext, reducerNames, reducerSources, simulatedNow, type ReducerName, type Summaries } from './workload.js';

/** The global the bundle defines; its `call` is the entry point (see `plain-guest.ts`). */
export const plainGlobal = '__edgesumBench';

/** An expression that evaluates the bundle and yields its entry point, in any engine. */
export function plainEntryScript(code: string): string {
  return `${code}\n;${plainGlobal}.call`;
}

/**
 * The request text of one call, spliced from JSON text so that the host neither parses nor
 * stringifies reports. It carries the edgesum guest's fields too (clock, seed, output limit), so the
 * same text drives the plain shim and the sandbox's own guest bundle.
 */
export function plainRequest(callJson: string, itemsJson: string): string {
  return `{"clock":${simulatedNow},"seed":24301,"outputBytes":${defaultLimits.outputBytes},"call":${callJson},"items":${itemsJson}}`;
}

/** @throws PluginLoadError when esbuild cannot bundle the reducers. */
export async function buildPlainBundle(): Promise<string> {
  const sources = reducerSources();
  const shim = fileURLToPath(new URL('./plain-guest.ts', import.meta.url));
  const contents = [
    `import { serve } from ${JSON.stringify(shim)};`,
    `import health from ${JSON.stringify(sources.health.entry)};`,
    `import versionHistogram from ${JSON.stringify(sources['version-histogram'].entry)};`,
    `export const call = serve({ health, 'version-histogram': versionHistogram });`,
  ].join('\n');
  try {
    const result = await build({
      stdin: { contents, resolveDir: dirname(shim), sourcefile: 'bench-peer-entry.js', loader: 'js' },
      bundle: true,
      write: false,
      format: 'iife',
      globalName: plainGlobal,
      platform: 'neutral',
      mainFields: ['module', 'main'],
      target: 'es2022',
      legalComments: 'none',
      logLevel: 'silent',
    });
    const code = result.outputFiles[0]?.text;
    if (code === undefined) throw new PluginLoadError(ErrorCodes.PluginLoad, 'bench: esbuild produced no peer bundle');
    return code;
  } catch (error) {
    if (error instanceof PluginLoadError) throw error;
    throw new PluginLoadError(ErrorCodes.PluginLoad, `bench: cannot bundle the reducers for the peers: ${(error as Error).message}`, { cause: error });
  }
}

/** One synchronous call into a sandbox that evaluated the peer bundle. */
export type PlainInvoke = (plugin: ReducerName, hook: PlainHook, json: string) => string;

/**
 * One pass of a text-in sandbox: per chunk of report JSON text, one `reduce` call per reducer (the
 * request is spliced from the text, the sandbox parses it), then one `merge` and one `finish`.
 */
export function plainPass(invoke: PlainInvoke, chunks: readonly string[]): Summaries {
  const callJson = JSON.stringify(callContext);
  const accs: Record<ReducerName, Json[]> = { health: [], 'version-histogram': [] };
  for (const text of chunks) {
    for (const name of reducerNames) accs[name].push(...readEnvelope(invoke(name, 'reduce', plainRequest(callJson, `[${text}]`)), name, 'reduce'));
  }
  const out = {} as Summaries;
  for (const name of reducerNames) {
    const [merged] = readEnvelope(invoke(name, 'merge', plainRequest(callJson, JSON.stringify([accs[name]]))), name, 'merge');
    const [finished] = readEnvelope(invoke(name, 'finish', plainRequest(callJson, JSON.stringify([merged]))), name, 'finish');
    out[name] = finished!;
  }
  return out;
}

/**
 * The value of a `{"ok":true,"value":[...]}` envelope.
 *
 * @throws PluginThrewError with the guest's message for a failed call or a malformed envelope.
 */
export function readEnvelope(text: string, plugin: string, hook: string): Json[] {
  let envelope: { ok?: unknown; value?: unknown; error?: unknown };
  try {
    envelope = JSON.parse(text) as typeof envelope;
  } catch {
    envelope = { ok: false, error: `an envelope that is not JSON: ${text.slice(0, 200)}` };
  }
  if (envelope.ok !== true || !Array.isArray(envelope.value)) {
    throw new PluginThrewError(ErrorCodes.PluginThrew, `bench: ${plugin}.${hook} failed in the sandbox: ${String(envelope.error ?? 'a malformed envelope')}`, { plugin, hook });
  }
  return envelope.value as Json[];
}

import { z } from 'zod';
import type { PluginCatalog } from '../core/catalog/index.js';
import type { CustomizeTarget, Json } from '../core/contract.js';
import { explainChain, loadPattern, parsePattern, renderChain, type RenderOutcome, type StepChanges } from '../core/customize/index.js';
import { ErrorCodes } from '../core/errors.js';
import { parseOrThrow } from '../core/model/index.js';
import type { PluginRunner } from '../core/ports/plugin-runner.js';
import { parseJson, readJsonOption, readText, type ByteSource, type Output } from './io.js';
import { escapeLine, jsonText, quoted } from './text.js';

/** Flags of `edgesum customize`. */
export interface CustomizeFlags {
  pattern: string;
  object: string;
  destination: string;
  labels?: string;
  chain?: string;
  json?: boolean;
  explain?: boolean;
}

const id = z.string().min(1).max(253).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, ".", "_" and "-", starting with a letter or digit');
const LabelsSchema = z.record(z.string().min(1).max(317), z.string().max(1024)).refine((labels) => Object.keys(labels).length <= 256, 'at most 256 labels');
const ChainSchema = z
  .array(z.object({ id, kind: z.enum(['center', 'region', 'site']), labels: LabelsSchema.default({}) }).strict())
  .max(8)
  .refine((chain) => chain.length > 0 && chain[0]!.kind === 'center' && chain.at(-1)!.kind === 'site', 'a chain runs from the center down to a site');

/** The levels above a destination when `--chain` is not given: one of each kind, without labels. */
const defaultChain: CustomizeTarget[] = [
  { id: 'center', kind: 'center', labels: {} },
  { id: 'region', kind: 'region', labels: {} },
  { id: 'site', kind: 'site', labels: {} },
];

/**
 * `edgesum customize`: renders an object through a pattern for one destination, as its site
 * would after every level above applied its steps, and prints it; `--explain` names which rule of
 * which customizer changed which path.
 */
export async function customizeCommand(flags: CustomizeFlags, deps: { runner: PluginRunner; catalog: PluginCatalog; output: Output; stdin: ByteSource; now: string }): Promise<number> {
  const pattern = parsePattern(parseJson(await readText(flags.pattern, deps.stdin), `--pattern: ${quoted(flags.pattern)} is not valid JSON`), `pattern ${quoted(flags.pattern)}`);
  const object = parseJson(await readText(flags.object, deps.stdin), `--object: ${quoted(flags.object)} is not valid JSON`);
  const labels = parseOrThrow(LabelsSchema, flags.labels === undefined ? {} : await readJsonOption(flags.labels, '--labels', deps.stdin), '--labels', ErrorCodes.InvalidInput);
  const chain = flags.chain === undefined ? defaultChain : parseOrThrow(ChainSchema, await readJsonOption(flags.chain, '--chain', deps.stdin), '--chain', ErrorCodes.InvalidInput);
  const destination: CustomizeTarget = { id: parseOrThrow(id, flags.destination, '--destination', ErrorCodes.InvalidInput), kind: 'destination', labels };
  const loaded = await loadPattern(pattern, deps.runner, deps.catalog);
  const call = { level: { id: chain.at(-1)!.id, kind: 'site' as const }, now: deps.now };
  const targets = [...chain, destination];
  let outcome: RenderOutcome;
  let steps: StepChanges[] = [];
  if (flags.explain) ({ outcome, steps } = await explainChain(loaded, object, targets, call));
  else outcome = await renderChain(loaded, object, targets, call);
  if (!outcome.ok) throw outcome.error;
  const changes = steps.flatMap((step) => step.changes.map((change) => ({ customizer: step.customizer, target: step.target, rule: change.rule, path: change.path })));
  if (flags.json) {
    deps.output.out(`${jsonText(flags.explain ? ({ object: outcome.object, changes } as Json) : outcome.object, 2)}\n`);
    return 0;
  }
  deps.output.out(`${jsonText(outcome.object, 2)}\n`);
  if (flags.explain) {
    const lines = changes.map((c) => `  ${escapeLine(c.path)}: ${escapeLine(c.customizer)} ${escapeLine(c.rule)} (at ${escapeLine(c.target)})`);
    deps.output.out(`changes for ${escapeLine(destination.id)}:\n${lines.length === 0 ? '  (none)\n' : `${lines.join('\n')}\n`}`);
  }
  return 0;
}

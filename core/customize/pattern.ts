import { z } from 'zod';
import type { CustomizeTarget, Json } from '../contract.js';
import type { PluginCatalog } from '../catalog/index.js';
import { ErrorCodes } from '../errors.js';
import { parseOrThrow } from '../model/parse.js';
import type { CustomizerHandle, PluginLimits, PluginRunner } from '../ports/plugin-runner.js';
import { compileOptions } from '../pipeline/config.js';
import { PluginLoader } from '../pipeline/loader.js';

/** The level kinds a step binds to, top down: the order in which a rendering applies them. */
export const targetKinds = ['center', 'region', 'site', 'destination'] as const satisfies readonly CustomizeTarget['kind'][];

const name = z.string().min(1).max(128).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, ".", "_" and "-", starting with a letter or digit');

const LimitsSchema = z
  .object({
    timeMs: z.number().int().positive().max(600_000),
    memoryBytes: z.number().int().positive(),
    stackBytes: z.number().int().positive(),
    outputBytes: z.number().int().positive(),
  })
  .partial()
  .strict();

const StepSchema = z
  .object({
    /** Names the step in errors and `--explain`; defaults to the plugin's spec. */
    name: name.optional(),
    plugin: z.string().min(1).max(1024),
    level: z.enum(targetKinds),
    options: z.record(z.string(), z.json()).default({}),
    limits: LimitsSchema.optional(),
  })
  .strict();

/**
 * A customization pattern: one object's ordered customizer steps, each bound to a level kind. The
 * steps are listed top down (center, region, site, destination), in the order they apply; a level
 * applies the steps bound to its kind, in list order.
 */
export const PatternSchema = z
  .object({
    name,
    customizers: z.array(StepSchema).min(1).max(64),
  })
  .strict()
  .superRefine((pattern, ctx) => {
    const depth = pattern.customizers.map((step) => targetKinds.indexOf(step.level));
    depth.forEach((d, i) => {
      if (i > 0 && d < depth[i - 1]!) {
        ctx.addIssue({ code: 'custom', path: ['customizers', i, 'level'], message: `a ${pattern.customizers[i]!.level} step after a ${pattern.customizers[i - 1]!.level} step: list steps top down (${targetKinds.join(', ')})` });
      }
    });
    const names = new Set<string>();
    pattern.customizers.forEach((step, i) => {
      const stepName = step.name ?? step.plugin;
      if (names.has(stepName)) ctx.addIssue({ code: 'custom', path: ['customizers', i, 'name'], message: `"${stepName}" names two steps: give each a distinct name` });
      names.add(stepName);
    });
  });

/** A pattern as written, after validation. */
export type Pattern = z.output<typeof PatternSchema>;

/** Validates a pattern, naming `where` (a file, a rollout) and the failing field. */
export function parsePattern(value: unknown, where = 'pattern'): Pattern {
  return parseOrThrow(PatternSchema, value, where, ErrorCodes.InvalidPattern);
}

/** One step of a loaded pattern: its customizer and its validated options. */
export interface PatternStep {
  readonly name: string;
  readonly level: CustomizeTarget['kind'];
  readonly handle: CustomizerHandle;
  readonly options: Json;
}

/** A pattern whose customizers are loaded and whose options passed their schemas. */
export interface LoadedPattern {
  readonly name: string;
  readonly steps: readonly PatternStep[];
}

/**
 * Loads every step's customizer through the runner and validates its options, so that no render
 * starts with a step that cannot run.
 *
 * @throws ValidationError (`EDGESUM_INVALID_PATTERN`) for a runner without customizers, or the
 *   loader's and options validator's own errors naming the step.
 */
export function loadPattern(pattern: Pattern, runner: PluginRunner, catalog: PluginCatalog): Promise<LoadedPattern> {
  return loadPatternWith(pattern, new PluginLoader(runner, catalog));
}

/** {@link loadPattern} through a composition root's loader, which shares each customizer's runtime between patterns. */
export async function loadPatternWith(pattern: Pattern, loader: PluginLoader): Promise<LoadedPattern> {
  const steps = await Promise.all(
    pattern.customizers.map(async (step, i): Promise<PatternStep> => {
      const where = `pattern "${pattern.name}" customizers[${i}]`;
      const handle = await loader.customizer(step.plugin, step.limits as Partial<PluginLimits> | undefined, where);
      const options = compileOptions(handle.info)(step.options as Json, { where: `${where} options` });
      return { name: step.name ?? step.plugin, level: step.level, handle, options };
    }),
  );
  return { name: pattern.name, steps };
}

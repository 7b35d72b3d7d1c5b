import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ErrorCodes, PluginLoadError, PluginOutputError, type ErrorDetails } from '../core/errors.js';
import { toIssues } from '../core/model/parse.js';
import type { PluginInfo, PluginLimits, PluginSource } from '../core/ports/plugin-runner.js';

export { describeExport } from './guest/describe-export.js';
import { jsonFault } from './guest/json-fault.js';

const MetaSchema = z.object({
  name: z.string().min(1).max(128),
  version: z.string().min(1).max(64),
  description: z.string().max(1024).optional(),
  options: z.record(z.string(), z.unknown()).optional(),
  reads: z
    .array(z.union([z.string().min(1).max(1024), z.strictObject({ option: z.string().min(1).max(128), default: z.string().min(1).max(1024).optional() })]))
    .max(256)
    .optional(),
});

/** The plain-data description of a plugin module, as the guest (or the inline host) reports it. */
export const PluginDescriptionSchema = MetaSchema.extend({
  kind: z.enum(['reducer', 'policy', 'customizer']),
  retractable: z.boolean(),
  retractsWhen: z.record(z.string(), z.unknown()).optional(),
  idempotent: z.boolean().optional(),
});

export type PluginDescription = z.infer<typeof PluginDescriptionSchema>;

/** Validates a description and binds it to its source and code hash. */
export function toPluginInfo(description: unknown, source: PluginSource, code: string): PluginInfo {
  if (typeof description === 'string') {
    throw new PluginLoadError(ErrorCodes.PluginLoad, `${source.spec}: ${description}`);
  }
  const parsed = PluginDescriptionSchema.safeParse(description);
  if (!parsed.success) {
    const issues = toIssues(parsed.error);
    throw new PluginLoadError(ErrorCodes.PluginLoad, `${source.spec}: invalid plugin metadata at ${issues[0]?.path || '(root)'}: ${issues[0]?.message}`, { issues });
  }
  const { options, retractsWhen, ...rest } = parsed.data;
  return {
    ...rest,
    ...(options === undefined ? {} : { options: options as PluginInfo['options'] }),
    ...(retractsWhen === undefined ? {} : { retractsWhen: retractsWhen as PluginInfo['options'] }),
    hash: hashCode(code),
    source,
  };
}

/** A short content hash that identifies the exact code a plugin runs. */
export function hashCode(code: string): string {
  return createHash('sha256').update(code).digest('hex').slice(0, 16);
}

/**
 * Serializes a hook result as JSON within the output limit and returns a fresh copy, so no caller
 * ever shares an object with plugin code. A result that is not plain JSON (see `guest/json-fault.ts`),
 * `batch` results checked one by one, and an oversize result are output errors.
 */
export function toJsonOutput(value: unknown, limits: Pick<PluginLimits, 'outputBytes'>, where: ErrorDetails, batch = false): unknown {
  // A batch's results are checked one by one, as the guest does: each is one accumulator, and the
  // depth limit is the accumulator's own.
  const fault = batch && Array.isArray(value) ? value.map((item: unknown, i) => jsonFault(item)?.replace(/^\$/, `$[${i}]`)).find((found) => found !== undefined) : jsonFault(value);
  if (fault !== undefined) throw new PluginOutputError(ErrorCodes.PluginOutput, `${where.plugin}.${where.hook} returned a value that is not JSON: ${fault}`, where);
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw new PluginOutputError(ErrorCodes.PluginOutput, `${where.plugin}.${where.hook} returned a value that is not JSON: ${(error as Error).message}`, { ...where, cause: error });
  }
  if (text === undefined) {
    throw new PluginOutputError(ErrorCodes.PluginOutput, `${where.plugin}.${where.hook} returned ${typeof value}, not a JSON value`, where);
  }
  if (text.length > limits.outputBytes) {
    throw new PluginOutputError(ErrorCodes.PluginOutput, `${where.plugin}.${where.hook} returned ${text.length} bytes, above the ${limits.outputBytes} byte output limit`, where);
  }
  return JSON.parse(text);
}

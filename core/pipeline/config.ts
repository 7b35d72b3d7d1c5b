import { z } from 'zod';
import type { Json, Reducer, StatusReport } from '../contract.js';
import { ErrorCodes, ValidationError } from '../errors.js';
import { DurationSchema, FieldPathSchema, IdSchema, JsonSchema, LabelsSchema, recordOf, readPath, sameObject, type Destination, type Workload } from '../model/index.js';
import type { PluginInfo } from '../ports/plugin-runner.js';
import { compileOptionsSchema, UnusableSchemaError, type OptionsSchema } from './options-schema.js';

/** Which reports a binding folds: all conditions must hold; an empty selector takes every report. */
export const SelectorSchema = z.strictObject({
  /** A workload id: only the copies of that workload's object. */
  workload: IdSchema.optional(),
  /** API group (`""` for core). */
  group: z.string().optional(),
  kind: z.string().min(1).optional(),
  namespace: z.string().min(1).optional(),
  name: z.string().min(1).optional(),
  /** Destinations whose labels include all of these. */
  destinationLabels: LabelsSchema.optional(),
});

/** Splits a binding's summary by a destination label or by a report field. */
export const GroupBySchema = z.union([z.strictObject({ label: z.string().min(1) }), z.strictObject({ field: FieldPathSchema })]);

/** Plugin resource limits a binding may override. */
export const LimitsSchema = z.strictObject({
  timeMs: z.number().int().positive().optional(),
  memoryBytes: z.number().int().positive().optional(),
  stackBytes: z.number().int().positive().optional(),
  outputBytes: z.number().int().positive().optional(),
});

/** A summary binding: one reducer, its options, the reports it folds and how the summary is split. */
export const BindingSchema = z.strictObject({
  name: IdSchema,
  /** `builtin:NAME` or a path to a plugin module. */
  reducer: z.string().min(1),
  options: recordOf(JsonSchema).default({}),
  selector: SelectorSchema.default({}),
  groupBy: GroupBySchema.optional(),
  /** A destination whose newest report was observed longer ago than this is counted stale. */
  staleAfter: DurationSchema.default(300_000),
  limits: LimitsSchema.optional(),
});

export type Selector = z.infer<typeof SelectorSchema>;
export type GroupBy = z.infer<typeof GroupBySchema>;
export type BindingConfig = z.output<typeof BindingSchema>;
export type BindingInput = z.input<typeof BindingSchema>;

/** The group key of an ungrouped binding. */
export const allGroup = '*';
/** The group key of a report whose groupBy value is missing. */
export const missingGroup = '<none>';

/**
 * Compiles a selector into a predicate over reports. Workload ids are resolved once, and an unknown
 * workload is a config error rather than a selector that silently matches nothing.
 */
export function compileSelector(
  binding: string,
  selector: Selector,
  workloads: ReadonlyMap<string, Workload>,
  destinations: ReadonlyMap<string, Destination>,
): (report: StatusReport) => boolean {
  let workload: Workload['ref'] | undefined;
  if (selector.workload !== undefined) {
    workload = workloads.get(selector.workload)?.ref;
    if (workload === undefined) {
      throw new ValidationError(ErrorCodes.InvalidConfig, `binding "${binding}": selector.workload "${selector.workload}" is not a known workload`, {
        binding,
        issues: [{ path: 'selector.workload', message: 'unknown workload' }],
      });
    }
  }
  const labels = Object.entries(selector.destinationLabels ?? {});
  return (report) => {
    const ref = report.ref;
    if (workload !== undefined && !sameObject(ref, workload)) return false;
    if (selector.group !== undefined && ref.group !== selector.group) return false;
    if (selector.kind !== undefined && ref.kind !== selector.kind) return false;
    if (selector.namespace !== undefined && ref.namespace !== selector.namespace) return false;
    if (selector.name !== undefined && ref.name !== selector.name) return false;
    if (labels.length > 0) {
      const destination = destinations.get(report.destination);
      if (destination === undefined || !labels.every(([key, value]) => destination.labels[key] === value)) return false;
    }
    return true;
  };
}

/** Whether a destination is in a selector's scope (only its destination labels can tell). */
export function destinationInScope(selector: Selector, destination: Destination): boolean {
  return Object.entries(selector.destinationLabels ?? {}).every(([key, value]) => destination.labels[key] === value);
}

/** Compiles a groupBy into a function from report to group key. */
export function compileGroupBy(groupBy: GroupBy | undefined, destinations: ReadonlyMap<string, Destination>): (report: StatusReport) => string {
  if (groupBy === undefined) return () => allGroup;
  if ('label' in groupBy) return (report) => destinations.get(report.destination)?.labels[groupBy.label] ?? missingGroup;
  return (report) => groupKey(readPath(report, groupBy.field));
}

function groupKey(value: unknown): string {
  if (value === undefined || value === null) return missingGroup;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** Where options are validated, for the error: `binding "health"`, `rollout "r1" policies.region`. */
export interface OptionsContext {
  readonly where: string;
  /** The binding, when the options are a binding's. */
  readonly binding?: string;
}

/** Validates one set of options for a plugin; returns them parsed (defaults applied). */
export type OptionsValidator = (options: Json, context: OptionsContext) => Json;

/**
 * Compiles a plugin's options schema once, for validating many sets of options (every rollout of a
 * policy, say). Every failure, of the schema or of the options, is a `ValidationError` with
 * `EDGESUM_INVALID_OPTIONS` naming the place, the plugin and the path: a schema edgesum cannot run
 * in bounded time (see `options-schema.ts`) fails every call rather than the host.
 */
export function compileOptions(info: PluginInfo): OptionsValidator {
  if (info.options === undefined) {
    return (options, context) => {
      if (options !== null && typeof options === 'object' && !Array.isArray(options) && Object.keys(options).length === 0) return options;
      throw new ValidationError(ErrorCodes.InvalidOptions, `${context.where}: plugin ${info.name} takes no options`, { ...bindingOf(context), plugin: info.name });
    };
  }
  let schema: OptionsSchema;
  try {
    schema = compileOptionsSchema(info.options);
  } catch (error) {
    const unusable = error instanceof UnusableSchemaError ? error : new UnusableSchemaError('#', (error as Error).message);
    return (_options, context) => {
      throw new ValidationError(ErrorCodes.InvalidOptions, `${context.where}: plugin ${info.name} declares an options schema edgesum cannot use: ${unusable.message}`, {
        ...bindingOf(context),
        plugin: info.name,
        issues: unusable.issues,
        cause: error,
      });
    };
  }
  return (options, context) => {
    const result = schema.validate(options);
    if (result.success) return result.data;
    const first = result.issues[0] ?? { path: '', message: 'invalid options' };
    const option = first.path === '' ? 'options' : `option "${first.path}"`;
    throw new ValidationError(ErrorCodes.InvalidOptions, `${context.where}: ${option} of plugin ${info.name}: ${first.message}`, {
      ...bindingOf(context),
      plugin: info.name,
      issues: result.issues,
    });
  };
}

function bindingOf(context: OptionsContext): { binding?: string } {
  return context.binding === undefined ? {} : { binding: context.binding };
}

/**
 * Validates a binding's options against the plugin's JSON Schema before any hook runs, naming the
 * binding and the option on failure. See {@link compileOptions}.
 */
export function validateOptions(info: PluginInfo, options: Json, binding: string): Json {
  return compileOptions(info)(options, { where: `binding "${binding}"`, binding });
}

/**
 * Whether a binding with these (validated) options may update an accumulator with `remove`: the
 * reducer has `remove`, and its options validate against `retractsWhen` when it declares one. A
 * `retractsWhen` edgesum cannot run counts as no: re-folding is always exact.
 */
export function retractsWith(info: Pick<PluginInfo, 'retractable' | 'retractsWhen'>, options: Json): boolean {
  if (!info.retractable) return false;
  if (info.retractsWhen === undefined) return true;
  try {
    return compileOptionsSchema(info.retractsWhen).validate(options).success;
  } catch {
    return false;
  }
}

/** {@link retractsWith} for a reducer object rather than a loaded plugin's info. */
export function reducerRetractsWith(plugin: { readonly remove?: unknown; readonly retractsWhen?: Reducer['retractsWhen'] }, options: Json): boolean {
  return retractsWith({ retractable: typeof plugin.remove === 'function', ...(plugin.retractsWhen === undefined ? {} : { retractsWhen: plugin.retractsWhen }) }, options);
}

import { z } from 'zod';
import type { Json } from '../contract.js';

/** Size bounds of the wire format. Reports beyond them are rejected, not truncated. */
export const Limits = {
  /** Longest Kubernetes name (DNS subdomain). */
  nameLength: 253,
  /** Longest label key or value we accept (qualified name with prefix). */
  labelLength: 317,
  /** Most labels or annotations on one object or destination. */
  labelCount: 256,
  /** Largest serialized `spec` + `status` + `metadata` of one report, in UTF-16 code units. */
  reportBytes: 64 * 1024,
} as const;

const name = z.string().min(1).max(Limits.nameLength);

/** A destination or level id: a DNS-label-like token, so it is safe in URLs, metric labels and subjects. */
export const IdSchema = z
  .string()
  .min(1)
  .max(Limits.nameLength)
  .regex(/^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/, 'must be letters, digits, ".", "_" or "-", starting and ending alphanumeric');

/** Labels as in Kubernetes: string keys to string values. */
export const LabelsSchema = z
  .record(z.string().min(1).max(Limits.labelLength), z.string().max(Limits.labelLength))
  .refine((labels) => Object.keys(labels).length <= Limits.labelCount, `at most ${Limits.labelCount} entries`);

/** Deepest nesting accepted in free-form JSON (status, spec, accumulators). */
const maxJsonDepth = 64;

/** The path and reason of the first value that is not plain JSON, or `undefined`. */
function findNonJson(value: unknown, path: (string | number)[], depth: number): { path: (string | number)[]; message: string } | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : { path, message: `${value} is not a JSON number` };
  if (depth > maxJsonDepth) return { path, message: `nested deeper than ${maxJsonDepth} levels` };
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const bad = findNonJson(value[i], [...path, i], depth + 1);
      if (bad !== undefined) return bad;
    }
    return undefined;
  }
  const prototype = typeof value === 'object' ? Object.getPrototypeOf(value) : undefined;
  if (prototype === Object.prototype || prototype === null) {
    for (const key in value) {
      const bad = findNonJson((value as Record<string, unknown>)[key], [...path, key], depth + 1);
      if (bad !== undefined) return bad;
    }
    return undefined;
  }
  const what = typeof value === 'object' ? `a ${(value as object).constructor?.name ?? 'class instance'}` : typeof value;
  return { path, message: `${what} is not a JSON value` };
}

/**
 * Any JSON value. Checked by one walk rather than a recursive zod union: reports carry free-form
 * status, and this is the hot path of ingestion.
 */
export const JsonSchema = z.unknown().superRefine((value, ctx) => {
  const bad = findNonJson(value, [], 0);
  if (bad !== undefined) ctx.addIssue({ code: 'custom', path: bad.path, message: bad.message });
}) as unknown as z.ZodType<Json>;

/**
 * Identifies one object. `namespace` is absent for cluster-scoped objects; `group` is `""` for the
 * core API group.
 */
export const ObjectRefSchema = z.strictObject({
  group: z.string().max(Limits.nameLength),
  version: z.string().min(1).max(63),
  kind: z.string().min(1).max(63),
  namespace: name.optional(),
  name,
});

/** The subset of an object's metadata an edge may send with its status. */
export const ReportMetadataSchema = z.strictObject({
  generation: z.number().int().nonnegative().optional(),
  deletionTimestamp: z.iso.datetime({ offset: true }).nullable().optional(),
  labels: LabelsSchema.optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});

/** One status report: what one destination observed of its copy of one object. */
export const StatusReportSchema = z
  .strictObject({
    destination: IdSchema,
    ref: ObjectRefSchema,
    seq: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
    observedAt: z.iso.datetime({ offset: true }),
    metadata: ReportMetadataSchema.optional(),
    spec: z.record(z.string(), JsonSchema).optional(),
    status: JsonSchema,
  })
  .superRefine((report, ctx) => {
    const size =
      JSON.stringify(report.status).length +
      (report.spec === undefined ? 0 : JSON.stringify(report.spec).length) +
      (report.metadata === undefined ? 0 : JSON.stringify(report.metadata).length);
    if (size > Limits.reportBytes) {
      ctx.addIssue({ code: 'custom', path: ['status'], message: `report body is ${size} bytes, above the ${Limits.reportBytes} byte limit` });
    }
  });

/** A place an object is propagated to: an edge cluster, with its labels and the level that owns it. */
export const DestinationSchema = z.strictObject({
  id: IdSchema,
  labels: LabelsSchema.default({}),
  parent: IdSchema,
});

/** A center object being propagated, by a short id, bound to the ref its copies report under. */
export const WorkloadSchema = z.strictObject({
  id: IdSchema,
  ref: ObjectRefSchema,
});

/** The kinds of level in a hierarchy. */
export const LevelKindSchema = z.enum(['center', 'region', 'site']);

/** One level node of the hierarchy. */
export const LevelSchema = z.strictObject({
  id: IdSchema,
  kind: LevelKindSchema,
  parent: IdSchema.optional(),
  labels: LabelsSchema.default({}),
});

export type ObjectRef = z.infer<typeof ObjectRefSchema>;
export type StatusReport = z.infer<typeof StatusReportSchema>;
export type Destination = z.infer<typeof DestinationSchema>;
export type Workload = z.infer<typeof WorkloadSchema>;
export type LevelKind = z.infer<typeof LevelKindSchema>;
export type Level = z.infer<typeof LevelSchema>;

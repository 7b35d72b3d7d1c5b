import { z } from 'zod';
import type { Json } from '../contract.js';
import { checkJson, nullPrototypeRecord, plainEntries, setData } from './json.js';

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

/**
 * A record (string keys to values of one schema) whose keys are data: unlike `z.record`, it keeps a
 * `__proto__` key as an entry, and never reads a getter or Proxy trap of its input. With
 * `nullPrototype`, the result has no prototype, so a lookup by any key (`constructor`,
 * `__proto__`) finds only entries; otherwise it is an ordinary object as `JSON.parse` builds it.
 */
export function recordOf<V extends z.ZodType>(
  value: V,
  options: { key?: z.ZodType<string>; maxEntries?: number; nullPrototype?: boolean } = {},
): z.ZodType<Record<string, z.output<V>>, Record<string, z.input<V>>> {
  const { key: keySchema, maxEntries, nullPrototype = false } = options;
  return z.unknown().transform((input, ctx) => {
    const read = plainEntries(input);
    if (!('entries' in read)) {
      ctx.addIssue({ code: 'custom', input, path: read.key === undefined ? [] : [read.key], message: read.message });
      return z.NEVER;
    }
    if (maxEntries !== undefined && read.entries.length > maxEntries) {
      ctx.addIssue({ code: 'custom', input, message: `at most ${maxEntries} entries, got ${read.entries.length}` });
      return z.NEVER;
    }
    const out: Record<string, unknown> = nullPrototype ? nullPrototypeRecord() : {};
    let valid = true;
    for (const [key, item] of read.entries) {
      const checkedKey = keySchema?.safeParse(key);
      if (checkedKey !== undefined && !checkedKey.success) {
        valid = false;
        for (const issue of checkedKey.error.issues) ctx.addIssue({ code: 'custom', input: key, path: [key], message: `key: ${issue.message}` });
      }
      const checked = value.safeParse(item);
      if (!checked.success) {
        valid = false;
        for (const issue of checked.error.issues) ctx.addIssue({ code: 'custom', input: item, path: [key, ...issue.path], message: issue.message });
        continue;
      }
      setData(out, key, checked.data);
    }
    return valid ? (out as Record<string, z.output<V>>) : z.NEVER;
  }) as unknown as z.ZodType<Record<string, z.output<V>>, Record<string, z.input<V>>>;
}

/**
 * Labels as in Kubernetes: string keys to string values. Parsed labels have no prototype, so
 * looking up any label key, `__proto__` and `constructor` included, finds only labels.
 */
export const LabelsSchema = recordOf(z.string().max(Limits.labelLength), {
  key: z.string().min(1).max(Limits.labelLength),
  maxEntries: Limits.labelCount,
  nullPrototype: true,
});

/**
 * Any JSON value. Checked by one walk rather than a recursive zod union: reports carry free-form
 * status, and this is the hot path of ingestion. The walk reads no getter and no Proxy trap, and
 * stops at `maxJsonDepth`.
 */
export const JsonSchema = z.unknown().superRefine((value, ctx) => {
  const bad = checkJson(value);
  if (bad !== undefined) ctx.addIssue({ code: 'custom', path: bad.path, message: bad.message });
}) as unknown as z.ZodType<Json>;

/** A JSON object whose keys are data (a `__proto__` key stays an entry). */
export const JsonObjectSchema = recordOf(JsonSchema);

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
  annotations: recordOf(z.string(), { nullPrototype: true }).optional(),
});

/** The parts of a report that count toward {@link Limits.reportBytes}. */
const bodyParts = ['status', 'spec', 'metadata'] as const;

/**
 * One status report: what one destination observed of its copy of one object. An object without
 * status (a ConfigMap, a Namespace, many custom resources) reports `status: null`, the same as an
 * absent `status`.
 */
export const StatusReportSchema = z
  .strictObject({
    destination: IdSchema,
    ref: ObjectRefSchema,
    seq: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
    observedAt: z.iso.datetime({ offset: true }),
    metadata: ReportMetadataSchema.optional(),
    spec: JsonObjectSchema.optional(),
    status: JsonSchema.default(null),
  })
  .superRefine(
    (report, ctx) => {
      const sizes = bodyParts.map((part) => ({ part, size: report[part] === undefined ? 0 : JSON.stringify(report[part]).length }));
      const total = sizes.reduce((sum, { size }) => sum + size, 0);
      if (total <= Limits.reportBytes) return;
      const biggest = sizes.reduce((a, b) => (b.size > a.size ? b : a));
      ctx.addIssue({
        code: 'custom',
        path: [biggest.part],
        message: `report body is ${total} bytes, above the ${Limits.reportBytes} byte limit; ${biggest.part} is the largest part (${biggest.size} bytes)`,
      });
    },
    // Only a report whose every field passed is sized: its JSON is then known to be plain data
    // nested at most maxJsonDepth deep, which serializing can neither overflow the stack on nor
    // run code from.
    { when: (payload) => payload.issues.length === 0 },
  );

/** A place an object is propagated to: an edge cluster, with its labels and the level that owns it. */
export const DestinationSchema = z.strictObject({
  id: IdSchema,
  labels: LabelsSchema.prefault({}),
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
  labels: LabelsSchema.prefault({}),
});

export type ObjectRef = z.infer<typeof ObjectRefSchema>;
export type StatusReport = z.infer<typeof StatusReportSchema>;
export type Destination = z.infer<typeof DestinationSchema>;
export type Workload = z.infer<typeof WorkloadSchema>;
export type LevelKind = z.infer<typeof LevelKindSchema>;
export type Level = z.infer<typeof LevelSchema>;

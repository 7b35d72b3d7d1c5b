import { z } from 'zod';
import { PatternSchema } from '../customize/pattern.js';
import { durationMessage, FieldPathSchema, IdSchema, JsonSchema, LabelsSchema, parseDuration, recordOf } from '../model/index.js';

/** A size: a whole number, or a percentage of a total (`"25%"`, rounded up). */
export const SizeSchema = z.union([z.number().int().nonnegative(), z.string().regex(/^\d+(\.\d+)?%$/, 'must be a whole number or a percentage like "25%"')]);

/** Resolves a size against a total; percentages round up, as Open Cluster Management does. */
export function resolveSize(size: z.infer<typeof SizeSchema>, total: number): number {
  if (typeof size === 'number') return size;
  return Math.ceil((Number(size.slice(0, -1)) / 100) * total);
}

/** A rollout group: a name and the labels its children carry. Earlier groups roll out first. */
export const RolloutGroupSchema = z.strictObject({
  name: z.string().min(1).max(63),
  matchLabels: LabelsSchema.default({}),
});

/** Which policy a level kind runs, with its options. */
export const LevelPolicySchema = z.strictObject({
  /** `builtin:NAME` or a path to a policy module. */
  policy: z.string().min(1),
  options: recordOf(JsonSchema).default({}),
});

/** The scope a parent grants each child it targets: how many of the child's own children it may start, for how long. */
export const GrantSpecSchema = z.strictObject({
  maxStarted: SizeSchema.optional(),
  /** A duration string; kept as written so the spec travels down in directives unchanged. */
  for: z
    .string()
    .refine((text) => parseDuration(text) !== undefined, durationMessage)
    .optional(),
});

const defaultPolicy = { policy: 'builtin:all-at-once', options: {} };

/** The default {@link AuditRetentionSchema}: enough for a long rollout, bounded for a leaking policy. */
export const defaultAuditRetention = { maxEntries: 1_000, maxBytes: 16 * 1024 * 1024 } as const;

/**
 * How much of a rollout's audit trail each level keeps: the newest decisions within both bounds
 * (bytes of their JSON, full policy input included). Older ones are dropped and counted; the
 * newest one is always kept.
 */
export const AuditRetentionSchema = z.strictObject({
  maxEntries: z.number().int().positive().max(1_000_000).default(defaultAuditRetention.maxEntries),
  maxBytes: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).default(defaultAuditRetention.maxBytes),
});

/** A rollout of a new version of one workload, steered by a policy at every level. */
export const RolloutSpecSchema = z.strictObject({
  id: IdSchema,
  /** The workload id, as declared in the topology. */
  workload: IdSchema,
  version: z.string().min(1).max(128),
  previousVersion: z.string().min(1).max(128),
  /** Destinations in scope: those whose labels include all of these. */
  selector: z.strictObject({ matchLabels: LabelsSchema.default({}) }).default({ matchLabels: {} }),
  /** Ordered groups, matched on the children's labels at every level. */
  groups: z.array(RolloutGroupSchema).default([]),
  /** Children no group selects are split into further groups of this size (all in one group when absent). */
  childrenPerGroup: SizeSchema.optional(),
  policies: z
    .strictObject({
      center: LevelPolicySchema.default(defaultPolicy),
      region: LevelPolicySchema.default(defaultPolicy),
      site: LevelPolicySchema.default(defaultPolicy),
    })
    .default({ center: defaultPolicy, region: defaultPolicy, site: defaultPolicy }),
  grants: z.strictObject({ region: GrantSpecSchema.optional(), site: GrantSpecSchema.optional() }).default({}),
  /**
   * A summary binding (by name) whose summary of each child level the policies see beside the
   * child's rollout states: `summary: { states, summary }` instead of the bare state counts.
   */
  summary: IdSchema.optional(),
  /** How many of the rollout's decisions each level keeps in its audit trail. */
  audit: AuditRetentionSchema.default(defaultAuditRetention),
  /**
   * The object each destination applies, customized on the way down: every level applies the
   * pattern's steps bound to its kind to what its parent rendered, and a site renders each of its
   * destinations. The center starts from `object` with its version label set to `version`.
   */
  customize: z.strictObject({ pattern: PatternSchema, object: JsonSchema }).optional(),
  /** Where an edge's report says which version it runs and how applying it went. */
  status: z
    .strictObject({
      versionPath: FieldPathSchema.default('metadata.annotations["edgesum.io/version"]'),
      phasePath: FieldPathSchema.default('metadata.annotations["edgesum.io/phase"]'),
    })
    .default({ versionPath: 'metadata.annotations["edgesum.io/version"]', phasePath: 'metadata.annotations["edgesum.io/phase"]' }),
});

export type RolloutSpec = z.output<typeof RolloutSpecSchema>;
export type RolloutSpecInput = z.input<typeof RolloutSpecSchema>;

const Iso = z.iso.datetime({ offset: true });

/** The states a child can be in for a rollout's version. */
export const ChildStateSchema = z.enum(['pending', 'progressing', 'succeeded', 'failed', 'timed-out', 'skipped']);

/** The policy input, validated where it enters: `edgesum decide` and replays. */
export const PolicyInputSchema = z
  .strictObject({
    rollout: z.strictObject({ id: IdSchema, workload: IdSchema, version: z.string().min(1), startedAt: Iso }),
    level: IdSchema,
    now: Iso,
    memo: JsonSchema.default(null),
    grant: z.strictObject({ maxStarted: z.number().int().nonnegative().nullable(), until: Iso.nullable() }).nullable().optional(),
    children: z.array(
      z.strictObject({
        id: IdSchema,
        labels: LabelsSchema.default({}),
        group: z.strictObject({ name: z.string().min(1), index: z.number().int().nonnegative() }),
        state: ChildStateSchema,
        since: Iso.optional(),
        summary: JsonSchema.default(null),
      }),
    ),
  })
  .superRefine((input, ctx) => {
    const ids = new Set<string>();
    input.children.forEach((child, i) => {
      if (ids.has(child.id)) ctx.addIssue({ code: 'custom', path: ['children', i, 'id'], message: `duplicate child id "${child.id}"` });
      ids.add(child.id);
      if (child.state !== 'pending' && child.since === undefined) {
        ctx.addIssue({ code: 'custom', path: ['children', i, 'since'], message: `required for state "${child.state}": when the child entered it for this version` });
      }
    });
  });

/** A policy's decision, validated on the way out of the sandbox. */
export const DecisionSchema = z.strictObject({
  action: z.enum(['advance', 'hold', 'pause', 'rollback', 'complete']),
  targets: z.array(z.string()),
  timedOut: z.array(z.string()),
  budgetExceeded: z.boolean(),
  recheckAfterMs: z.number().int().nonnegative().optional(),
  reason: z.string().max(4096),
  memo: JsonSchema.optional(),
});

import { z } from 'zod';
import { renderingHash } from '../customize/render.js';
import { IdSchema, JsonSchema, LevelKindSchema } from '../model/index.js';
import { ChildStateSchema, RolloutSpecSchema } from './spec.js';

/** Destinations below a level by rollout state. */
export const StateCountsSchema = z.strictObject({
  pending: z.number().int().nonnegative(),
  progressing: z.number().int().nonnegative(),
  succeeded: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  'timed-out': z.number().int().nonnegative(),
  skipped: z.number().int().nonnegative(),
});

/** What an operator or a parent tells a level to do with a rollout. */
export const RolloutCommandSchema = z.enum(['run', 'pause', 'abort', 'rollback']);

/** A customize failure as it travels: the error's code and message, and where the rendering broke. */
export const RenderFailureSchema = z.strictObject({
  code: z.string().min(1).max(128),
  message: z.string().max(4096),
  pattern: z.string().max(128),
  customizer: z.string().max(1024),
  target: IdSchema,
  path: z.string().max(4096),
});

/**
 * What a parent rendered of a rollout's object for itself, passed down for its child to render on
 * from: the object and its hash, or the failure that left it nothing to pass down.
 */
export const RenderedSchema = z.union([
  z
    .strictObject({ object: JsonSchema, hash: z.string().regex(/^[0-9a-f]{16}$/) })
    .refine((rendered) => rendered.hash === renderingHash(rendered.object), { message: 'hash is not the renderingHash of object', path: ['hash'] }),
  z.strictObject({ error: RenderFailureSchema }),
]);

/** Maximum failures a rollout report names; the rest are only counted. */
export const maxReportedRenderFailures = 200;

/** How a rollout's rendering went at and below a level. */
export const RenderingReportSchema = z.strictObject({
  /** Destinations handed a rendered object (their last good one when this rollout's rendering failed for them). */
  rendered: z.number().int().nonnegative(),
  /** Targets (levels and destinations) whose rendering failed, each keeping its last good rendering. */
  degraded: z.number().int().nonnegative(),
  failures: z.array(RenderFailureSchema).max(maxReportedRenderFailures),
});

/**
 * A directive from a parent to one child level: the rollout, the command in force and the grant
 * the child holds. The child keeps the last one it received while its parent is unreachable.
 */
export const DirectiveMessageSchema = z.strictObject({
  from: IdSchema,
  seq: z.number().int().nonnegative(),
  rollout: RolloutSpecSchema,
  startedAt: z.iso.datetime({ offset: true }),
  command: RolloutCommandSchema,
  grant: z.strictObject({ maxStarted: z.number().int().nonnegative().nullable(), until: z.iso.datetime({ offset: true }).nullable() }),
  /** The parent's rendering of the rollout's object, when the rollout has `customize`. */
  rendered: RenderedSchema.optional(),
  /**
   * Carries only the rendering, to a child not started (yet): it renders its part and passes it on
   * down, so every level and destination holds its rendering before, or without, being started.
   */
  stage: z.literal(true).optional(),
});

/** One level's rollout state and its children by state, as reported up the hierarchy. */
export const LevelRolloutSchema = z.strictObject({
  kind: LevelKindSchema,
  state: ChildStateSchema,
  children: StateCountsSchema,
});

/** A decision as people read it in a rollout's status: what was decided, where, why. */
export const DecisionViewSchema = z.strictObject({
  at: z.iso.datetime({ offset: true }),
  level: IdSchema,
  action: z.enum(['advance', 'hold', 'pause', 'rollback', 'complete']),
  started: z.array(IdSchema),
  targets: z.number().int().nonnegative(),
  budgetExceeded: z.boolean(),
  reason: z.string().max(4096),
  error: z.string().optional(),
});

/**
 * Most decisions a level reports up per rollout: the newest decisions that did something, of this
 * level and every level below. Bounded so a partial stays small however long the rollout runs.
 */
export const maxReportedDecisions = 200;

/**
 * A level's rollout progress, sent up inside its partial: its own state and destination counts,
 * and what it knows of the levels below, so the center builds a rollout's status from what it
 * received rather than by reading other nodes.
 */
export const RolloutReportSchema = z.strictObject({
  state: ChildStateSchema,
  since: z.iso.datetime({ offset: true }),
  counts: StateCountsSchema,
  /** This level and every level below it that reported, by id. */
  levels: z.record(IdSchema, LevelRolloutSchema).default({}),
  /** The newest decisions that did something at or below this level, newest last. */
  decisions: z.array(DecisionViewSchema).max(maxReportedDecisions).default([]),
  /** Decisions taken at or below this level, including those no longer kept. */
  recorded: z.number().int().nonnegative().default(0),
  /** Audit entries kept and dropped at or below this level. */
  audit: z.strictObject({ kept: z.number().int().nonnegative(), dropped: z.number().int().nonnegative() }).default({ kept: 0, dropped: 0 }),
  /** Rendering at and below this level, when the rollout has `customize`. */
  rendering: RenderingReportSchema.optional(),
  /** The level only rendered the rollout (it was staged, not started): its parent counts its rendering, not its state. */
  staged: z.literal(true).optional(),
});

export type StateCounts = z.infer<typeof StateCountsSchema>;
export type RolloutCommand = z.infer<typeof RolloutCommandSchema>;
export type DirectiveMessage = z.infer<typeof DirectiveMessageSchema>;
export type RolloutReport = z.output<typeof RolloutReportSchema>;
export type LevelRollout = z.output<typeof LevelRolloutSchema>;
export type DecisionView = z.output<typeof DecisionViewSchema>;
export type Rendered = z.output<typeof RenderedSchema>;
export type RenderFailure = z.output<typeof RenderFailureSchema>;
export type RenderingReport = z.output<typeof RenderingReportSchema>;

/** All-zero counts. */
export function emptyCounts(): StateCounts {
  return { pending: 0, progressing: 0, succeeded: 0, failed: 0, 'timed-out': 0, skipped: 0 };
}

/** Adds `b` into `a`. */
export function addCounts(a: StateCounts, b: StateCounts): StateCounts {
  for (const key of Object.keys(a) as (keyof StateCounts)[]) a[key] += b[key];
  return a;
}

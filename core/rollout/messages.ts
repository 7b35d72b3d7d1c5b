import { z } from 'zod';
import { IdSchema, LevelKindSchema } from '../model/index.js';
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
});

export type StateCounts = z.infer<typeof StateCountsSchema>;
export type RolloutCommand = z.infer<typeof RolloutCommandSchema>;
export type DirectiveMessage = z.infer<typeof DirectiveMessageSchema>;
export type RolloutReport = z.output<typeof RolloutReportSchema>;
export type LevelRollout = z.output<typeof LevelRolloutSchema>;
export type DecisionView = z.output<typeof DecisionViewSchema>;

/** All-zero counts. */
export function emptyCounts(): StateCounts {
  return { pending: 0, progressing: 0, succeeded: 0, failed: 0, 'timed-out': 0, skipped: 0 };
}

/** Adds `b` into `a`. */
export function addCounts(a: StateCounts, b: StateCounts): StateCounts {
  for (const key of Object.keys(a) as (keyof StateCounts)[]) a[key] += b[key];
  return a;
}

import { z } from 'zod';
import { IdSchema } from '../model/index.js';
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

/** A level's rollout progress, sent up inside its partial. */
export const RolloutReportSchema = z.strictObject({
  state: ChildStateSchema,
  since: z.iso.datetime({ offset: true }),
  counts: StateCountsSchema,
});

export type StateCounts = z.infer<typeof StateCountsSchema>;
export type RolloutCommand = z.infer<typeof RolloutCommandSchema>;
export type DirectiveMessage = z.infer<typeof DirectiveMessageSchema>;
export type RolloutReport = z.infer<typeof RolloutReportSchema>;

/** All-zero counts. */
export function emptyCounts(): StateCounts {
  return { pending: 0, progressing: 0, succeeded: 0, failed: 0, 'timed-out': 0, skipped: 0 };
}

/** Adds `b` into `a`. */
export function addCounts(a: StateCounts, b: StateCounts): StateCounts {
  for (const key of Object.keys(a) as (keyof StateCounts)[]) a[key] += b[key];
  return a;
}

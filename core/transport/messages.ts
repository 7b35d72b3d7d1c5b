import { z } from 'zod';
import { ErrorCodes, type ErrorCode } from '../errors.js';
import { IdSchema, JsonSchema, recordOf, StatusReportSchema } from '../model/index.js';
import { RolloutReportSchema } from '../rollout/messages.js';

const CoverageSchema = z.strictObject({
  expected: z.number().int().nonnegative(),
  reporting: z.number().int().nonnegative(),
  stale: z.number().int().nonnegative(),
  unreachable: z.number().int().nonnegative(),
});

const DegradationSchema = z.strictObject({
  code: z.enum(Object.values(ErrorCodes) as [ErrorCode, ...ErrorCode[]]),
  message: z.string(),
  /** Consecutive failed attempts of the sending level's binding. */
  failures: z.number().int().nonnegative().optional(),
  /** When the sending level calls the plugin again. */
  retryAt: z.iso.datetime({ offset: true }).optional(),
});

/** One binding's contribution inside a partial message. */
export const BindingPartialSchema = z.strictObject({
  groups: recordOf(JsonSchema),
  coverage: CoverageSchema,
  degraded: DegradationSchema.nullable(),
});

/**
 * What a level sends its parent: its accumulators per binding, tagged with its id, the epoch of
 * this incarnation of the node and a seq within the epoch, so the parent replaces that child's
 * previous contribution exactly once and ignores duplicates and stragglers.
 */
export const PartialMessageSchema = z.strictObject({
  from: IdSchema,
  epoch: z.number().int().nonnegative(),
  seq: z.number().int().nonnegative(),
  sentAt: z.iso.datetime({ offset: true }),
  bindings: z.record(z.string(), BindingPartialSchema),
  /** Rollout progress of the sending level, by rollout id. */
  rollouts: z.record(z.string(), RolloutReportSchema).default({}),
});

/** The status of one edge copy set: every latest report of one destination, from the level that owns it. */
export const DestinationStatusSchema = z.strictObject({
  destination: IdSchema,
  level: IdSchema,
  reports: z.array(StatusReportSchema),
});

export type PartialMessage = z.output<typeof PartialMessageSchema>;
export { DirectiveMessageSchema, type DirectiveMessage } from '../rollout/messages.js';
export type DestinationStatus = z.infer<typeof DestinationStatusSchema>;

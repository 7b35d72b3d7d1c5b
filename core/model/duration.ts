import { z } from 'zod';

const units: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };
/**
 * A hundred years: beyond any window anyone means, within what a date can hold when added to now,
 * and far from the digit strings that would parse to Infinity (which no comparison ever crosses).
 */
export const maxDurationMs = 100 * 366 * 24 * 3_600_000;

/** Why a string is not a duration, the same wherever one is read. */
export const durationMessage = 'must be a duration like "90s", "5m" or "1h30m", at most 100 years';
const durationPattern = /^(\d+(\.\d+)?(ms|s|m|h))+$/;

/**
 * Parses a duration written as in Kubernetes and Go (`"90s"`, `"5m"`, `"1h30m"`, `"250ms"`) to
 * milliseconds, or returns `undefined` when it is not one.
 */
export function parseDuration(text: string): number | undefined {
  if (!durationPattern.test(text)) return undefined;
  let total = 0;
  for (const [, amount, , unit] of text.matchAll(/(\d+(\.\d+)?)(ms|s|m|h)/g)) total += Number(amount) * units[unit!]!;
  return total <= maxDurationMs ? total : undefined;
}

/** A duration string validated and converted to milliseconds. */
export const DurationSchema = z
  .string()
  .refine((text) => parseDuration(text) !== undefined, durationMessage)
  .transform((text) => parseDuration(text)!);

/** How long a failing binding waits before its plugin is called again. */
export interface RetryPolicy {
  /** Wait after the first failure, in ms; it doubles with every further failure in a row. */
  readonly initialMs: number;
  /** Longest wait, in ms. */
  readonly maxMs: number;
}

/**
 * The retry policy of every binding unless the node is told otherwise. A plugin that runs into its
 * time limit costs that limit at every level on every attempt; backing off bounds what one broken
 * binding takes from the others, and five minutes bounds how stale a summary stays once its cause
 * is fixed.
 */
export const defaultRetry: RetryPolicy = { initialMs: 1_000, maxMs: 300_000 };

/** Longest wait any policy gets. */
const maxWaitMs = 365 * 24 * 3_600_000;

/**
 * Exponential backoff on the injected clock: consecutive failures, and when the next attempt is
 * allowed. A success resets it.
 */
export class Backoff {
  private count = 0;
  private next: number | undefined;
  private readonly initialMs: number;
  private readonly maxMs: number;

  constructor(policy: RetryPolicy) {
    // A wait that is not a finite number of ms, or past a year, would never end or not be a date.
    const bounded = (ms: number, fallback: number) => (Number.isFinite(ms) ? Math.min(Math.max(0, ms), maxWaitMs) : fallback);
    this.initialMs = bounded(policy.initialMs, defaultRetry.initialMs);
    this.maxMs = Math.max(this.initialMs, bounded(policy.maxMs, defaultRetry.maxMs));
  }

  /** Consecutive failures since the last success. */
  get failures(): number {
    return this.count;
  }

  /** When the next attempt is allowed (ms), or `undefined` after a success. */
  get retryAt(): number | undefined {
    return this.next;
  }

  /** Whether an attempt may run at `now`. */
  ready(now: number): boolean {
    return this.next === undefined || now >= this.next;
  }

  /** Records a failure at `now` and schedules the next attempt. */
  fail(now: number): void {
    this.count++;
    // The exponent stops growing long before the wait could overflow to Infinity.
    this.next = now + Math.min(this.maxMs, this.initialMs * 2 ** Math.min(this.count - 1, 52));
  }

  /** Records a success: the next failure starts from the initial wait again. */
  succeed(): void {
    this.count = 0;
    this.next = undefined;
  }
}

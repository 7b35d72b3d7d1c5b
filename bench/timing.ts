/** How the benchmark times work and tells people what it is doing. */

/** A timed pass: how long it took and what it produced. */
export interface Timed<T> {
  readonly ms: number;
  readonly result: T;
}

/**
 * Runs `pass` `runs` times and keeps the fastest: on a shared two-core machine the minimum is the
 * estimate least disturbed by other processes. Every pass must produce the same result; the last
 * one is returned.
 */
export async function fastestOf<T>(runs: number, pass: () => Promise<T> | T): Promise<Timed<T>> {
  let best = Number.POSITIVE_INFINITY;
  let result: T | undefined;
  for (let i = 0; i < Math.max(1, runs); i++) {
    const start = performance.now();
    result = await pass();
    best = Math.min(best, performance.now() - start);
  }
  return { ms: best, result: result as T };
}

/** Reports per second from a count and milliseconds. */
export function perSecond(count: number, ms: number): number {
  return ms > 0 ? (count * 1000) / ms : 0;
}

/** Progress goes to stderr so that `--json` keeps stdout for the result alone. */
export function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

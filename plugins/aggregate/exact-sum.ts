/**
 * Exact floating-point summation with order-independent results, after Shewchuk (1997) as used by
 * Python's `math.fsum`.
 *
 * A running sum is kept as a list of *partials*: finite, non-zero doubles, non-overlapping (the
 * lowest set bit of each is above the highest set bit of the previous one) and increasing in
 * magnitude. Their exact mathematical sum is exactly the sum of every value added so far, so
 * adding the same values in any order, or summing parts of them and adding the parts' partials
 * together, represents the same real number; {@link roundExact} rounds that number once, correctly.
 *
 * On top of that, {@link canonicalExact} rewrites a list into the one expansion that depends only on
 * the value (each element is the correctly rounded rest), so two accumulators holding equal sums
 * are equal as JSON too, not only after rounding.
 *
 * @module plugins/aggregate/exact-sum
 */

/**
 * The largest magnitude accepted into an exact sum: about 2^963. Keeping every summand below it
 * keeps every intermediate of the algorithm below 2^1017 for any count of values under 2^53, so
 * no step can overflow to Infinity. Python raises on intermediate overflow; a plugin must not.
 */
export const maxSummand = 1e290;

/** Whether `value` may enter an exact sum: a finite number of magnitude at most {@link maxSummand}. */
export function isSummand(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && Math.abs(value) <= maxSummand;
}

/**
 * Adds `x` to a valid partials list in place (Shewchuk's grow-expansion with zero elimination).
 * Zeros are dropped, so no `-0` ever enters the list.
 */
export function addExact(partials: number[], x: number): void {
  let i = 0;
  for (let j = 0; j < partials.length; j++) {
    let y = partials[j]!;
    if (Math.abs(x) < Math.abs(y)) {
      const t = x;
      x = y;
      y = t;
    }
    const hi = x + y;
    const lo = y - (hi - x);
    if (lo !== 0) partials[i++] = lo;
    x = hi;
  }
  partials.length = i;
  if (x !== 0) partials.push(x);
}

/**
 * The correctly rounded (round half to even) value of the exact sum, as Python's `fsum` computes
 * it; `0` for an empty list. Never `-0`: partials are non-zero and non-overlapping, so a non-empty
 * list never sums to zero.
 */
export function roundExact(partials: readonly number[]): number {
  let n = partials.length;
  if (n === 0) return 0;
  let hi = partials[--n]!;
  let lo = 0;
  while (n > 0) {
    const x = hi;
    const y = partials[--n]!;
    hi = x + y;
    lo = y - (hi - x);
    if (lo !== 0) break;
  }
  // Round-half-even on `hi + lo` may have gone the wrong way when the partials below `lo`
  // push the exact value off the half-way point in `lo`'s direction.
  if (n > 0 && ((lo < 0 && partials[n - 1]! < 0) || (lo > 0 && partials[n - 1]! > 0))) {
    const y = lo * 2;
    const x = hi + y;
    if (y === x - hi) hi = x;
  }
  return hi === 0 ? 0 : hi;
}

/**
 * The canonical expansion of a valid partials list: the correctly rounded sum, then the correctly
 * rounded remainder, and so on, listed smallest first. Equal exact sums give identical lists
 * whatever order their values were added in.
 */
export function canonicalExact(partials: readonly number[]): number[] {
  if (partials.length <= 1) return partials.slice();
  const rest = partials.slice();
  const out: number[] = [];
  // Each step removes at least 53 significant bits and the whole double range spans 2098, so
  // 64 rounds are never reached by a valid list; the bound only guards against a corrupted one.
  for (let round = 0; round < 64 && rest.length > 0; round++) {
    const r = roundExact(rest);
    if (r === 0) break;
    out.push(r);
    addExact(rest, -r);
  }
  return out.reverse();
}

/**
 * The exact sum of two partials lists (or of any finite numbers in them) as a new canonical list.
 * Neither argument is modified; anything that is not a finite number is ignored, so a malformed
 * list cannot poison the result with NaN or Infinity.
 */
export function sumExact(a: readonly unknown[], b: readonly unknown[]): number[] {
  const out: number[] = [];
  for (const x of a) if (typeof x === 'number' && Number.isFinite(x)) addExact(out, x);
  for (const x of b) if (typeof x === 'number' && Number.isFinite(x)) addExact(out, x);
  return canonicalExact(out);
}

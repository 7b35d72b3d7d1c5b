import fc from 'fast-check';

/** The reports of a counterexample, in the order they were folded, and the parts they were dealt into. */
export interface Dealt<T> {
  readonly items: T[];
  readonly parts: T[][];
}

const parts = 3;
const runs = 60;
/** Fixed, so a check prints the same counterexample every time. */
const seed = 1302;

/**
 * The smallest selection of `items`, in some order and dealt into up to three parts, on which
 * `fails` still holds, found with fast-check: it starts from every item dealt round-robin (the
 * case the check already failed on), tries random selections, and shrinks the first failing one
 * toward fewer items, earlier items and fewer parts. Undefined when no selection fails, not even all.
 */
export function shrinkDealt<T>(all: readonly T[], fails: (dealt: Dealt<T>) => boolean): Dealt<T> | undefined {
  if (all.length === 0) return fails({ items: [], parts: [[], [], []] }) ? { items: [], parts: [] } : undefined;
  const picks = fc.array(fc.record({ index: fc.nat({ max: all.length - 1 }), part: fc.nat({ max: parts - 1 }) }), { minLength: 1, maxLength: all.length });
  type Pick = { index: number; part: number };
  const deal = (chosen: readonly Pick[]): Dealt<T> => {
    const seen = new Set<number>();
    const unique = chosen.filter((pick) => !seen.has(pick.index) && seen.add(pick.index));
    return { items: unique.map((pick) => all[pick.index]!), parts: Array.from({ length: parts }, (_, k) => unique.filter((pick) => pick.part === k).map((pick) => all[pick.index]!)) };
  };
  const everything = all.map((_, index) => ({ index, part: index % parts }));
  const result = fc.check(
    fc.property(picks, (chosen) => !fails(deal(chosen))),
    { seed, numRuns: runs, examples: [[everything]] },
  );
  if (!result.failed || result.counterexample === null) return undefined;
  const found = deal(result.counterexample[0]!);
  return { items: found.items, parts: found.parts.filter((part) => part.length > 0) };
}

/** The smallest subset of `all`, in its order, on which `fails` still holds; undefined when none does. */
export function shrinkSubset<T>(all: readonly T[], fails: (subset: T[]) => boolean): T[] | undefined {
  const indices = all.map((_, i) => i);
  const result = fc.check(
    fc.property(fc.subarray(indices), (chosen) => !fails(chosen.map((i) => all[i]!))),
    { seed, numRuns: runs, examples: [[indices]] },
  );
  if (!result.failed || result.counterexample === null) return undefined;
  return result.counterexample[0]!.map((i) => all[i]!);
}

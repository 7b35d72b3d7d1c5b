/**
 * `drift`: how many destinations applied something other than what the customization pattern
 * renders for them. An edge reports the hash of what it applied (`edgesum.io/applied-hash`) and the
 * hash its site rendered for it (`edgesum.io/rendered-hash`); the two differ where someone edited
 * the object locally, an old agent applied a stale copy, or the edge rendered with other labels.
 *
 * Counts add up and the examples are the smallest drifted ids, so merging is exact and the
 * accumulator stays bounded.
 *
 * @module plugins/drift
 */
import { defineReducer } from '../../core/contract.js';

/** Options of `drift`. */
export type DriftOptions = {
  /** How many drifted destination ids to keep as examples (the smallest ids). Default 5. */
  readonly examples?: number;
};

/** Reports that carry both hashes, those whose hashes differ, and example drifted destinations (sorted). */
export type DriftAcc = { checked: number; drifted: number; examples: string[] };

const applied = 'edgesum.io/applied-hash';
const rendered = 'edgesum.io/rendered-hash';

function keep(ids: readonly string[], limit: number): string[] {
  return [...new Set(ids)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).slice(0, limit);
}

export default defineReducer<DriftOptions, DriftAcc, DriftAcc>({
  name: 'drift',
  version: '1.0.0',
  description: 'Counts destinations whose applied object differs from what the pattern renders for them.',
  reads: ['metadata.annotations'],
  options: {
    type: 'object',
    additionalProperties: false,
    properties: { examples: { type: 'integer', minimum: 0, maximum: 100, default: 5 } },
  },
  init: () => ({ checked: 0, drifted: 0, examples: [] }),
  add(acc, report, ctx) {
    const annotations = report.metadata?.annotations ?? {};
    const got = Object.hasOwn(annotations, applied) ? annotations[applied] : undefined;
    const want = Object.hasOwn(annotations, rendered) ? annotations[rendered] : undefined;
    if (typeof got !== 'string' || typeof want !== 'string') return acc;
    const drifted = got !== want;
    return {
      checked: acc.checked + 1,
      drifted: acc.drifted + (drifted ? 1 : 0),
      examples: drifted ? keep([...acc.examples, report.destination], ctx.options.examples ?? 5) : acc.examples,
    };
  },
  merge: (a, b, ctx) => ({ checked: a.checked + b.checked, drifted: a.drifted + b.drifted, examples: keep([...a.examples, ...b.examples], ctx.options.examples ?? 5) }),
  finish: (acc) => acc,
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Json } from '../contract.js';
import { MergeTree, recomputeTrees, type BatchMerge } from './merge-tree.js';

/** Concatenation is associative but not commutative, so it also checks that slot order is kept. */
const concat: BatchMerge = async (groups) => groups.map((group) => group.flatMap((acc) => acc as Json[]));

function countingConcat() {
  const calls: number[] = [];
  const merge: BatchMerge = async (groups) => {
    calls.push(groups.length);
    return concat(groups);
  };
  return { merge, calls };
}

describe('MergeTree', () => {
  it('has no root until a slot holds an accumulator', async () => {
    const tree = new MergeTree();
    tree.allocate();
    await recomputeTrees([tree], concat);
    expect(tree.root()).toBeUndefined();
  });

  it('equals the in-order merge of its slots after any sequence of sets and releases', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ op: fc.constantFrom('set', 'set', 'set', 'release', 'recompute'), slot: fc.nat(40), value: fc.nat(1000) }), { maxLength: 120 }),
        async (ops) => {
          const tree = new MergeTree();
          const model = new Map<number, number>();
          const slots: number[] = [];
          for (const { op, slot, value } of ops) {
            if (op === 'recompute') {
              await recomputeTrees([tree], concat);
              continue;
            }
            if (slots.length === 0 || (op === 'set' && slot >= slots.length)) slots.push(tree.allocate());
            const target = slots[slot % slots.length]!;
            if (op === 'set') {
              tree.set(target, [value]);
              model.set(target, value);
            } else {
              tree.set(target, undefined);
              model.delete(target);
            }
          }
          await recomputeTrees([tree], concat);
          const expected = [...model.entries()].sort(([a], [b]) => a - b).map(([, value]) => value);
          expect(tree.root() ?? []).toEqual(expected);
        },
      ),
      { seed: 7, numRuns: 300 },
    );
  });

  it('equals the in-order merge of its slots with any fan-out, and re-merges one group per depth', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 2, max: 20 }), fc.array(fc.tuple(fc.nat(60), fc.option(fc.nat(1000))), { maxLength: 80 }), async (fanOut, ops) => {
        const tree = new MergeTree(fanOut);
        const model = new Map<number, number>();
        for (const [slot, value] of ops) {
          while (tree.slots <= slot) tree.allocate();
          tree.set(slot, value === null ? undefined : [value]);
          if (value === null) model.delete(slot);
          else model.set(slot, value);
          if (slot % 7 === 0) await recomputeTrees([tree], concat);
        }
        await recomputeTrees([tree], concat);
        expect(tree.root() ?? []).toEqual([...model.entries()].sort(([a], [b]) => a - b).map(([, value]) => value));
      }),
      { seed: 11, numRuns: 200 },
    );
    const tree = new MergeTree(16);
    for (let i = 0; i < 1000; i++) tree.set(tree.allocate(), [i]);
    await recomputeTrees([tree], concat);
    const { merge, calls } = countingConcat();
    tree.set(517, ['changed']);
    await recomputeTrees([tree], merge);
    expect(calls).toEqual([1, 1, 1]);
    expect((tree.root() as Json[])[517]).toBe('changed');
  });

  it('re-merges only the ancestors of a changed slot', async () => {
    const tree = new MergeTree();
    for (let i = 0; i < 1024; i++) tree.set(tree.allocate(), [i]);
    await recomputeTrees([tree], concat);
    const { merge, calls } = countingConcat();
    tree.set(517, ['changed']);
    await recomputeTrees([tree], merge);
    expect(calls).toEqual(Array(10).fill(1));
    expect((tree.root() as Json[])[517]).toBe('changed');
  });

  it('keeps the last good root when a merge fails half-way, and catches up on the next recompute', async () => {
    const tree = new MergeTree();
    for (let i = 0; i < 8; i++) tree.set(tree.allocate(), [i]);
    await recomputeTrees([tree], concat);
    tree.set(3, [30]);
    let depth = 0;
    const failing: BatchMerge = async (groups) => {
      if (++depth === 2) throw new RangeError('boom');
      return concat(groups);
    };
    await expect(recomputeTrees([tree], failing)).rejects.toThrow('boom');
    expect(tree.root()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(tree.isDirty).toBe(true);
    await recomputeTrees([tree], concat);
    expect(tree.root()).toEqual([0, 1, 2, 30, 4, 5, 6, 7]);
  });

  it('batches the merges of several trees into one call per depth', async () => {
    const trees = [new MergeTree(), new MergeTree(), new MergeTree()];
    for (const tree of trees) for (let i = 0; i < 16; i++) tree.set(tree.allocate(), [i]);
    const { merge, calls } = countingConcat();
    await recomputeTrees(trees, merge);
    expect(calls).toEqual([24, 12, 6, 3]);
  });
});

import type { Json } from '../contract.js';

/** Merges each group of accumulators into one; one batch call into the plugin runner. */
export type BatchMerge = (groups: Json[][]) => Promise<Json[]>;

/**
 * A balanced tree of accumulators over numbered slots, each inner node merging up to `fanOut`
 * children (2 by default). A slot is one partition of reports or one child level's contribution,
 * so a changed slot re-merges only its O(log P) ancestors; a wider tree costs fewer merge calls per
 * change (one per depth) for a little more merging in each. An empty slot is the identity and
 * costs no merge call.
 */
export class MergeTree {
  /** `levels[0]` holds the slots; `levels[k][i]` merges `levels[k-1][F·i … F·i+F-1]`. */
  private levels: (Json | undefined)[][] = [[]];
  private readonly dirty = new Set<number>();
  private readonly free: number[] = [];

  constructor(readonly fanOut: number = 2) {}

  /** Reserves a slot, reusing a released one first. */
  allocate(): number {
    const reused = this.free.pop();
    if (reused !== undefined) return reused;
    this.levels[0]!.push(undefined);
    return this.levels[0]!.length - 1;
  }

  /** Empties a slot and makes it available to `allocate`. */
  release(slot: number): void {
    this.set(slot, undefined);
    this.free.push(slot);
  }

  /** Replaces a slot's accumulator; the ancestors are re-merged on the next `recompute`. */
  set(slot: number, acc: Json | undefined): void {
    this.levels[0]![slot] = acc;
    this.dirty.add(slot);
  }

  /** The slot's accumulator. */
  get(slot: number): Json | undefined {
    return this.levels[0]![slot];
  }

  /** Whether some slot changed since the last successful recompute. */
  get isDirty(): boolean {
    return this.dirty.size > 0;
  }

  /** The merge of every slot as of the last successful recompute, `undefined` when all are empty. */
  root(): Json | undefined {
    return this.levels[this.levels.length - 1]?.[0];
  }

  /** Number of slots in use or released. */
  get slots(): number {
    return this.levels[0]!.length;
  }

  /** The merge jobs one tree contributes at one depth, and where their results go. */
  plan(): TreePlan {
    return new TreePlan(this.levels, this.dirty, this.fanOut);
  }

  /** Installs a fully computed plan. */
  commit(plan: TreePlan): void {
    this.levels = plan.result();
    this.dirty.clear();
  }
}

/**
 * An in-progress recompute of one tree. Nothing is written to the tree until `commit`, so a merge
 * that fails half-way leaves the last good root in place.
 */
export class TreePlan {
  private readonly staged: (Json | undefined)[][];
  private changed: number[];
  private depth = 0;
  readonly height: number;

  constructor(
    levels: readonly (Json | undefined)[][],
    dirty: ReadonlySet<number>,
    private readonly fanOut: number = 2,
  ) {
    const leaves = levels[0]!;
    let height = 0;
    for (let span = 1; span < leaves.length; span *= fanOut) height++;
    this.height = height;
    this.staged = [leaves.slice()];
    // A level above the last computed root starts from that root: node 0 covers the old range,
    // and every other node covers only slots added since, which are empty or dirty.
    const oldHeight = levels.length - 1;
    const oldRoot = levels[oldHeight]?.[0];
    for (let k = 1; k <= this.height; k++) {
      const size = Math.ceil(this.staged[k - 1]!.length / fanOut);
      const previous = k <= oldHeight ? levels[k]! : [oldRoot];
      this.staged.push(Array.from({ length: size }, (_, i) => previous[i]));
    }
    this.changed = [...dirty];
  }

  /** Whether another depth remains to compute. */
  get done(): boolean {
    return this.depth >= this.height || this.changed.length === 0;
  }

  /**
   * The next depth's merge jobs. Nodes with one empty child take the other as is; `apply` receives
   * the merge results of the returned groups in order.
   */
  next(): { groups: Json[][]; apply: (merged: readonly Json[]) => void } {
    this.depth++;
    const below = this.staged[this.depth - 1]!;
    const here = this.staged[this.depth]!;
    const fanOut = this.fanOut;
    const parents = [...new Set(this.changed.map((i) => Math.floor(i / fanOut)))];
    const pending: number[] = [];
    const groups: Json[][] = [];
    for (const parent of parents) {
      const children: Json[] = [];
      for (let i = parent * fanOut; i < (parent + 1) * fanOut && i < below.length; i++) if (below[i] !== undefined) children.push(below[i]!);
      if (children.length > 1) {
        pending.push(parent);
        groups.push(children);
      } else {
        here[parent] = children[0];
      }
    }
    this.changed = parents;
    return {
      groups,
      apply: (merged) => pending.forEach((parent, i) => (here[parent] = merged[i])),
    };
  }

  /** The computed levels; valid once `done`. */
  result(): (Json | undefined)[][] {
    return this.staged;
  }
}

/**
 * Recomputes several trees together, one merge call per depth across all of them, so a binding
 * with many groups still costs O(log P) boundary crossings per flush.
 */
export async function recomputeTrees(trees: readonly MergeTree[], merge: BatchMerge): Promise<void> {
  const plans = trees.filter((tree) => tree.isDirty).map((tree) => ({ tree, plan: tree.plan() }));
  for (;;) {
    const steps = plans.filter(({ plan }) => !plan.done).map(({ plan }) => plan.next());
    if (steps.length === 0) break;
    const groups = steps.flatMap((step) => step.groups);
    const merged = groups.length === 0 ? [] : await merge(groups);
    let offset = 0;
    for (const step of steps) {
      step.apply(merged.slice(offset, offset + step.groups.length));
      offset += step.groups.length;
    }
  }
  for (const { tree, plan } of plans) tree.commit(plan);
}

import type { QuickJSContext, QuickJSRuntime } from 'quickjs-emscripten';
import type { GuestScript } from '../bundle.js';
import { minBootMs } from './limits.js';
import type { ModuleLease, WasmHost } from './wasm-host.js';

/** A runtime and context in which the guest shim has run: the realm hardened, no plugin code yet. */
export interface GuestRuntime {
  readonly runtime: QuickJSRuntime;
  readonly context: QuickJSContext;
}

/** What a {@link WarmSpare} boots with. */
export interface SpareEnv {
  readonly host: WasmHost;
  /** Host clock in ms, for the boot's deadline. */
  readonly clock: () => number;
  /** QuickJS's stack limit while the shim runs; the plugin that takes the spare sets its own. */
  readonly stackBytes: number;
  /**
   * How far booting the spare may grow the WebAssembly heap, and what it counts for in the module's
   * heap ceiling while it is held or booting: the runner's `memoryBytes`, as for the plugin that
   * will take it. A spare takes ~300 KB, but the heap grows in steps of up to a fifth of its size.
   */
  readonly budgetBytes: number;
}

interface Spare extends GuestRuntime {
  readonly lease: ModuleLease;
  readonly shim: string;
}

/**
 * One runtime booted ahead of need: created, the guest shim evaluated and the realm hardened in
 * idle time (a macrotask of its own, never inside a call), so that loading a plugin only evaluates
 * the plugin's own script. A spare never runs plugin code: the plugin that {@link take}s it owns
 * it from then on, and a new spare boots behind it. It lives on the runner's one module and counts
 * in that module's heap ceiling ({@link budgetBytes}); a module that is discarded takes its spare
 * along.
 */
export class WarmSpare {
  private spare: Spare | undefined;
  /** The shim the next spare boots with: the one of the last plugin loaded. */
  private shim: GuestScript | undefined;
  private booting = false;
  private closed = false;
  private deadline = 0;

  constructor(private readonly env: SpareEnv) {}

  /** Boots a spare with `shim` in idle time, unless one is held or on its way. */
  refill(shim: GuestScript): void {
    this.shim = shim;
    if (this.closed || this.booting || this.holds(shim)) return;
    this.booting = true;
    setImmediate(() => void this.boot());
  }

  /**
   * The spare, if one booted with `shim` on `lease` is ready; the caller owns it from now on. A
   * new one boots behind it either way.
   */
  take(lease: ModuleLease, shim: GuestScript): GuestRuntime | undefined {
    const spare = this.spare?.lease === lease && this.holds(shim) ? this.spare : undefined;
    if (spare !== undefined) this.spare = undefined;
    this.refill(shim);
    return spare;
  }

  /** What the spare counts for in `lease`'s heap ceiling: its budget while held or booting, else 0. */
  budgetBytes(lease: ModuleLease): number {
    return !this.closed && (this.booting || this.spare?.lease === lease) ? this.env.budgetBytes : 0;
  }

  /** Whether a spare is held, ready to be taken. */
  get ready(): boolean {
    return this.spare?.lease.alive === true;
  }

  /** Disposes the spare; no other boots. */
  dispose(): void {
    this.closed = true;
    this.release();
  }

  private holds(shim: GuestScript): boolean {
    return this.spare !== undefined && this.spare.lease.alive && this.spare.shim === shim.hash;
  }

  private async boot(): Promise<void> {
    let lease: ModuleLease | undefined;
    try {
      // Never instantiates a module for a runner that is gone.
      if (!this.closed) lease = await this.env.host.acquire();
    } catch {
      // The next call instantiates the module and reports why it cannot; a spare is only an optimization.
    }
    this.booting = false;
    const shim = this.shim;
    if (lease === undefined || this.closed || !lease.alive || shim === undefined || this.holds(shim)) return;
    this.release();
    this.spare = this.bootOn(lease, shim);
  }

  /** Everything that touches QuickJS for one spare; synchronous, so no call interleaves. */
  private bootOn(lease: ModuleLease, shim: GuestScript): Spare | undefined {
    lease.limitGrowth(lease.heapBytes() + this.env.budgetBytes);
    try {
      const runtime = lease.module.newRuntime();
      runtime.setMaxStackSize(this.env.stackBytes);
      this.deadline = this.env.clock() + minBootMs;
      runtime.setInterruptHandler(() => this.env.clock() > this.deadline);
      const context = runtime.newContext();
      const result = context.evalCode(shim.code, shim.filename, { type: 'global' });
      if (result.error === undefined) result.value.dispose();
      else result.error.dispose();
      if (result.error === undefined && !lease.growthRefused) return { lease, runtime, context, shim: shim.hash };
      context.dispose();
      runtime.dispose();
      // QuickJS is not built to run on reliably after an allocation failed: the module goes.
      if (lease.growthRefused) this.env.host.discard(lease);
      return undefined;
    } catch {
      // A host-side failure may leave the runtime impossible to dispose, so the module goes with it.
      this.env.host.discard(lease);
      return undefined;
    } finally {
      lease.limitGrowth(Number.POSITIVE_INFINITY);
    }
  }

  private release(): void {
    const spare = this.spare;
    this.spare = undefined;
    if (spare !== undefined) this.env.host.release(spare);
  }
}

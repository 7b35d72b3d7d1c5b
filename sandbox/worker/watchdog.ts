/**
 * The guest cell: shared memory in which a worker thread marks every stretch of guest code (which
 * request, until when), and which its host reads to decide when to terminate the thread. Shared
 * memory rather than messages: the host reads it without waiting on the worker, and the worker
 * writes it without an event loop turn, right before and after the synchronous guest call.
 *
 * Times are `process.hrtime.bigint()` nanoseconds: one monotonic clock for every thread of the
 * process, unlike `performance.now()`, whose origin is each thread's own start.
 */
import type { GuestWatch } from '../quickjs/plugin-sandbox.js';

const deadlineSlot = 0;
const requestSlot = 1;
const bootingSlot = 2;
const heapSlot = 3;
const slotCount = 4;

/** A new cell, for one worker thread. */
export function newGuestCell(): SharedArrayBuffer {
  return new SharedArrayBuffer(slotCount * BigInt64Array.BYTES_PER_ELEMENT);
}

/** The worker's side: a {@link GuestWatch} that marks the cell for the request it serves. */
export class GuestCellWriter implements GuestWatch {
  private readonly slots: BigInt64Array;

  constructor(cell: SharedArrayBuffer) {
    this.slots = new BigInt64Array(cell);
  }

  /** The request whose guest code runs from the next {@link enter} on. */
  serve(request: number): void {
    Atomics.store(this.slots, requestSlot, BigInt(request));
  }

  enter(budgetMs: number, booting: boolean): void {
    Atomics.store(this.slots, bootingSlot, booting ? 1n : 0n);
    // Written last: a non-zero deadline tells the host the other slots are current.
    Atomics.store(this.slots, deadlineSlot, process.hrtime.bigint() + BigInt(Math.ceil(budgetMs * 1e6)));
  }

  leave(): void {
    Atomics.store(this.slots, deadlineSlot, 0n);
  }

  /** Publishes the size of the thread's WebAssembly heap, for the host's memory metric. */
  heap(bytes: number): void {
    Atomics.store(this.slots, heapSlot, BigInt(bytes));
  }
}

/** One stretch of guest code, as the host reads it from the cell. */
export interface GuestStretch {
  /** The id of the request the guest code runs for. */
  readonly request: number;
  /** Whether the guest evaluates a bundle (a new runtime) rather than running a hook. */
  readonly booting: boolean;
  /** Until when the worker's own limit lets it run, in `process.hrtime.bigint()` nanoseconds. */
  readonly deadline: bigint;
}

/** The host's side: reads the cell of one worker thread. */
export class GuestCellReader {
  private readonly slots: BigInt64Array;

  constructor(cell: SharedArrayBuffer) {
    this.slots = new BigInt64Array(cell);
  }

  /**
   * The stretch of guest code running now; `undefined` when none runs, or when one ended and the
   * next began while the cell was being read (the next read sees the new one).
   */
  read(): GuestStretch | undefined {
    const deadline = Atomics.load(this.slots, deadlineSlot);
    if (deadline === 0n) return undefined;
    const request = Number(Atomics.load(this.slots, requestSlot));
    const booting = Atomics.load(this.slots, bootingSlot) === 1n;
    return Atomics.load(this.slots, deadlineSlot) === deadline ? { request, booting, deadline } : undefined;
  }

  /** The thread's WebAssembly heap as it last published it, in bytes. */
  heapBytes(): number {
    return Number(Atomics.load(this.slots, heapSlot));
  }
}

import type { StatusReport } from '../contract.js';
import { reportKey } from '../model/index.js';

/**
 * Storage port of a level node: the latest report per (destination, object). The in-memory store
 * serves tests, the demo and simulations; a durable store keeps the same contract.
 */
export interface ReportStore {
  /** The latest report stored under `key` (see `reportKey`). */
  get(key: string): StatusReport | undefined;
  /** Stores a report as the latest of its (destination, object). */
  put(report: StatusReport): void;
  /** Every latest report of one destination, in arrival order. */
  byDestination(destination: string): StatusReport[];
  /** Number of (destination, object) pairs stored. */
  readonly size: number;
}

/** A `ReportStore` in process memory. */
export class MemoryReportStore implements ReportStore {
  private readonly latest = new Map<string, StatusReport>();
  private readonly keysByDestination = new Map<string, Set<string>>();

  get(key: string): StatusReport | undefined {
    return this.latest.get(key);
  }

  put(report: StatusReport): void {
    const key = reportKey(report);
    this.latest.set(key, report);
    let keys = this.keysByDestination.get(report.destination);
    if (keys === undefined) {
      keys = new Set();
      this.keysByDestination.set(report.destination, keys);
    }
    keys.add(key);
  }

  byDestination(destination: string): StatusReport[] {
    return [...(this.keysByDestination.get(destination) ?? [])].map((key) => this.latest.get(key)!);
  }

  get size(): number {
    return this.latest.size;
  }
}
export * from './node-store.js';

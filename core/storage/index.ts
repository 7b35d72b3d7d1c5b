import type { StatusReport } from '../contract.js';

/**
 * The report part of a level node's storage: the latest report per (destination, object). The
 * whole port, with state documents and the audit trail, is {@link NodeStore}.
 */
export interface ReportStore {
  /** The latest report stored under `key` (see `reportKey`). */
  get(key: string): StatusReport | undefined;
  /** Stores a report as the latest of its (destination, object); `key` is its `reportKey`, when the caller has it. */
  put(report: StatusReport, key?: string): void;
  /** Every latest report of one destination, in arrival order. */
  byDestination(destination: string): StatusReport[];
  /** Number of (destination, object) pairs stored. */
  readonly size: number;
}

export * from './node-store.js';

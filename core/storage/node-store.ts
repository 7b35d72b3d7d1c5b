import type { Json, StatusReport } from '../contract.js';
import { reportKey } from '../model/index.js';
import type { ReportStore } from './index.js';

/**
 * Everything a level node keeps to resume after a restart without any edge resending: the latest
 * report per (destination, object), named state documents (children's latest partials, rollout
 * controllers, the outbox, the node's epoch and sequence numbers) and a bounded audit trail.
 *
 * Synchronous on purpose: a write is durable when the call returns, so a node acknowledges a
 * report only after it is stored, and no await sits between a write and the acknowledgement.
 * Accumulators are not stored: they are derived from the reports and the children's partials,
 * and a restarted node folds them again.
 */
export interface NodeStore extends ReportStore {
  /**
   * Stores reports as the latest of their (destination, object): all of them or none. `keys`, when
   * given, holds each report's `reportKey` in the same order, so a caller that has them already
   * spares the store deriving them again.
   */
  putReports(reports: readonly StatusReport[], keys?: readonly string[]): void;
  /** Every stored report, oldest first. */
  reports(): StatusReport[];
  /** A state document, or `undefined`. */
  readState(key: string): Json | undefined;
  /** Writes state documents, all or none; `undefined` deletes a key. */
  writeState(entries: Readonly<Record<string, Json | undefined>>): void;
  /** The keys that start with `prefix`, sorted. */
  stateKeys(prefix: string): string[];
  /**
   * Appends audit entries under a scope (a rollout id) and keeps only the newest `retain` of that
   * scope. Returns how many older entries were dropped.
   */
  appendAudit(scope: string, entries: readonly Json[], retain: number): number;
  /** The audit entries of one scope, oldest first. */
  readAudit(scope: string): Json[];
  /** Releases the store. It is unusable afterwards. */
  close(): void;
}

/** A {@link NodeStore} in process memory: the default for in-process hierarchies and tests. */
export class MemoryNodeStore implements NodeStore {
  private readonly latest = new Map<string, StatusReport>();
  private readonly keysByDestination = new Map<string, Set<string>>();
  private readonly state = new Map<string, string>();
  private readonly audit = new Map<string, Json[]>();

  get size(): number {
    return this.latest.size;
  }

  get(key: string): StatusReport | undefined {
    return this.latest.get(key);
  }

  put(report: StatusReport, key: string = reportKey(report)): void {
    // Re-inserting keeps `reports()` in the order the latest versions arrived, as SQLite's rowid does.
    this.latest.delete(key);
    this.latest.set(key, report);
    let keys = this.keysByDestination.get(report.destination);
    if (keys === undefined) {
      keys = new Set();
      this.keysByDestination.set(report.destination, keys);
    }
    keys.delete(key);
    keys.add(key);
  }

  putReports(reports: readonly StatusReport[], keys?: readonly string[]): void {
    for (let i = 0; i < reports.length; i++) this.put(reports[i]!, keys?.[i]);
  }

  byDestination(destination: string): StatusReport[] {
    return [...(this.keysByDestination.get(destination) ?? [])].map((key) => this.latest.get(key)!);
  }

  reports(): StatusReport[] {
    return [...this.latest.values()];
  }

  readState(key: string): Json | undefined {
    const text = this.state.get(key);
    // Stored as text, as the durable store does, so no caller ever shares an object with the store.
    return text === undefined ? undefined : (JSON.parse(text) as Json);
  }

  writeState(entries: Readonly<Record<string, Json | undefined>>): void {
    for (const [key, value] of Object.entries(entries)) {
      if (value === undefined) this.state.delete(key);
      else this.state.set(key, JSON.stringify(value));
    }
  }

  stateKeys(prefix: string): string[] {
    return [...this.state.keys()].filter((key) => key.startsWith(prefix)).sort();
  }

  appendAudit(scope: string, entries: readonly Json[], retain: number): number {
    const kept = this.audit.get(scope) ?? [];
    kept.push(...entries.map((entry) => JSON.parse(JSON.stringify(entry)) as Json));
    const dropped = Math.max(0, kept.length - retain);
    kept.splice(0, dropped);
    this.audit.set(scope, kept);
    return dropped;
  }

  readAudit(scope: string): Json[] {
    return (this.audit.get(scope) ?? []).map((entry) => JSON.parse(JSON.stringify(entry)) as Json);
  }

  close(): void {}
}

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import type { Json, StatusReport } from '../core/contract.js';
import { ErrorCodes, ValidationError } from '../core/errors.js';
import { reportKey } from '../core/model/index.js';
import type { NodeStore } from '../core/storage/index.js';

type Driver = typeof Database;

/**
 * A {@link NodeStore} in one SQLite file (`node.db` in the node's data directory), the default of a
 * served node. WAL journal with `synchronous=FULL`: a write is on disk when the call returns, so a
 * report acknowledged over HTTP survives a crash or a power cut, and readers never block the writer.
 *
 * better-sqlite3 is an optional peer dependency: a library user who embeds in-memory hierarchies
 * never builds it. {@link openSqliteStore} loads it on first use.
 */
export class SqliteNodeStore implements NodeStore {
  private readonly statements;
  private readonly putMany: (reports: readonly StatusReport[], keys: readonly string[] | undefined) => void;
  private readonly writeMany: (entries: Readonly<Record<string, Json | undefined>>) => void;
  private readonly appendMany: (scope: string, entries: readonly Json[], retain: number) => number;

  constructor(private readonly db: Database.Database) {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec(`
      CREATE TABLE IF NOT EXISTS reports (
        seqno INTEGER PRIMARY KEY AUTOINCREMENT,
        key TEXT NOT NULL UNIQUE,
        destination TEXT NOT NULL,
        body TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS reports_destination ON reports (destination);
      CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS audit (id INTEGER PRIMARY KEY AUTOINCREMENT, scope TEXT NOT NULL, entry TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS audit_scope ON audit (scope, id);
    `);
    this.statements = {
      get: db.prepare<[string], { body: string }>('SELECT body FROM reports WHERE key = ?'),
      // A replaced report moves to the end, so `reports()` lists latest versions in arrival order.
      put: db.prepare<[string, string, string]>('INSERT OR REPLACE INTO reports (key, destination, body) VALUES (?, ?, ?)'),
      byDestination: db.prepare<[string], { body: string }>('SELECT body FROM reports WHERE destination = ? ORDER BY seqno'),
      all: db.prepare<[], { body: string }>('SELECT body FROM reports ORDER BY seqno'),
      count: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM reports'),
      readState: db.prepare<[string], { value: string }>('SELECT value FROM state WHERE key = ?'),
      writeState: db.prepare<[string, string]>('INSERT OR REPLACE INTO state (key, value) VALUES (?, ?)'),
      deleteState: db.prepare<[string]>('DELETE FROM state WHERE key = ?'),
      stateKeys: db.prepare<[string, string], { key: string }>('SELECT key FROM state WHERE key >= ? AND key < ? ORDER BY key'),
      append: db.prepare<[string, string]>('INSERT INTO audit (scope, entry) VALUES (?, ?)'),
      countAudit: db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM audit WHERE scope = ?'),
      trimAudit: db.prepare<[string, string, number]>('DELETE FROM audit WHERE scope = ? AND id IN (SELECT id FROM audit WHERE scope = ? ORDER BY id LIMIT ?)'),
      readAudit: db.prepare<[string], { entry: string }>('SELECT entry FROM audit WHERE scope = ? ORDER BY id'),
    };
    this.putMany = db.transaction((reports: readonly StatusReport[], keys: readonly string[] | undefined) => {
      for (let i = 0; i < reports.length; i++) {
        const report = reports[i]!;
        this.statements.put.run(keys?.[i] ?? reportKey(report), report.destination, JSON.stringify(report));
      }
    });
    this.writeMany = db.transaction((entries: Readonly<Record<string, Json | undefined>>) => {
      for (const [key, value] of Object.entries(entries)) {
        if (value === undefined) this.statements.deleteState.run(key);
        else this.statements.writeState.run(key, JSON.stringify(value));
      }
    });
    this.appendMany = db.transaction((scope: string, entries: readonly Json[], retain: number) => {
      for (const entry of entries) this.statements.append.run(scope, JSON.stringify(entry));
      const excess = this.statements.countAudit.get(scope)!.n - retain;
      if (excess > 0) this.statements.trimAudit.run(scope, scope, excess);
      return Math.max(0, excess);
    });
  }

  get size(): number {
    return this.statements.count.get()!.n;
  }

  get(key: string): StatusReport | undefined {
    const row = this.statements.get.get(key);
    return row === undefined ? undefined : (JSON.parse(row.body) as StatusReport);
  }

  put(report: StatusReport, key?: string): void {
    this.putMany([report], key === undefined ? undefined : [key]);
  }

  putReports(reports: readonly StatusReport[], keys?: readonly string[]): void {
    if (reports.length > 0) this.putMany(reports, keys);
  }

  byDestination(destination: string): StatusReport[] {
    return this.statements.byDestination.all(destination).map((row) => JSON.parse(row.body) as StatusReport);
  }

  reports(): StatusReport[] {
    return this.statements.all.all().map((row) => JSON.parse(row.body) as StatusReport);
  }

  readState(key: string): Json | undefined {
    const row = this.statements.readState.get(key);
    return row === undefined ? undefined : (JSON.parse(row.value) as Json);
  }

  writeState(entries: Readonly<Record<string, Json | undefined>>): void {
    this.writeMany(entries);
  }

  stateKeys(prefix: string): string[] {
    // Every key with the prefix sorts between the prefix and the prefix followed by the highest code point.
    return this.statements.stateKeys.all(prefix, `${prefix}\u{10FFFF}`).map((row) => row.key);
  }

  appendAudit(scope: string, entries: readonly Json[], retain: number): number {
    return entries.length === 0 ? 0 : this.appendMany(scope, entries, retain);
  }

  readAudit(scope: string): Json[] {
    return this.statements.readAudit.all(scope).map((row) => JSON.parse(row.entry) as Json);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

/**
 * Opens (creating if needed) the store of a node's data directory.
 *
 * @throws ValidationError (`EDGESUM_INVALID_CONFIG`) when better-sqlite3 is not installed or the
 * directory cannot hold the database.
 */
export async function openSqliteStore(dir: string): Promise<SqliteNodeStore> {
  let driver: Driver;
  try {
    driver = ((await import('better-sqlite3')) as { default: Driver }).default;
  } catch (error) {
    throw new ValidationError(ErrorCodes.InvalidConfig, 'storage kind "sqlite" needs the better-sqlite3 package: npm install better-sqlite3@12 (or set storage.kind to "memory")', { cause: error });
  }
  try {
    mkdirSync(dir, { recursive: true });
    return new SqliteNodeStore(new driver(join(dir, 'node.db')));
  } catch (error) {
    throw new ValidationError(ErrorCodes.InvalidConfig, `cannot open the node database in ${dir}: ${(error as Error).message}`, { cause: error });
  }
}

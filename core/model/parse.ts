import { types } from 'node:util';
import type { z } from 'zod';
import { ErrorCodes, formatPath, ValidationError, type ErrorCode, type Issue } from '../errors.js';
import type { Json } from '../contract.js';
import { copyJson, maxJsonDepth, plainEntries, setData, type JsonCopy } from './json.js';
import { fastReport } from './fast-report.js';
import { Limits, StatusReportSchema, type ObjectRef, type StatusReport } from './schemas.js';

/** Why one item of a batch was not accepted. */
export interface Rejection {
  /** Position of the item in the batch (or line number minus one in a JSONL file). */
  readonly index: number;
  readonly code: ErrorCode;
  readonly issues: readonly Issue[];
}

/** The outcome of validating a batch: valid items are kept even when others fail. */
export interface BatchResult<T> {
  readonly accepted: T[];
  /** The batch index of each accepted item, in the same order. */
  readonly positions: number[];
  readonly rejected: Rejection[];
}

/** Converts zod issues to catalog issues, with paths as `a.b[0].c`. */
export function toIssues(error: z.ZodError): Issue[] {
  return error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message }));
}

/**
 * Validates a value with a schema, or throws a {@link ValidationError} that names every failing
 * field under `where` (e.g. `binding "health" options`).
 */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, where: string, code: ErrorCode = ErrorCodes.InvalidConfig): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = toIssues(result.error);
  const first = issues[0];
  const at = first && first.path !== '' ? ` at ${first.path}` : '';
  throw new ValidationError(code, `invalid ${where}${at}: ${first?.message ?? 'invalid value'}`, { issues });
}

declare const validated: unique symbol;

/**
 * A report that passed {@link parseReport}: plain data copied out of the caller's value, so
 * nothing the caller still holds can change it.
 */
export type ValidatedReport = StatusReport & { readonly [validated]: true };

/** The outcome of validating one item: the report, or why it was rejected. */
export type ReportOutcome =
  | { readonly ok: true; readonly report: ValidatedReport }
  | {
      readonly ok: false;
      readonly code: ErrorCode;
      readonly issues: Issue[];
      /** The item's `destination` when it is a string, for routing the rejection to the level that owns it. */
      readonly destination: string | undefined;
    };

const reportFields = new Set(['destination', 'ref', 'seq', 'observedAt', 'metadata', 'spec', 'status']);
const bodyParts = new Set(['status', 'spec', 'metadata']);
const strictField = { maxDepth: maxJsonDepth, maxSize: Limits.reportBytes };
const lenientField = { ...strictField, lenient: true };

/**
 * Copies one field. `status` is free-form JSON and `spec` a record of it, copied strictly: what
 * is not JSON data is rejected there. The other fields are copied leniently, so the schema names
 * what is wrong with them in its own words.
 */
function copyField(key: string, value: unknown): JsonCopy {
  if (key === 'status') return copyJson(value, strictField);
  if (typeof value !== 'object' || value === null) {
    // Primitives carry no code; only a string can be too big, and the schema bounds every string field.
    return key === 'spec' || typeof value !== 'string' || value.length <= Limits.reportBytes ? { ok: true, value: value as Json, size: 0 } : copyJson(value, lenientField);
  }
  if (key !== 'spec') return copyJson(value, lenientField);
  const read = plainEntries(value);
  if (!('entries' in read)) return { ok: false, fault: { path: read.key === undefined ? [] : [read.key], message: read.message, tooLarge: false } };
  const copy: Record<string, unknown> = {};
  let size = 2;
  for (const [entry, item] of read.entries) {
    const copied = copyJson(item, { maxDepth: maxJsonDepth, maxSize: Limits.reportBytes - size });
    if (!copied.ok) return { ok: false, fault: { ...copied.fault, path: [entry, ...copied.fault.path] } };
    size += copied.size + entry.length + 3;
    setData(copy, entry, copied.value);
  }
  return { ok: true, value: copy as Json, size };
}

/**
 * Copies an item into plain data the schema can read without running any of the caller's code
 * (getters, Proxy traps, `toJSON`), with every field's size and depth bounded. Unknown fields are
 * kept as `null` so the schema names them.
 */
function copyReportInput(item: unknown): { value: unknown } | { issues: Issue[] } {
  if (typeof item !== 'object' || item === null) return { value: item };
  const read = plainEntries(item);
  if (!('entries' in read)) return { issues: [{ path: read.key ?? '', message: read.key === undefined ? `a report must be a JSON object: ${read.message}` : read.message }] };
  const copy: Record<string, unknown> = {};
  const issues: Issue[] = [];
  for (const [key, value] of read.entries) {
    if (!reportFields.has(key) || value === undefined) {
      setData(copy, key, reportFields.has(key) ? undefined : null);
      continue;
    }
    const copied = copyField(key, value);
    if (copied.ok) {
      setData(copy, key, copied.value);
    } else if (copied.fault.tooLarge) {
      const message = bodyParts.has(key) ? `${key} alone is larger than the ${Limits.reportBytes} byte limit of a report body` : `larger than ${Limits.reportBytes} bytes`;
      issues.push({ path: key, message });
    } else {
      issues.push({ path: formatPath([key, ...copied.fault.path]), message: copied.fault.message });
    }
  }
  return issues.length > 0 ? { issues } : { value: copy };
}

/**
 * Validates one status report. Never throws and never runs code the item carries: any value (a
 * cycle, a getter that throws, a Proxy, a `toJSON` that never returns, a BigInt) ends in a
 * rejection naming the field. The accepted report is a deep copy in plain JSON data.
 */
export function parseReport(item: unknown): ReportOutcome {
  const fast = fastReport(item);
  if (fast !== undefined) return { ok: true, report: fast as ValidatedReport };
  return schemaParseReport(item);
}

/**
 * {@link parseReport} through the schema alone, without the fast path: the source of truth the
 * fast path must agree with, and what explains every rejection.
 */
export function schemaParseReport(item: unknown): ReportOutcome {
  const copied = copyReportInput(item);
  if ('issues' in copied) return { ok: false, code: ErrorCodes.InvalidReport, issues: copied.issues, destination: undefined };
  const result = StatusReportSchema.safeParse(copied.value);
  if (result.success) return { ok: true, report: result.data as ValidatedReport };
  // Only a copy is read: an item that was not an object was handed to the schema as it came.
  const destination = typeof item === 'object' && item !== null ? (copied.value as { destination?: unknown }).destination : undefined;
  return { ok: false, code: ErrorCodes.InvalidReport, issues: toIssues(result.error), destination: typeof destination === 'string' ? destination : undefined };
}

/** What a batch validation hands over for each item it rejects. */
export type RejectItem = (index: number, code: ErrorCode, issues: Issue[], destination: string | undefined) => void;

/**
 * Validates every item of a batch in order, each read without running code: a hole or a getter in
 * the array is an item of its own, rejected. Each item goes to `accept` or to `reject`, exactly
 * once, with its index; nothing is allocated per item beyond the accepted report. Throws a
 * `ValidationError` when the batch itself is not an array (or is a Proxy of one).
 */
export function eachReport(items: readonly unknown[], accept: (report: ValidatedReport, index: number) => void, reject: RejectItem): void {
  // isProxy first: Array.isArray throws on a revoked Proxy.
  if (types.isProxy(items) || !Array.isArray(items)) {
    throw new ValidationError(ErrorCodes.InvalidInput, 'a batch of reports must be an array', { issues: [{ path: '', message: 'expected an array' }] });
  }
  for (let index = 0; index < items.length; index++) {
    const descriptor = Object.getOwnPropertyDescriptor(items, index);
    if (descriptor === undefined) {
      reject(index, ErrorCodes.InvalidReport, [{ path: '', message: 'missing item (a hole in the batch array)' }], undefined);
    } else if (!('value' in descriptor)) {
      reject(index, ErrorCodes.InvalidReport, [{ path: '', message: 'a getter or setter is not a report' }], undefined);
    } else {
      const item: unknown = descriptor.value;
      const fast = fastReport(item);
      if (fast !== undefined) {
        accept(fast as ValidatedReport, index);
        continue;
      }
      const outcome = schemaParseReport(item);
      if (outcome.ok) accept(outcome.report, index);
      else reject(index, outcome.code, outcome.issues, outcome.destination);
    }
  }
}

/** Validates a batch of status reports; one bad report never rejects the others, and every item gets one outcome. */
export function parseReports(items: readonly unknown[]): BatchResult<ValidatedReport> {
  const accepted: ValidatedReport[] = [];
  const positions: number[] = [];
  const rejected: Rejection[] = [];
  eachReport(
    items,
    (report, index) => {
      accepted.push(report);
      positions.push(index);
    },
    (index, code, issues) => rejected.push({ index, code, issues }),
  );
  return { accepted, positions, rejected };
}

/**
 * The identity of an object across API versions: group, kind, namespace and name. Two reports of
 * `apps/v1` and `apps/v1beta2` of the same Deployment are the same copy.
 */
export function refKey(ref: ObjectRef): string {
  // Each field JSON-quoted: kinds and names may hold "/", so joining them with one is ambiguous.
  return JSON.stringify([ref.group, ref.kind, ref.namespace ?? null, ref.name]);
}

/** Whether two refs name the same object, as {@link refKey} tells, without building either key: for paths that run per report. */
export function sameObject(a: ObjectRef, b: ObjectRef): boolean {
  return a.name === b.name && a.kind === b.kind && a.group === b.group && (a.namespace ?? null) === (b.namespace ?? null);
}

/** The key under which ingestion keeps the latest report: one per (destination, object). */
export function reportKey(report: Pick<StatusReport, 'destination' | 'ref'>): string {
  return `${report.destination}|${refKey(report.ref)}`;
}

/** Renders a ref for people: `apps/Deployment shop/web`, `Namespace shop` for cluster-scoped core objects. */
export function describeRef(ref: ObjectRef): string {
  const kind = ref.group === '' ? ref.kind : `${ref.group}/${ref.kind}`;
  return ref.namespace === undefined ? `${kind} ${ref.name}` : `${kind} ${ref.namespace}/${ref.name}`;
}

import type { z } from 'zod';
import { ErrorCodes, formatPath, ValidationError, type ErrorCode, type Issue } from '../errors.js';
import { StatusReportSchema, type ObjectRef, type StatusReport } from './schemas.js';

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

/** Validates a batch of status reports; one bad report never rejects the others. */
export function parseReports(items: readonly unknown[]): BatchResult<StatusReport> {
  const accepted: StatusReport[] = [];
  const positions: number[] = [];
  const rejected: Rejection[] = [];
  items.forEach((item, index) => {
    const result = StatusReportSchema.safeParse(item);
    if (result.success) {
      accepted.push(result.data);
      positions.push(index);
    } else {
      rejected.push({ index, code: ErrorCodes.InvalidReport, issues: toIssues(result.error) });
    }
  });
  return { accepted, positions, rejected };
}

/**
 * The identity of an object across API versions: group, kind, namespace and name. Two reports of
 * `apps/v1` and `apps/v1beta2` of the same Deployment are the same copy.
 */
export function refKey(ref: ObjectRef): string {
  return `${ref.group}/${ref.kind}/${ref.namespace ?? ''}/${ref.name}`;
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

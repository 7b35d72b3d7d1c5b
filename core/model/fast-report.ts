import { types } from 'node:util';
import { z } from 'zod';
import type { Json } from '../contract.js';
import { maxJsonDepth, nullPrototypeRecord } from './json.js';
import { Limits, type StatusReport } from './schemas.js';

/**
 * The hot path of report validation: one walk over the common shape of a report that either yields
 * exactly the report `StatusReportSchema` would (same fields, same order, same prototypes) or gives
 * up. It never rejects: anything unusual (an unknown field, a `__proto__` key, a body that may be
 * near the size limit, a value it does not recognize) returns `undefined`, and the schema decides
 * and explains. Like the full path it runs no code the item carries: every object is checked for a
 * Proxy before it is touched and every property is read through its descriptor.
 */
export function fastReport(item: unknown): StatusReport | undefined {
  if (!isPlainObject(item)) return undefined;
  let destination: unknown, ref: unknown, seq: unknown, observedAt: unknown, metadata: unknown, spec: unknown;
  let status: unknown = null;
  for (const key in item) {
    const value = ownKey(item, key) ? dataValue(item, key) : undefined;
    if (value === undefined) return undefined;
    switch (key) {
      case 'destination':
        destination = value;
        break;
      case 'ref':
        ref = value;
        break;
      case 'seq':
        seq = value;
        break;
      case 'observedAt':
        observedAt = value;
        break;
      case 'metadata':
        metadata = value;
        break;
      case 'spec':
        spec = value;
        break;
      case 'status':
        status = value;
        break;
      default:
        return undefined;
    }
  }
  if (typeof destination !== 'string' || destination.length > Limits.nameLength || !idPattern.test(destination)) return undefined;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) return undefined;
  if (typeof observedAt !== 'string' || !datetime(observedAt)) return undefined;
  const copiedRef = fastRef(ref);
  if (copiedRef === undefined) return undefined;
  const budget = { left: Limits.reportBytes };
  const copiedMetadata = metadata === undefined ? undefined : fastMetadata(metadata, budget);
  if (metadata !== undefined && copiedMetadata === undefined) return undefined;
  const copiedSpec = spec === undefined ? undefined : fastObject(spec, 1, budget);
  if (spec !== undefined && copiedSpec === undefined) return undefined;
  const copiedStatus = fastJson(status, 0, budget);
  if (copiedStatus === undefined) return undefined;
  // One literal per combination of the optional parts, fields in the schema's order: the report
  // gets room for exactly its fields at once, where adding the last ones would grow a property array.
  if (copiedMetadata === undefined) {
    return copiedSpec === undefined ? { destination, ref: copiedRef, seq, observedAt, status: copiedStatus } : { destination, ref: copiedRef, seq, observedAt, spec: copiedSpec, status: copiedStatus };
  }
  return copiedSpec === undefined
    ? { destination, ref: copiedRef, seq, observedAt, metadata: copiedMetadata, status: copiedStatus }
    : { destination, ref: copiedRef, seq, observedAt, metadata: copiedMetadata, spec: copiedSpec, status: copiedStatus };
}

const idPattern = /^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/;
/** The schema's own pattern, so the two never disagree about a timestamp. */
const datetimePattern = (z.iso.datetime({ offset: true }) as unknown as { _zod: { pattern: RegExp } })._zod.pattern;

function datetime(value: string): boolean {
  return datetimePattern.test(value);
}

/**
 * Whether a value is a plain object (not a Proxy, an array or a class instance), whose keys the
 * fast path walks with `for…in` (the shape's cached keys, no array per object), taking each key
 * only when {@link ownKey} does.
 */
function isPlainObject(value: unknown): value is object {
  if (typeof value !== 'object' || value === null || types.isProxy(value) || Array.isArray(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** A key `for…in` gave that is the object's own and not `__proto__`; anything else is the schema's to judge. */
function ownKey(value: object, key: string): boolean {
  return key !== '__proto__' && hasOwn(value, key);
}

const hasOwn = Object.hasOwn;
/** `Object.prototype.__lookupGetter__` as a plain function, taken before any caller's code runs. */
const getterOf = Function.prototype.call.bind((Object.prototype as { __lookupGetter__(key: PropertyKey): unknown }).__lookupGetter__) as (target: object, key: string | number) => unknown;

/**
 * A property's value, read only when no getter would run for it: `__lookupGetter__` walks the
 * same chain as the read (the own property, then the intrinsic prototypes that `isPlainObject`
 * and `fastArray` checked) and, unlike a descriptor, allocates nothing: descriptors were more than
 * half of what ingestion allocated. `undefined` for a getter, which the fast path never takes, as
 * it never takes a value that is `undefined`.
 */
function dataValue(value: object, key: string | number): unknown {
  return getterOf(value, key) === undefined ? (value as Record<string | number, unknown>)[key] : undefined;
}

function fastRef(value: unknown): StatusReport['ref'] | undefined {
  if (!isPlainObject(value)) return undefined;
  let group: unknown, version: unknown, kind: unknown, namespace: unknown, name: unknown;
  for (const key in value) {
    const field = ownKey(value, key) ? dataValue(value, key) : undefined;
    if (field === undefined) return undefined;
    if (key === 'group') group = field;
    else if (key === 'version') version = field;
    else if (key === 'kind') kind = field;
    else if (key === 'namespace') namespace = field;
    else if (key === 'name') name = field;
    else return undefined;
  }
  if (typeof group !== 'string' || group.length > Limits.nameLength) return undefined;
  if (!shortString(version, 63) || !shortString(kind, 63) || !shortString(name, Limits.nameLength)) return undefined;
  if (namespace === undefined) return { group, version, kind, name } as StatusReport['ref'];
  if (!shortString(namespace, Limits.nameLength)) return undefined;
  return { group, version, kind, namespace, name } as StatusReport['ref'];
}

function shortString(value: unknown, max: number): value is string {
  return typeof value === 'string' && value.length >= 1 && value.length <= max;
}

interface Budget {
  /** Serialized UTF-16 code units still allowed, counted as an upper bound. */
  left: number;
}

/** Upper bound of a string's serialized length: every code unit escaped as `\uXXXX`, plus the quotes. */
function spend(budget: Budget, units: number): boolean {
  budget.left -= units;
  return budget.left >= 0;
}

function fastMetadata(value: unknown, budget: Budget): NonNullable<StatusReport['metadata']> | undefined {
  if (!isPlainObject(value) || !spend(budget, 2)) return undefined;
  let generation: unknown, deletionTimestamp: unknown, labels: unknown, annotations: unknown;
  for (const key in value) {
    const field = ownKey(value, key) ? dataValue(value, key) : undefined;
    if (field === undefined || !spend(budget, key.length + 4)) return undefined;
    if (key === 'generation') generation = field;
    else if (key === 'deletionTimestamp') deletionTimestamp = field;
    else if (key === 'labels') labels = field;
    else if (key === 'annotations') annotations = field;
    else return undefined;
  }
  const out: Record<string, unknown> = {};
  if (generation !== undefined) {
    if (typeof generation !== 'number' || !Number.isSafeInteger(generation) || generation < 0 || !spend(budget, 24)) return undefined;
    out.generation = generation;
  }
  if (deletionTimestamp !== undefined) {
    if (deletionTimestamp !== null && (typeof deletionTimestamp !== 'string' || !datetime(deletionTimestamp))) return undefined;
    if (!spend(budget, deletionTimestamp === null ? 4 : 6 * deletionTimestamp.length + 2)) return undefined;
    out.deletionTimestamp = deletionTimestamp;
  }
  if (labels !== undefined) {
    const copied = stringRecord(labels, Limits.labelLength, Limits.labelCount, budget);
    if (copied === undefined) return undefined;
    out.labels = copied;
  }
  if (annotations !== undefined) {
    const copied = stringRecord(annotations, Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY, budget);
    if (copied === undefined) return undefined;
    out.annotations = copied;
  }
  return out as NonNullable<StatusReport['metadata']>;
}

/** Labels or annotations: string to string, as a prototype-less object like the schema makes. */
function stringRecord(value: unknown, maxLength: number, maxEntries: number, budget: Budget): Record<string, string> | undefined {
  if (!isPlainObject(value) || !spend(budget, 2)) return undefined;
  const out = nullPrototypeRecord<string>();
  let entries = 0;
  for (const key in value) {
    if (++entries > maxEntries || !ownKey(value, key)) return undefined;
    const item = dataValue(value, key);
    if (key.length < 1 || key.length > maxLength || typeof item !== 'string' || item.length > maxLength) return undefined;
    if (!spend(budget, 6 * (key.length + item.length) + 6)) return undefined;
    out[key] = item;
  }
  return out;
}

/** A JSON object as `copyJson` copies it (an ordinary object), or `undefined`. */
function fastObject(value: unknown, depth: number, budget: Budget): Record<string, Json> | undefined {
  if (depth > maxJsonDepth) return undefined;
  if (!isPlainObject(value) || !spend(budget, 2)) return undefined;
  const out: Record<string, Json> = {};
  for (const key in value) {
    if (!ownKey(value, key) || !spend(budget, 6 * key.length + 4)) return undefined;
    const copied = fastJson(dataValue(value, key), depth + 1, budget);
    if (copied === undefined) return undefined;
    out[key] = copied;
  }
  return out;
}

/**
 * A JSON value as `copyJson` copies it (`-0` becomes `0`), or `undefined` for anything it does not
 * take on the fast path. The budget bounds the work as it bounds the size, so a cycle or a huge
 * value gives up quickly.
 */
function fastJson(value: unknown, depth: number, budget: Budget): Json | undefined {
  switch (typeof value) {
    case 'string':
      return spend(budget, 6 * value.length + 2) ? value : undefined;
    case 'number':
      return Number.isFinite(value) && spend(budget, 24) ? (value === 0 ? 0 : value) : undefined;
    case 'boolean':
      return spend(budget, 5) ? value : undefined;
    case 'object':
      if (value === null) return spend(budget, 4) ? null : undefined;
      // A Proxy first: Array.isArray throws on a revoked one.
      if (types.isProxy(value)) return undefined;
      if (!Array.isArray(value)) return fastObject(value, depth, budget);
      return fastArray(value, depth, budget);
    default:
      return undefined;
  }
}

function fastArray(value: unknown[], depth: number, budget: Budget): Json[] | undefined {
  if (depth > maxJsonDepth || Object.getPrototypeOf(value) !== Array.prototype) return undefined;
  const length = value.length;
  if (!spend(budget, 2 + length)) return undefined;
  const out: Json[] = [];
  for (let i = 0; i < length; i++) {
    // A hole would read through to the prototypes: left to the schema, which names it.
    if (!hasOwn(value, i)) return undefined;
    const copied = fastJson(dataValue(value, i), depth + 1, budget);
    if (copied === undefined) return undefined;
    out.push(copied);
  }
  return out;
}

/**
 * The option language of `aggregate`: its TypeScript shape, its JSON Schema (what the host
 * validates a binding against) and the normalized plan the hooks run from.
 *
 * @module plugins/aggregate/options
 */
import type { Json, JsonObject } from '../../core/contract.js';

/** Comparison operators of a filter condition. */
export type FilterOp = '==' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'exists' | 'notExists';

/** One filter condition: the value at `path` of a report compared with `value`. */
export interface FilterCondition {
  /** Field path into the report, e.g. `status.readyReplicas`, `ref.kind`, `destination`. */
  readonly path: string;
  readonly op: FilterOp;
  /** The operand: any JSON for `==`/`!=`, a number or string for orderings, an array for `in`, absent for `exists`/`notExists`. */
  readonly value?: Json;
}

/** One group-by column: the stringified value at `path`, shown under `name`. */
export interface GroupByColumn {
  readonly name: string;
  readonly path: string;
}

/** Aggregation functions. */
export type FieldOp = 'COUNT' | 'SUM' | 'AVG' | 'MIN' | 'MAX';

/** One output column: `op` over the values at `path` (no `path`: COUNT counts reports). */
export interface FieldSpec {
  readonly op: FieldOp;
  readonly path?: string;
}

/** Options of an `aggregate` binding, as validated against {@link optionsSchema}. */
export interface AggregateOptions {
  /** Conditions that must all hold for a report to count. Default: none (every report counts). */
  readonly filter?: readonly FilterCondition[];
  /** Group-by columns. Default: none (one group holding every report). */
  readonly groupBy?: readonly GroupByColumn[];
  /** Output columns by name. At least one. */
  readonly fields: Readonly<Record<string, FieldSpec>>;
  /** Most rows in the summary (first by group order). Default: all. */
  readonly limit?: number;
}

/**
 * A field path: dotted keys, `[n]` indexes and `["quoted keys"]`, the same grammar the host
 * accepts for binding paths (`core/model/path.ts`), so a path valid there is valid here.
 */
export const fieldPathPattern = '^[A-Za-z_$][\\w$-]*(\\.[A-Za-z_$][\\w$-]*|\\[\\d+\\]|\\["[^"\\]]+"\\])*$';

/** A character after the first of a column name (`\w` is ASCII in ECMAScript and RE2 alike). */
const nameChar = '[\\w-]';

/**
 * A name that starts with `_` and is not `__proto__`: shorter or longer, or leaving it at some
 * character. Spelled without lookahead because the host evaluates patterns with RE2, which has none.
 */
const underscoreName =
  `_(?:${nameChar}{0,7}|${nameChar}{9,63}|[\\dA-Za-z-]${nameChar}{7}|_(?:[\\dA-Za-oq-z_-]${nameChar}{6}|p(?:[\\dA-Za-qs-z_-]${nameChar}{5}|` +
  `r(?:[\\dA-Za-np-z_-]${nameChar}{4}|o(?:[\\dA-Za-su-z_-]${nameChar}{3}|t(?:[\\dA-Za-np-z_-]${nameChar}{2}|o(?:[\\dA-Za-z-]${nameChar}|_[\\dA-Za-z-])))))))`;

/** A name that starts with `g` and is not `group`, as {@link underscoreName} is not `__proto__`. */
const gName = `g(?:${nameChar}{0,3}|${nameChar}{5,63}|[\\dA-Za-qs-z_-]${nameChar}{3}|r(?:[\\dA-Za-np-z_-]${nameChar}{2}|o(?:[\\dA-Za-tv-z_-]${nameChar}|u[\\dA-Za-oq-z_-])))`;

/**
 * Column names: identifiers of at most 64 characters (`[A-Za-z_][A-Za-z0-9_-]{0,63}`) other than
 * `__proto__`, because assigning it to a plain object sets the prototype instead of a member.
 */
export const groupNamePattern = `^(?:[A-Za-z]${nameChar}{0,63}|${underscoreName})$`;

/** See {@link groupNamePattern}; field names also exclude `group`, which rows use already. */
export const fieldNamePattern = `^(?:[A-Za-fh-z]${nameChar}{0,63}|${gName}|${underscoreName})$`;

const pathSchema: JsonObject = { type: 'string', minLength: 1, maxLength: 512, pattern: fieldPathPattern };

function conditionSchema(op: JsonObject, value: JsonObject | undefined): JsonObject {
  const properties: JsonObject = { path: pathSchema, op };
  if (value !== undefined) properties.value = value;
  return {
    type: 'object',
    properties,
    required: value === undefined ? ['path', 'op'] : ['path', 'op', 'value'],
    additionalProperties: false,
  };
}

/**
 * The JSON Schema of {@link AggregateOptions}. Beyond the basic keywords it uses `minProperties`
 * (at least one field) and `propertyNames` (field names), which zod 4's `fromJSONSchema` enforces.
 */
export const optionsSchema: JsonObject = {
  type: 'object',
  properties: {
    filter: {
      type: 'array',
      description: 'Conditions that must all hold for a report to be aggregated.',
      maxItems: 32,
      items: {
        anyOf: [
          conditionSchema({ type: 'string', enum: ['==', '!='] }, {}),
          conditionSchema({ type: 'string', enum: ['<', '<=', '>', '>='] }, { anyOf: [{ type: 'number' }, { type: 'string' }] }),
          conditionSchema({ type: 'string', const: 'in' }, { type: 'array', maxItems: 256 }),
          conditionSchema({ type: 'string', enum: ['exists', 'notExists'] }, undefined),
        ],
      },
    },
    groupBy: {
      type: 'array',
      description: 'Group-by columns; the group key is the tuple of their stringified values (missing or null: null).',
      maxItems: 8,
      items: {
        type: 'object',
        properties: { name: { type: 'string', pattern: groupNamePattern }, path: pathSchema },
        required: ['name', 'path'],
        additionalProperties: false,
      },
    },
    fields: {
      type: 'object',
      description: 'Output columns by name: COUNT (of reports, or of non-null values at path), SUM, AVG, MIN, MAX of the numbers at path.',
      minProperties: 1,
      propertyNames: { pattern: fieldNamePattern },
      additionalProperties: {
        anyOf: [
          {
            type: 'object',
            properties: { op: { type: 'string', const: 'COUNT' }, path: pathSchema },
            required: ['op'],
            additionalProperties: false,
          },
          {
            type: 'object',
            properties: { op: { type: 'string', enum: ['SUM', 'AVG', 'MIN', 'MAX'] }, path: pathSchema },
            required: ['op', 'path'],
            additionalProperties: false,
          },
        ],
      },
    },
    limit: {
      type: 'integer',
      description: 'Most rows in the summary, first by group order; the rest are counted in `groups`.',
      minimum: 1,
    },
  },
  required: ['fields'],
  additionalProperties: false,
};

/** One output column, ready to run. */
export interface FieldPlan {
  readonly name: string;
  readonly op: FieldOp;
  /** Absent only for a COUNT of reports. */
  readonly path: string | undefined;
}

/** Options normalized for the hooks: fields sorted by name, group-by names unique. */
export interface AggregatePlan {
  readonly filter: readonly FilterCondition[];
  readonly groupBy: readonly GroupByColumn[];
  readonly fields: readonly FieldPlan[];
  readonly limit: number | undefined;
}

const fieldOps: readonly string[] = ['COUNT', 'SUM', 'AVG', 'MIN', 'MAX'];
const groupName = new RegExp(groupNamePattern);
const fieldName = new RegExp(fieldNamePattern);

/**
 * Normalizes validated options. The host validates before any hook runs, so this only has to be
 * total: entries the schema would have rejected are dropped rather than thrown on, and a repeated
 * group-by name keeps its first column (the schema cannot express unique names).
 */
export function planOf(options: AggregateOptions | undefined): AggregatePlan {
  const raw = (options ?? {}) as Partial<AggregateOptions>;
  const filter = Array.isArray(raw.filter) ? raw.filter.filter((c) => typeof c === 'object' && c !== null && typeof c.path === 'string') : [];
  const groupBy: GroupByColumn[] = [];
  const seen: string[] = [];
  if (Array.isArray(raw.groupBy)) {
    for (const column of raw.groupBy) {
      if (typeof column !== 'object' || column === null || typeof column.path !== 'string' || typeof column.name !== 'string') continue;
      if (!groupName.test(column.name) || seen.includes(column.name)) continue;
      seen.push(column.name);
      groupBy.push({ name: column.name, path: column.path });
    }
  }
  const fields: FieldPlan[] = [];
  const specs = typeof raw.fields === 'object' && raw.fields !== null ? raw.fields : {};
  for (const name of Object.keys(specs).sort()) {
    const spec = specs[name];
    if (!fieldName.test(name) || typeof spec !== 'object' || spec === null || !fieldOps.includes(spec.op)) continue;
    fields.push({ name, op: spec.op, path: typeof spec.path === 'string' ? spec.path : undefined });
  }
  const limit = typeof raw.limit === 'number' && Number.isInteger(raw.limit) && raw.limit >= 1 ? raw.limit : undefined;
  return { filter, groupBy, fields, limit };
}

import { z } from 'zod';
import type { Json } from '../contract.js';
import { ErrorCodes, ValidationError, type Issue } from '../errors.js';
import { toIssues } from '../model/index.js';
import { findNonJson } from './json-check.js';
import { compilePattern, PatternBudgetError, UnsupportedPatternError, type PatternBudget } from './safe-pattern.js';

/**
 * A plugin's options schema runs in the host, so everything about it is bounded: its size and
 * depth, the options' size and depth, and the work of every `pattern`. What cannot be bounded is
 * refused when the schema is compiled: recursive `$ref`s, patterns RE2 cannot evaluate (with
 * backreferences or lookaround; see `safe-pattern.ts`), and keywords outside the supported subset.
 */
export const optionsSchemaLimits = {
  /** Largest schema, as JSON text. */
  schemaBytes: 256 * 1024,
  /** Deepest nesting of the schema's JSON. */
  schemaDepth: 32,
  /** Most subschemas converted, each use of a `$def` counted once. */
  schemaNodes: 10_000,
  /** Largest options, as JSON text. */
  optionsBytes: 256 * 1024,
  /** Deepest nesting of the options: the limit the configuration itself puts on free-form JSON. */
  optionsDepth: 64,
  /** RE2 instructions the schema's patterns may compile to, together: the memory and load time they take. */
  patternInstructions: 100_000,
  /**
   * Work one validation may spend on patterns, over every string and pattern, in characters tested
   * times instructions of the pattern (RE2's worst case: one step per instruction per character).
   * Linear time alone does not bound it: a union tests one string against each branch, and a
   * `$def` referenced by several branches of nested unions multiplies those tests past any bound
   * on the schema's or the options' size. About a tenth of a second at RE2's slowest.
   */
  patternWork: 20_000_000,
  /** Longest string a `format` is checked on; the format checks are regular expressions too. */
  formatLength: 2_048,
} as const;

/** Keywords zod's converter would accept but whose cost or meaning edgesum does not bound. */
const unsupportedKeywords = [
  'if',
  'then',
  'else',
  'dependentSchemas',
  'dependentRequired',
  'dependencies',
  'unevaluatedItems',
  'unevaluatedProperties',
  'patternProperties',
  'contains',
  'minContains',
  'maxContains',
  'prefixItems',
  'additionalItems',
  '$dynamicRef',
  '$recursiveRef',
] as const;

const primitiveTypes = new Set(['string', 'number', 'integer', 'boolean', 'null', 'object', 'array']);

/** A schema edgesum will not run, and where in it the problem is (`#/properties/a/pattern`). */
export class UnusableSchemaError extends ValidationError {
  constructor(
    readonly at: string,
    readonly reason: string,
  ) {
    super(ErrorCodes.InvalidOptions, `at ${at}: ${reason}`, { issues: [{ path: at, message: reason }] });
  }
}

/** The outcome of validating options: the parsed options (defaults applied), or the issues. */
export type OptionsResult = { readonly success: true; readonly data: Json } | { readonly success: false; readonly issues: readonly Issue[] };

/** A compiled options schema. */
export interface OptionsSchema {
  /** Validates options within every bound of {@link optionsSchemaLimits}; never throws. */
  validate(options: unknown): OptionsResult;
}

/**
 * Compiles a plugin's options schema (draft 2020-12, the subset documented in `core/contract.ts`)
 * into a validator with the same zod checks and messages as zod's own `fromJSONSchema`, except
 * that patterns run on RE2 within a budget. Throws {@link UnusableSchemaError} for a schema that is
 * too big or deep, not JSON, or uses a feature whose cost cannot be bounded.
 */
export function compileOptionsSchema(schema: unknown): OptionsSchema {
  const root = normalize(schema);
  const holder: { budget: PatternBudget } = { budget: { remaining: optionsSchemaLimits.patternWork } };
  const zod = new Converter(root, holder).convert(root, '#');
  return {
    validate(options: unknown): OptionsResult {
      const problem = findNonJson(options, optionsSchemaLimits.optionsDepth);
      if (problem !== undefined) return { success: false, issues: [{ path: problem.path, message: problem.message }] };
      const bytes = JSON.stringify(options).length;
      if (bytes > optionsSchemaLimits.optionsBytes) return { success: false, issues: [{ path: '', message: `${bytes} bytes of JSON, above the ${optionsSchemaLimits.optionsBytes} byte limit` }] };
      holder.budget = { remaining: optionsSchemaLimits.patternWork };
      try {
        const result = zod.safeParse(options);
        return result.success ? { success: true, data: result.data as Json } : { success: false, issues: toIssues(result.error) };
      } catch (error) {
        if (error instanceof PatternBudgetError) return { success: false, issues: [{ path: '', message: error.message }] };
        return { success: false, issues: [{ path: '', message: `validating the options failed: ${(error as Error).message}` }] };
      }
    },
  };
}

/** A plain, bounded JSON copy of the schema, so the converter never meets a getter, cycle or class. */
function normalize(schema: unknown): unknown {
  let text: string | undefined;
  try {
    text = JSON.stringify(schema);
  } catch (error) {
    throw new UnusableSchemaError('#', `the schema is not JSON: ${(error as Error).message}`);
  }
  if (text === undefined) throw new UnusableSchemaError('#', 'the schema is not JSON');
  if (text.length > optionsSchemaLimits.schemaBytes) throw new UnusableSchemaError('#', `the schema is ${text.length} bytes of JSON, above the ${optionsSchemaLimits.schemaBytes} byte limit`);
  const copy: unknown = JSON.parse(text);
  const problem = findNonJson(copy, optionsSchemaLimits.schemaDepth);
  if (problem !== undefined) throw new UnusableSchemaError(pointer(problem.path), problem.message);
  return copy;
}

/** `a.b[0]` as a JSON pointer under `#`. */
function pointer(path: string): string {
  return path === '' ? '#' : `#/${path.replace(/\[(\d+)\]/g, '.$1').replace(/^\./, '').split('.').join('/')}`;
}

type SchemaObject = Record<string, unknown>;

function isObject(value: unknown): value is SchemaObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isPrimitive(value: unknown): value is string | number | boolean | null {
  return value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

class Converter {
  private nodes = 0;
  private instructions = 0;
  private readonly refs = new Map<string, z.ZodType>();
  private readonly resolving = new Set<string>();

  constructor(
    private readonly root: unknown,
    private readonly holder: { budget: PatternBudget },
  ) {}

  convert(schema: unknown, at: string): z.ZodType {
    if (schema === true) return z.any();
    if (schema === false) return z.never();
    if (!isObject(schema)) throw new UnusableSchemaError(at, 'a schema must be an object or a boolean');
    if (++this.nodes > optionsSchemaLimits.schemaNodes) throw new UnusableSchemaError(at, `more than ${optionsSchemaLimits.schemaNodes} subschemas`);
    for (const keyword of unsupportedKeywords) {
      if (keyword in schema) throw new UnusableSchemaError(`${at}/${keyword}`, `"${keyword}" is not supported in options schemas`);
    }
    let result = this.base(schema, at);
    const explicitType = Boolean(schema.type) || schema.enum !== undefined || schema.const !== undefined;
    if (schema.anyOf !== undefined) {
      const union = z.union(this.list(schema.anyOf, `${at}/anyOf`) as [z.ZodType, ...z.ZodType[]]);
      result = explicitType ? z.intersection(result, union) : union;
    }
    if (schema.oneOf !== undefined) {
      const xor = z.xor(this.list(schema.oneOf, `${at}/oneOf`) as [z.ZodType, ...z.ZodType[]]);
      result = explicitType ? z.intersection(result, xor) : xor;
    }
    if (schema.allOf !== undefined) {
      if (!Array.isArray(schema.allOf)) throw new UnusableSchemaError(`${at}/allOf`, 'must be an array of schemas');
      const parts = schema.allOf.map((part, i) => this.convert(part, `${at}/allOf/${i}`));
      let combined = explicitType ? result : (parts.shift() ?? z.any());
      for (const part of parts) combined = z.intersection(combined, part);
      result = combined;
    }
    if (schema.default !== undefined) result = result.default(schema.default);
    return result;
  }

  private list(value: unknown, at: string): z.ZodType[] {
    if (!Array.isArray(value) || value.length === 0) throw new UnusableSchemaError(at, 'must be a non-empty array of schemas');
    return value.map((schema, i) => this.convert(schema, `${at}/${i}`));
  }

  private base(schema: SchemaObject, at: string): z.ZodType {
    if (schema.not !== undefined) {
      if (isObject(schema.not) && Object.keys(schema.not).length === 0) return z.never();
      throw new UnusableSchemaError(`${at}/not`, '"not" is supported only as {} (nothing is valid)');
    }
    if (schema.$ref !== undefined) return this.ref(schema.$ref, `${at}/$ref`);
    if (schema.enum !== undefined) {
      const values = schema.enum;
      if (!Array.isArray(values) || !values.every(isPrimitive)) throw new UnusableSchemaError(`${at}/enum`, 'must be an array of strings, numbers, booleans or null');
      if (values.length === 0) return z.never();
      if (values.length === 1) return z.literal(values[0]!);
      if (values.every((value) => typeof value === 'string')) return z.enum(values as [string, ...string[]]);
      return z.union(values.map((value) => z.literal(value)) as unknown as [z.ZodType, z.ZodType, ...z.ZodType[]]);
    }
    if (schema.const !== undefined) {
      if (!isPrimitive(schema.const)) throw new UnusableSchemaError(`${at}/const`, 'must be a string, number, boolean or null');
      return z.literal(schema.const);
    }
    const type = schema.type;
    if (Array.isArray(type)) {
      const branches = type.map((each, i) => this.typed(schema, each, at, `${at}/type/${i}`));
      if (branches.length === 0) return z.never();
      return branches.length === 1 ? branches[0]! : z.union(branches as [z.ZodType, ...z.ZodType[]]);
    }
    if (type === undefined) return z.any();
    return this.typed(schema, type, at, `${at}/type`);
  }

  private typed(schema: SchemaObject, type: unknown, at: string, typeAt: string): z.ZodType {
    if (typeof type !== 'string' || !primitiveTypes.has(type)) throw new UnusableSchemaError(typeAt, `unknown type ${JSON.stringify(type)}`);
    switch (type) {
      case 'string':
        return this.string(schema, at);
      case 'number':
      case 'integer':
        return number(schema, type);
      case 'boolean':
        return z.boolean();
      case 'null':
        return z.null();
      case 'object':
        return this.object(schema, at);
      default:
        return this.array(schema, at);
    }
  }

  private string(schema: SchemaObject, at: string): z.ZodType {
    let string = z.string();
    if (typeof schema.minLength === 'number') string = string.min(schema.minLength);
    if (typeof schema.maxLength === 'number') string = string.max(schema.maxLength);
    let result: z.ZodType<string> = string;
    const format = typeof schema.format === 'string' ? formats[schema.format] : undefined;
    if (format !== undefined) {
      const check = format();
      result = result.superRefine((value, ctx) => {
        if (value.length > optionsSchemaLimits.formatLength) {
          ctx.addIssue({ code: 'custom', message: `too long to check as ${String(schema.format)}: more than ${optionsSchemaLimits.formatLength} characters` });
          return;
        }
        const checked = check.safeParse(value);
        if (!checked.success) for (const issue of checked.error.issues) ctx.addIssue({ code: 'custom', message: issue.message });
      });
    }
    if (schema.pattern !== undefined) {
      if (typeof schema.pattern !== 'string') throw new UnusableSchemaError(`${at}/pattern`, 'must be a string');
      let pattern;
      try {
        pattern = compilePattern(schema.pattern);
      } catch (error) {
        if (error instanceof UnsupportedPatternError) throw new UnusableSchemaError(`${at}/pattern`, error.message);
        throw error;
      }
      this.instructions += pattern.instructions;
      if (this.instructions > optionsSchemaLimits.patternInstructions) {
        throw new UnusableSchemaError(`${at}/pattern`, `the schema's patterns compile to more than ${optionsSchemaLimits.patternInstructions} RE2 instructions`);
      }
      const holder = this.holder;
      result = result.refine((value) => pattern.test(value, holder.budget), { message: `Invalid string: must match pattern /${schema.pattern}/` });
    }
    return result;
  }

  private object(schema: SchemaObject, at: string): z.ZodType {
    const properties = schema.properties ?? {};
    if (!isObject(properties)) throw new UnusableSchemaError(`${at}/properties`, 'must be an object of schemas');
    const required = schema.required ?? [];
    if (!Array.isArray(required) || !required.every((name) => typeof name === 'string')) throw new UnusableSchemaError(`${at}/required`, 'must be an array of property names');
    const requiredSet = new Set(required);
    const shape: Record<string, z.ZodType> = {};
    for (const [key, property] of Object.entries(properties)) {
      const converted = this.convert(property, `${at}/properties/${key}`);
      // defineProperty, so a `__proto__` property becomes an own key instead of a prototype.
      Object.defineProperty(shape, key, { value: requiredSet.has(key) ? converted : converted.optional(), enumerable: true, writable: true, configurable: true });
    }
    const additional = schema.additionalProperties;
    let result: z.ZodType;
    if (additional === false) result = z.object(shape).strict();
    else if (additional === undefined || additional === true) result = z.object(shape).passthrough();
    else if (isObject(additional)) result = z.object(shape).catchall(this.convert(additional, `${at}/additionalProperties`));
    else throw new UnusableSchemaError(`${at}/additionalProperties`, 'must be a boolean or a schema');
    const keyGuard = schema.propertyNames !== undefined && schema.propertyNames !== true;
    const minProperties = typeof schema.minProperties === 'number' ? schema.minProperties : undefined;
    const maxProperties = typeof schema.maxProperties === 'number' ? schema.maxProperties : undefined;
    if (!keyGuard && minProperties === undefined && maxProperties === undefined) return result;
    // Keys are strings, so a propertyNames schema without a type still constrains them as strings.
    const names = schema.propertyNames;
    const keySchema = keyGuard ? this.convert(isObject(names) && names.type === undefined ? { type: 'string', ...names } : names, `${at}/propertyNames`) : undefined;
    return objectGuards(result, keySchema, minProperties, maxProperties);
  }

  private array(schema: SchemaObject, at: string): z.ZodType {
    if (Array.isArray(schema.items)) throw new UnusableSchemaError(`${at}/items`, 'tuple schemas (an array of items) are not supported');
    let array = z.array(schema.items === undefined ? z.any() : this.convert(schema.items, `${at}/items`));
    if (typeof schema.minItems === 'number') array = array.min(schema.minItems);
    if (typeof schema.maxItems === 'number') array = array.max(schema.maxItems);
    if (schema.uniqueItems !== true) return array;
    return z
      .transform((value: unknown) => value)
      .check((payload) => {
        const items = payload.value;
        if (!Array.isArray(items)) return;
        const first = new Map<string, number>();
        items.forEach((item, i) => {
          const key = canonicalKey(item);
          const seen = first.get(key);
          if (seen === undefined) first.set(key, i);
          else payload.issues.push({ code: 'custom', message: `Array items must be unique: element at index ${i} duplicates the one at index ${seen}`, input: items, path: [i], continue: true });
        });
      })
      .pipe(array);
  }

  private ref(ref: unknown, at: string): z.ZodType {
    if (typeof ref !== 'string') throw new UnusableSchemaError(at, 'must be a string');
    const match = /^#\/(\$defs|definitions)\/([^/]+)$/.exec(ref);
    if (match === null) throw new UnusableSchemaError(at, `only references to #/$defs/<name> are supported, not ${JSON.stringify(ref)}`);
    const cached = this.refs.get(ref);
    if (cached !== undefined) return cached;
    if (this.resolving.has(ref)) throw new UnusableSchemaError(at, `${JSON.stringify(ref)} refers back to itself: a recursive schema cannot be bounded`);
    const container = isObject(this.root) ? this.root[match[1]!] : undefined;
    const name = match[2]!.replace(/~1/g, '/').replace(/~0/g, '~');
    if (!isObject(container) || !Object.prototype.hasOwnProperty.call(container, name)) throw new UnusableSchemaError(at, `${JSON.stringify(ref)} is not defined`);
    this.resolving.add(ref);
    const converted = this.convert(container[name], `#/${match[1]}/${match[2]}`);
    this.resolving.delete(ref);
    this.refs.set(ref, converted);
    return converted;
  }
}

function number(schema: SchemaObject, type: 'number' | 'integer'): z.ZodType {
  let result = type === 'integer' ? z.number().int() : z.number();
  // Draft 4: `exclusiveMinimum: true` makes `minimum` exclusive rather than adding a bound.
  if (typeof schema.minimum === 'number' && schema.exclusiveMinimum !== true) result = result.min(schema.minimum);
  if (typeof schema.maximum === 'number' && schema.exclusiveMaximum !== true) result = result.max(schema.maximum);
  if (typeof schema.exclusiveMinimum === 'number') result = result.gt(schema.exclusiveMinimum);
  else if (schema.exclusiveMinimum === true && typeof schema.minimum === 'number') result = result.gt(schema.minimum);
  if (typeof schema.exclusiveMaximum === 'number') result = result.lt(schema.exclusiveMaximum);
  else if (schema.exclusiveMaximum === true && typeof schema.maximum === 'number') result = result.lt(schema.maximum);
  if (typeof schema.multipleOf === 'number') result = result.multipleOf(schema.multipleOf);
  return result;
}

/** The formats checked, as zod's converter maps them; any other format is an annotation. */
const formats: Record<string, () => z.ZodType<string>> = {
  email: () => z.email(),
  uri: () => z.url(),
  'uri-reference': () => z.url(),
  uuid: () => z.uuid(),
  guid: () => z.uuid(),
  'date-time': () => z.iso.datetime({ offset: true }),
  date: () => z.iso.date(),
  duration: () => z.iso.duration(),
  hostname: () => z.hostname(),
  ipv4: () => z.ipv4(),
  ipv6: () => z.ipv6(),
};

/**
 * `propertyNames`, `minProperties` and `maxProperties`, checked on the object as given: the object
 * parse drops `__proto__` and adds defaults, so its output is not the set of keys that was sent.
 */
function objectGuards(object: z.ZodType, keySchema: z.ZodType | undefined, min: number | undefined, max: number | undefined): z.ZodType {
  return z
    .transform((value: unknown) => value)
    .check((payload) => {
      const value = payload.value;
      if (!isObject(value)) return;
      const keys = Object.getOwnPropertyNames(value);
      if (min !== undefined && keys.length < min) {
        payload.issues.push({ code: 'custom', message: `Too small: expected object to have >=${min} properties`, input: value, continue: true });
      }
      if (max !== undefined && keys.length > max) {
        payload.issues.push({ code: 'custom', message: `Too big: expected object to have <=${max} properties`, input: value, continue: true });
      }
      if (keySchema === undefined) return;
      for (const key of keys) {
        const result = keySchema.safeParse(key);
        if (!result.success) payload.issues.push({ code: 'custom', message: `Invalid key "${key}": ${result.error.issues[0]?.message ?? 'invalid'}`, input: key, path: [key], continue: true });
      }
    })
    .pipe(object);
}

/** A string two JSON values share exactly when `uniqueItems` calls them equal. */
function canonicalKey(value: unknown): string {
  if (value === null) return 'z';
  if (typeof value !== 'object') {
    const raw = String(value);
    return `${(typeof value)[0]}${raw.length}:${raw}`;
  }
  if (Array.isArray(value)) return `a${value.length}:[${value.map(canonicalKey).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `o${keys.length}:{${keys.map((key) => `${key.length}:${key}=${canonicalKey((value as Record<string, unknown>)[key])}`).join(',')}}`;
}

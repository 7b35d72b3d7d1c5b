/**
 * `overrides`: ordered rules, each a label selector and patch operations, as Karmada's
 * OverridePolicy and Fleet's overlays express them: RFC 6902 JSON Patch (`patch`) and RFC 7386
 * merge patch (`merge`). `match: "last"` applies every matching rule in order, so a later rule wins
 * where two set the same path; `match: "first"` applies only the first matching rule.
 *
 * @module plugins/overrides
 */
import { customizeFault, defineCustomizer, type CustomizeChange, type CustomizeTarget, type Json } from '../../core/contract.js';

type Requirement = { readonly key: string; readonly operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; readonly values?: readonly string[] };
type Operation =
  | { readonly op: 'add' | 'replace' | 'test'; readonly path: string; readonly value: Json }
  | { readonly op: 'remove'; readonly path: string }
  | { readonly op: 'move' | 'copy'; readonly from: string; readonly path: string };

/** One rule: where it applies, and what it changes there. */
export type OverrideRule = {
  readonly name?: string;
  /** A Kubernetes label selector; an empty one matches every target. */
  readonly selector: { readonly matchLabels?: Readonly<Record<string, string>>; readonly matchExpressions?: readonly Requirement[] };
  readonly patch?: readonly Operation[];
  readonly merge?: Json;
};

/** Options of `overrides`. */
export type OverridesOptions = {
  readonly match?: 'first' | 'last';
  readonly rules: readonly OverrideRule[];
};

type JsonMap = { [key: string]: Json };
const isMap = (value: Json | undefined): value is JsonMap => typeof value === 'object' && value !== null && !Array.isArray(value);

function matches(selector: OverrideRule['selector'], labels: Readonly<Record<string, string>>, at: string): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) if (labels[key] !== value) return false;
  return (selector.matchExpressions ?? []).every((requirement, i) => {
    const has = Object.hasOwn(labels, requirement.key);
    const values = requirement.values ?? [];
    const setBased = requirement.operator === 'In' || requirement.operator === 'NotIn';
    if (setBased === (values.length === 0)) {
      throw customizeFault('', `${at}.selector.matchExpressions[${i}]: ${requirement.operator} ${setBased ? 'needs' : 'takes no'} values`);
    }
    switch (requirement.operator) {
      case 'In':
        return has && values.includes(labels[requirement.key]!);
      case 'NotIn':
        return !has || !values.includes(labels[requirement.key]!);
      case 'Exists':
        return has;
      case 'DoesNotExist':
        return !has;
    }
  });
}

/** `/spec/containers/0/image` as `spec.containers[0].image`, for messages and `--explain`. */
function dotted(pointer: string): string {
  return tokens(pointer).reduce((path, token) => (/^\d+$/.test(token) ? `${path}[${token}]` : /^[A-Za-z_$][\w$-]*$/.test(token) ? (path === '' ? token : `${path}.${token}`) : `${path}[${JSON.stringify(token)}]`), '');
}

function tokens(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw customizeFault('', `JSON pointer "${pointer}" does not start with "/"`);
  return pointer.slice(1).split('/').map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function copy(value: Json): Json {
  return JSON.parse(JSON.stringify(value)) as Json;
}

function equal(a: Json | undefined, b: Json | undefined): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => equal(item, b[i]));
  if (isMap(a) && isMap(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && equal(a[key], b[key]));
  }
  return false;
}

/** The container of the pointer's last token, and that token; fails naming the pointer where a step is missing. */
function parentOf(root: Json, pointer: string): { parent: JsonMap | Json[]; key: string } {
  const parts = tokens(pointer);
  if (parts.length === 0) throw customizeFault('', 'this operation cannot target the whole document');
  let node: Json = root;
  for (let i = 0; i < parts.length - 1; i++) {
    const next: Json | undefined = Array.isArray(node) ? (/^\d+$/.test(parts[i]!) ? node[Number(parts[i])] : undefined) : isMap(node) && Object.hasOwn(node, parts[i]!) ? node[parts[i]!] : undefined;
    if (next === undefined) throw customizeFault(dotted(pointer), `no such path (at ${dotted(`/${parts.slice(0, i + 1).join('/')}`) || '(root)'})`);
    node = next;
  }
  if (!Array.isArray(node) && !isMap(node)) throw customizeFault(dotted(pointer), 'the parent is not an object or array');
  return { parent: node, key: parts[parts.length - 1]! };
}

function read(root: Json, pointer: string): Json {
  if (pointer === '') return root;
  const { parent, key } = parentOf(root, pointer);
  const value = Array.isArray(parent) ? (/^\d+$/.test(key) ? parent[Number(key)] : undefined) : Object.hasOwn(parent, key) ? parent[key] : undefined;
  if (value === undefined) throw customizeFault(dotted(pointer), 'no such path');
  return value;
}

function arrayIndex(parent: Json[], key: string, pointer: string, inserting: boolean): number {
  if (inserting && key === '-') return parent.length;
  const limit = inserting ? parent.length : parent.length - 1;
  if (!/^(0|[1-9]\d*)$/.test(key) || Number(key) > limit) throw customizeFault(dotted(pointer), `no such array index "${key}"`);
  return Number(key);
}

function add(root: Json, pointer: string, value: Json): Json {
  if (pointer === '') return value;
  const { parent, key } = parentOf(root, pointer);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, pointer, true), 0, value);
  else parent[key] = value;
  return root;
}

function remove(root: Json, pointer: string): Json {
  const { parent, key } = parentOf(root, pointer);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, pointer, false), 1);
  else if (Object.hasOwn(parent, key)) delete parent[key];
  else throw customizeFault(dotted(pointer), 'no such path');
  return root;
}

/** Replaces in place, so the key keeps its position in the object. */
function replace(root: Json, pointer: string, value: Json): Json {
  read(root, pointer);
  if (pointer === '') return value;
  const { parent, key } = parentOf(root, pointer);
  if (Array.isArray(parent)) parent[Number(key)] = value;
  else parent[key] = value;
  return root;
}

/** RFC 6902 on a copy: every operation in order, or a fault naming the first that cannot apply. */
function applyPatch(document: Json, operations: readonly Operation[]): Json {
  let root = copy(document);
  for (const operation of operations) {
    switch (operation.op) {
      case 'add':
        root = add(root, operation.path, copy(operation.value));
        break;
      case 'remove':
        root = remove(root, operation.path);
        break;
      case 'replace':
        root = replace(root, operation.path, copy(operation.value));
        break;
      case 'move': {
        if (operation.path.startsWith(`${operation.from}/`)) throw customizeFault(dotted(operation.path), `cannot move ${dotted(operation.from)} into itself`);
        const value = read(root, operation.from);
        root = add(remove(root, operation.from), operation.path, value);
        break;
      }
      case 'copy':
        root = add(root, operation.path, copy(read(root, operation.from)));
        break;
      case 'test':
        if (!equal(read(root, operation.path), operation.value)) throw customizeFault(dotted(operation.path), `test failed: the value is not ${JSON.stringify(operation.value)}`);
        break;
    }
  }
  return root;
}

/** RFC 7386. */
function mergePatch(target: Json, patch: Json): Json {
  if (!isMap(patch)) return copy(patch);
  const out: JsonMap = isMap(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(Object.hasOwn(out, key) ? out[key]! : null, value);
  }
  return out;
}

/** Paths a merge patch sets or deletes, as dotted paths, for `--explain`. */
function mergePaths(patch: Json, pointer: string): string[] {
  if (!isMap(patch) || Object.keys(patch).length === 0) return [dotted(pointer)];
  return Object.entries(patch).flatMap(([key, value]) => mergePaths(value, `${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`));
}

function selected(options: OverridesOptions, target: CustomizeTarget): { rule: OverrideRule; index: number }[] {
  const hits: { rule: OverrideRule; index: number }[] = [];
  for (let index = 0; index < options.rules.length; index++) {
    const rule = options.rules[index]!;
    if (!matches(rule.selector, target.labels, `rules[${index}]`)) continue;
    hits.push({ rule, index });
    if (options.match === 'first') break;
  }
  return hits;
}

const ruleName = (rule: OverrideRule, index: number) => `rules[${index}]${rule.name === undefined ? '' : ` ${rule.name}`}`;

const labelMap = { type: 'object', additionalProperties: { type: 'string', maxLength: 63 }, propertyNames: { pattern: '^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$', maxLength: 317 } };
const pointer = { type: 'string', pattern: '^(/([^~/]|~[01])*)*$', maxLength: 1024 };

export default defineCustomizer<OverridesOptions>({
  name: 'overrides',
  version: '1.0.0',
  description: 'Ordered label-selector rules with JSON Patch or merge-patch operations.',
  idempotent: false,
  options: {
    type: 'object',
    required: ['rules'],
    additionalProperties: false,
    properties: {
      match: { enum: ['first', 'last'], default: 'last' },
      rules: {
        type: 'array',
        maxItems: 256,
        items: {
          type: 'object',
          required: ['selector'],
          additionalProperties: false,
          properties: {
            name: { type: 'string', maxLength: 128 },
            selector: {
              type: 'object',
              additionalProperties: false,
              properties: {
                matchLabels: labelMap,
                matchExpressions: {
                  type: 'array',
                  maxItems: 32,
                  items: {
                    type: 'object',
                    required: ['key', 'operator'],
                    additionalProperties: false,
                    properties: {
                      key: { type: 'string', minLength: 1, maxLength: 317 },
                      operator: { enum: ['In', 'NotIn', 'Exists', 'DoesNotExist'] },
                      values: { type: 'array', items: { type: 'string', maxLength: 63 }, maxItems: 64 },
                    },
                  },
                },
              },
            },
            patch: {
              type: 'array',
              maxItems: 256,
              items: {
                anyOf: [
                  { type: 'object', required: ['op', 'path', 'value'], additionalProperties: false, properties: { op: { enum: ['add', 'replace', 'test'] }, path: pointer, value: {} } },
                  { type: 'object', required: ['op', 'path'], additionalProperties: false, properties: { op: { const: 'remove' }, path: pointer } },
                  { type: 'object', required: ['op', 'from', 'path'], additionalProperties: false, properties: { op: { enum: ['move', 'copy'] }, from: pointer, path: pointer } },
                ],
              },
            },
            merge: {},
          },
        },
      },
    },
  },
  customize(object, target, ctx) {
    let current = object;
    for (const { rule, index } of selected(ctx.options, target)) {
      try {
        if (rule.patch !== undefined) current = applyPatch(current, rule.patch);
        if (rule.merge !== undefined) current = mergePatch(current, rule.merge);
      } catch (error) {
        const message = (error as Error).message;
        throw new TypeError(`${message} (${ruleName(rule, index)})`);
      }
    }
    return current === object ? copy(object) : current;
  },
  explain(_object, target, ctx) {
    const changes: CustomizeChange[] = [];
    for (const { rule, index } of selected(ctx.options, target)) {
      const name = ruleName(rule, index);
      for (const operation of rule.patch ?? []) if (operation.op !== 'test') changes.push({ rule: name, path: dotted(operation.path) });
      if (rule.merge !== undefined) for (const path of mergePaths(rule.merge, '')) changes.push({ rule: name, path });
    }
    return changes;
  },
});

/**
 * `labels-template`: fills `{{ .labels.KEY }}` and `{{ .id }}` placeholders in every string of the
 * object from the target's labels and id. A fixed grammar, matched by one regular expression: no
 * expression is ever evaluated.
 *
 * @module plugins/labels-template
 */
import { customizeFault, defineCustomizer, type CustomizeChange, type CustomizeTarget, type Json } from '../../core/contract.js';

/** Options of `labels-template`. */
export type LabelsTemplateOptions = {
  /** Values for labels a target lacks; without one, a missing label is an error. */
  readonly defaults?: Readonly<Record<string, string>>;
};

const placeholder = /\{\{\s*([^{}]*?)\s*\}\}/g;
const labelRef = /^\.labels\.([A-Za-z0-9_-]+)$|^index \.labels "([A-Za-z0-9._/-]+)"$/;

/** Calls `visit` for every string of `value` with its path, and rebuilds the value from what it returns. */
function mapStrings(value: Json, path: string, visit: (text: string, path: string) => string): Json {
  if (typeof value === 'string') return visit(value, path);
  if (Array.isArray(value)) return value.map((item, i) => mapStrings(item, `${path}[${i}]`, visit));
  if (value !== null && typeof value === 'object') {
    const out: { [key: string]: Json } = {};
    for (const key of Object.keys(value)) out[key] = mapStrings(value[key]!, keyPath(path, key), visit);
    return out;
  }
  return value;
}

function keyPath(path: string, key: string): string {
  if (!/^[A-Za-z_$][\w$-]*$/.test(key)) return `${path}[${JSON.stringify(key)}]`;
  return path === '' ? key : `${path}.${key}`;
}

function fill(text: string, path: string, target: CustomizeTarget, defaults: Readonly<Record<string, string>>): string {
  return text.replace(placeholder, (whole, inner: string) => {
    if (inner === '.id') return target.id;
    const ref = labelRef.exec(inner);
    if (ref === null) throw customizeFault(path, `unsupported placeholder ${whole}: use {{ .labels.KEY }}, {{ index .labels "KEY" }} or {{ .id }}`);
    const key = ref[1] ?? ref[2]!;
    const value = Object.hasOwn(target.labels, key) ? target.labels[key] : Object.hasOwn(defaults, key) ? defaults[key] : undefined;
    if (value === undefined) throw customizeFault(path, `${target.kind} ${target.id} has no label "${key}" for ${whole} (and the options give no default)`);
    // A value that is a placeholder itself would be filled on a second pass: refused, so the plugin stays idempotent.
    if (value.includes('{{')) throw customizeFault(path, `label "${key}" of ${target.id} contains "{{"`);
    return value;
  });
}

export default defineCustomizer<LabelsTemplateOptions>({
  name: 'labels-template',
  version: '1.0.0',
  description: 'Fills {{ .labels.KEY }} and {{ .id }} placeholders from the target.',
  idempotent: true,
  options: {
    type: 'object',
    properties: {
      defaults: { type: 'object', additionalProperties: { type: 'string', maxLength: 1024 }, maxProperties: 256 },
    },
    additionalProperties: false,
  },
  customize(object, target, ctx) {
    const defaults = ctx.options.defaults ?? {};
    return mapStrings(object, '', (text, path) => (text.includes('{{') ? fill(text, path, target, defaults) : text));
  },
  explain(object) {
    const changes: CustomizeChange[] = [];
    mapStrings(object, '', (text, path) => {
      for (const match of text.matchAll(placeholder)) changes.push({ rule: match[0], path });
      return text;
    });
    return changes;
  },
});

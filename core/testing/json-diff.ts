/** One place where two JSON values differ: its path, and what each side holds there. */
export interface JsonDifference {
  /** `targets[1]`, `memo.wave`; empty for the values themselves. */
  readonly path: string;
  /** `undefined` when the key is missing on that side. */
  readonly expected: unknown;
  readonly actual: unknown;
}

/** Nesting beyond which two subtrees are compared whole, so a hostile file cannot exhaust the stack. */
const maxDepth = 64;

/**
 * Every path at which two parsed JSON values differ, in document order: a changed leaf, a key only
 * one side has, an array element past the other's end. Object key order never counts; array
 * order does. Empty when the values are equal.
 */
export function diffJson(expected: unknown, actual: unknown): JsonDifference[] {
  const out: JsonDifference[] = [];
  walk(expected, actual, [], out);
  return out;
}

function walk(expected: unknown, actual: unknown, path: (string | number)[], out: JsonDifference[]): void {
  if (Object.is(expected, actual)) return;
  const bothArrays = Array.isArray(expected) && Array.isArray(actual);
  const bothObjects = isRecord(expected) && isRecord(actual);
  if (path.length >= maxDepth || !(bothArrays || bothObjects)) {
    if (path.length >= maxDepth && JSON.stringify(expected) === JSON.stringify(actual)) return;
    out.push({ path: formatPath(path), expected, actual });
    return;
  }
  if (bothArrays) {
    const a = expected as unknown[];
    const b = actual as unknown[];
    for (let i = 0; i < Math.max(a.length, b.length); i++) walk(a[i], b[i], [...path, i], out);
    return;
  }
  const a = expected as Record<string, unknown>;
  const b = actual as Record<string, unknown>;
  const keys = [...Object.keys(a), ...Object.keys(b).filter((key) => !Object.hasOwn(a, key))];
  for (const key of keys) walk(Object.hasOwn(a, key) ? a[key] : undefined, Object.hasOwn(b, key) ? b[key] : undefined, [...path, key], out);
}

/** `['targets', 1]` as `targets[1]`; the catalog has the same rule, but this module imports only the contract. */
function formatPath(path: readonly (string | number)[]): string {
  return path.map((part, i) => (typeof part === 'number' ? `[${part}]` : i === 0 ? part : `.${part}`)).join('');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Renders differences for people, one per line: `  targets[1]: expected "a", got "b"`. */
export function formatJsonDiff(differences: readonly JsonDifference[], indent = '  '): string {
  const show = (value: unknown) => (value === undefined ? '(missing)' : JSON.stringify(value));
  return differences.map((d) => `${indent}${d.path === '' ? '(value)' : d.path}: expected ${show(d.expected)}, got ${show(d.actual)}`).join('\n');
}

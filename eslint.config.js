import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const root = dirname(fileURLToPath(import.meta.url));

/**
 * The layering of the code base (docs/architecture.md): each unit may import only the units listed
 * for it, so the folders form a DAG. Core owns every port and imports no adapter; the sandbox
 * implements core's runner port; the composition root (`app/`) wires adapters into core; the CLI
 * sits on top. Built-in plugins import only the public plugin contract (and shared plugin code).
 */
const base = ['core/contract.ts', 'core/errors.ts'];
const leaves = ['core/clock', 'core/log', 'core/metrics'];
const layers = {
  'core/contract.ts': [],
  'core/errors.ts': [],
  'core/clock': [],
  'core/log': [],
  'core/metrics': [],
  'core/model': base,
  'core/ports': [...base, 'core/model'],
  'core/catalog': [...base, 'core/ports'],
  'core/storage': [...base, 'core/model'],
  'core/testing': ['core/contract.ts'],
  'core/pipeline': [...base, ...leaves, 'core/model', 'core/ports', 'core/catalog'],
  'core/customize': [...base, 'core/model', 'core/ports', 'core/catalog', 'core/pipeline'],
  'core/rollout': [...base, ...leaves, 'core/model', 'core/ports', 'core/catalog', 'core/storage', 'core/pipeline', 'core/customize'],
  'core/transport': [...base, ...leaves, 'core/model', 'core/rollout'],
  'core/node': [...base, ...leaves, 'core/model', 'core/ports', 'core/catalog', 'core/storage', 'core/pipeline', 'core/rollout', 'core/transport'],
  'core/sim': [...base, ...leaves, 'core/model', 'core/pipeline', 'core/rollout', 'core/node', 'core/customize'],
  sandbox: [...base, 'core/model', 'core/ports'],
  plugins: ['core/contract.ts'],
  server: ['core'],
  sqlite: ['core'],
  nats: ['core'],
  app: ['core', 'sandbox', 'server', 'sqlite', 'nats'],
  cli: ['core', 'app', 'sandbox', 'server', 'sqlite'],
};

/** The unit a repository path belongs to: the longest key of `layers` that contains it. */
function unitOf(path) {
  let best;
  for (const unit of Object.keys(layers)) {
    if ((path === unit || path.startsWith(`${unit}/`)) && (best === undefined || unit.length > best.length)) best = unit;
  }
  return best;
}

const allows = (allowed, target) => allowed.some((unit) => target === unit || target.startsWith(`${unit}/`));

const layering = {
  meta: { type: 'problem', docs: { description: 'keeps the folder layering of docs/architecture.md' }, schema: [] },
  create(context) {
    const file = relative(root, context.filename);
    const own = unitOf(file);
    if (own === undefined) return {};
    const check = (node) => {
      const spec = node.source?.value;
      if (typeof spec !== 'string' || !spec.startsWith('.')) return;
      const target = relative(root, resolve(dirname(context.filename), spec)).replace(/\.js$/, '.ts');
      const unit = unitOf(target);
      if (unit === undefined || unit === own || unit.startsWith(`${own}/`)) return;
      // A built-in plugin may share code with the other built-ins: it is bundled with them.
      if (own === 'plugins' && target.startsWith('plugins/')) return;
      if (!allows(layers[own], unit)) context.report({ node: node.source, message: `${own} may not import ${unit} (${spec}): see the layering in docs/architecture.md` });
    };
    return { ImportDeclaration: check, ExportNamedDeclaration: check, ExportAllDeclaration: check, ImportExpression: check };
  },
};

export default tseslint.config(
  { ignores: ['node_modules/', 'bench/node_modules/', 'dist/', '.tmp/', '**/*.bundle.js', 'examples/*/node_modules/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    plugins: { edgesum: { rules: { layering } } },
    rules: {
      'edgesum/layering': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        {
          selector: "ThrowStatement > NewExpression[callee.name='Error']",
          message: 'Throw a typed error from core/errors.ts so callers get a stable code.',
        },
      ],
    },
  },
  {
    // Tests of a unit may reach for fixtures and helpers anywhere; what ships keeps the layering.
    files: ['**/*.test.ts', 'test/**', '**/fixtures/**', '**/fixtures.ts', 'bench/**'],
    rules: { 'edgesum/layering': 'off' },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { console: 'readonly', process: 'readonly', URL: 'readonly' } },
  },
);

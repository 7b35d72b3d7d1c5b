import type { Json } from '../../core/contract.js';

/** Every built-in reducer (`test/hierarchy-equivalence.test.ts` holds the list complete), with options that make it read the generated fields. */
export const builtinCases: { name: string; reducer: string; options: Record<string, Json> }[] = [
  { name: 'health', reducer: 'builtin:health', options: { examples: 3 } },
  { name: 'version-histogram', reducer: 'builtin:version-histogram', options: {} },
  { name: 'top-k', reducer: 'builtin:top-k', options: { field: 'status.readyReplicas', k: 4 } },
  {
    name: 'aggregate',
    reducer: 'builtin:aggregate',
    options: {
      groupBy: [{ name: 'kind', path: 'ref.kind' }],
      fields: { n: { op: 'COUNT' }, ready: { op: 'SUM', path: 'status.readyReplicas' }, avg: { op: 'AVG', path: 'status.cpu' }, max: { op: 'MAX', path: 'status.cpu' } },
    },
  },
  { name: 'workload-replicas divided', reducer: 'builtin:workload-replicas', options: { mode: 'divided' } },
  { name: 'workload-replicas replicated', reducer: 'builtin:workload-replicas', options: { mode: 'replicated' } },
  { name: 'drift', reducer: 'builtin:drift', options: { examples: 3 } },
];

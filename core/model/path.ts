import { z } from 'zod';

export { readPath } from '../contract.js';

/**
 * A field path into a report: dotted keys with `[n]` indexes and `["quoted keys"]` for keys that
 * hold dots or slashes, e.g. `metadata.labels["app.kubernetes.io/version"]`.
 */
export const FieldPathSchema = z
  .string()
  .min(1)
  .max(512)
  .regex(/^[A-Za-z_$][\w$-]*(\.[A-Za-z_$][\w$-]*|\[\d+\]|\["[^"\]]+"\])*$/, 'must be a field path like status.readyReplicas or metadata.labels["app.kubernetes.io/version"]');

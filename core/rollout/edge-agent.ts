import type { Json, ObjectRef } from '../contract.js';

/** What a site tells one edge: run this version of this object, for this rollout. */
export interface EdgeDirective {
  readonly rollout: string;
  readonly destination: string;
  readonly ref: ObjectRef;
  readonly version: string;
  /** When the site issued it, RFC 3339. */
  readonly at: string;
  /** The object to apply, rendered for this destination through the rollout's pattern, when it has one. */
  readonly object?: Json;
  /** The hash of `object` (`renderingHash`): what the edge echoes back, so drift shows up in a summary. */
  readonly renderedHash?: string;
}

/**
 * How a site reaches the agents on its edges. The edge answers through ordinary status reports of
 * the workload, carrying the version it runs and how applying it went (see the rollout's `status`).
 */
export interface EdgeAgent {
  apply(directive: EdgeDirective): void;
}

import type { CustomizeTarget, Json } from '../contract.js';
import type { CustomizeError } from '../errors.js';
import type { TopologyInput } from '../model/topology.js';
import type { LoadedPattern } from './pattern.js';
import { renderDown, Renderings, type RenderNode } from './render.js';

/** The label that carries an object's version; `image-tag` reads it. */
export const versionLabel = 'app.kubernetes.io/version';

/** The annotations an edge reports about what it applied: beside `edgesum.io/version` and `edgesum.io/phase`. */
export const AppliedAnnotations = {
  /** `renderingHash` of the object the edge applied. */
  applied: 'edgesum.io/applied-hash',
  /** The hash its site rendered for it, echoed from the directive. */
  rendered: 'edgesum.io/rendered-hash',
} as const;

/** `object` as a rollout of `version` starts it: with its version label set, before the pattern renders it. */
export function versioned(object: Json, version: string): Json {
  const copy = JSON.parse(JSON.stringify(object)) as { metadata?: { labels?: Record<string, string> } };
  copy.metadata = { ...copy.metadata, labels: { ...copy.metadata?.labels, [versionLabel]: version } };
  return copy as Json;
}

/** The center → region → site → destination tree of a topology, with every node's labels. */
export function topologyTree(topology: TopologyInput): RenderNode {
  const children = new Map<string, RenderNode[]>();
  const add = (parent: string | undefined, node: RenderNode) => {
    if (parent === undefined) return;
    const list = children.get(parent) ?? [];
    list.push(node);
    children.set(parent, list);
  };
  const nodes = topology.levels.map((level) => ({ level, node: { target: { id: level.id, kind: level.kind, labels: level.labels ?? {} } as CustomizeTarget, children: [] as RenderNode[] } }));
  for (const { level, node } of nodes) add(level.parent, node);
  for (const destination of topology.destinations) add(destination.parent, { target: { id: destination.id, kind: 'destination', labels: destination.labels ?? {} } });
  for (const { node } of nodes) node.children.push(...(children.get(node.target.id) ?? []));
  return nodes.find(({ level }) => level.kind === 'center')!.node;
}

/** What a rollout's rendering gave: every destination's object and hash, and the targets that failed. */
export interface FleetRendering {
  readonly objects: ReadonlyMap<string, { readonly object: Json; readonly hash: string }>;
  /** Targets (levels and destinations) whose rendering failed, with the error; they keep their last good one. */
  readonly degraded: ReadonlyMap<string, CustomizeError>;
}

/**
 * Renders `object` at `version` level by level down `tree` and records every destination's
 * rendering in `renderings`, where a destination that fails keeps its last good one.
 */
export async function renderFleet(pattern: LoadedPattern, object: Json, version: string, tree: RenderNode, renderings: Renderings, now: string): Promise<FleetRendering> {
  const outcomes = await renderDown(pattern, versioned(object, version), tree, now);
  const objects = new Map<string, { object: Json; hash: string }>();
  const degraded = new Map<string, CustomizeError>();
  for (const [target, outcome] of outcomes) {
    if (!outcome.ok) degraded.set(target, outcome.error);
  }
  const visit = (node: RenderNode) => {
    if (node.target.kind === 'destination') {
      const served = renderings.record(node.target.id, outcomes.get(node.target.id)!);
      if (served.object !== undefined) objects.set(node.target.id, { object: served.object, hash: served.hash! });
    }
    for (const child of node.children ?? []) visit(child);
  };
  visit(tree);
  return { objects, degraded };
}

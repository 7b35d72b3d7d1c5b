/**
 * `image-tag`: sets the tag of container images to a rollout's version. The version is the
 * object's `app.kubernetes.io/version` label (a rollout sets it to the version it rolls out before
 * the pattern renders), or the `version` option when given.
 *
 * @module plugins/image-tag
 */
import { customizeFault, defineCustomizer, readPath, type CustomizeChange, type Json } from '../../core/contract.js';

/** Options of `image-tag`. */
export type ImageTagOptions = {
  /** The tag to set; by default the object's `metadata.labels["app.kubernetes.io/version"]`. */
  readonly version?: string;
  /** Names of the containers to retag; by default every container. */
  readonly containers?: readonly string[];
};

type JsonMap = { [key: string]: Json };
const versionLabel = 'metadata.labels["app.kubernetes.io/version"]';
/** Where pod templates keep their containers: a workload's template, or a bare pod. */
const podSpecs = [['spec', 'template', 'spec'], ['spec']] as const;
const tagPattern = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

const isMap = (value: Json | undefined): value is JsonMap => typeof value === 'object' && value !== null && !Array.isArray(value);

/** `registry:5000/team/web:1.2@sha256:…` with its tag replaced and its digest dropped (a digest would pin the old image). */
function retag(image: string, tag: string): string {
  const bare = image.split('@')[0]!;
  const slash = bare.lastIndexOf('/');
  const colon = bare.lastIndexOf(':');
  return `${colon > slash ? bare.slice(0, colon) : bare}:${tag}`;
}

function versionOf(object: Json, options: ImageTagOptions): string {
  const version = options.version ?? readPath(object, versionLabel);
  if (typeof version !== 'string') throw customizeFault(versionLabel, 'no version to tag images with: set the label or the version option');
  if (!tagPattern.test(version)) throw customizeFault(options.version === undefined ? versionLabel : '', `"${version}" is not a valid image tag`);
  return version;
}

/** Each container to retag, with its path, in the first pod spec that has containers. */
function containersOf(object: Json, options: ImageTagOptions): { container: JsonMap; path: string }[] {
  for (const steps of podSpecs) {
    let node: Json | undefined = object;
    for (const step of steps) node = isMap(node) ? node[step] : undefined;
    const list = isMap(node) ? node.containers : undefined;
    if (!Array.isArray(list)) continue;
    const at = `${steps.join('.')}.containers`;
    return list.flatMap((container, i) => (isMap(container) && typeof container.image === 'string' && (options.containers === undefined || options.containers.includes(String(container.name))) ? [{ container, path: `${at}[${i}]` }] : []));
  }
  return [];
}

export default defineCustomizer<ImageTagOptions>({
  name: 'image-tag',
  version: '1.0.0',
  description: "Sets container image tags to the rollout's version.",
  idempotent: true,
  options: {
    type: 'object',
    additionalProperties: false,
    properties: {
      version: { type: 'string', pattern: '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$' },
      containers: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 253 }, maxItems: 64 },
    },
  },
  customize(object, _target, ctx) {
    const copy = JSON.parse(JSON.stringify(object)) as Json;
    const found = containersOf(copy, ctx.options);
    if (found.length === 0) return copy;
    const version = versionOf(copy, ctx.options);
    for (const { container } of found) container.image = retag(container.image as string, version);
    return copy;
  },
  explain(object, _target, ctx) {
    return containersOf(object, ctx.options).map(({ container, path }): CustomizeChange => ({ rule: `container ${String(container.name ?? '(unnamed)')}`, path: `${path}.image` }));
  },
});

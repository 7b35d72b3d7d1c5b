import { readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { z } from 'zod';
import { ErrorCodes, ValidationError } from '../core/errors.js';
import { DurationSchema, IdSchema, TopologySchema, toIssues } from '../core/model/index.js';
import { BindingsSchema } from '../core/node/index.js';
import { LimitsSchema } from '../core/pipeline/index.js';
import { TokenSchema } from './auth.js';

/** Largest config file read, so a wrong path (a device, a huge log) fails fast instead of filling memory. */
const maxConfigBytes = 8 * 1024 * 1024;

const HttpUrlSchema = z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' });

/** How a served node reaches its parent level. */
export const ParentSchema = z.strictObject({
  /** Base URL of the parent's server. */
  url: HttpUrlSchema,
  /** A `level` token the parent accepts for this level. */
  token: z.string().min(1).max(4096),
});

const NatsUrlSchema = z.url({ protocol: /^(nats|tls)$/, error: 'must be a nats:// or tls:// URL' });
const DomainSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1 to 64 letters, digits, "_" or "-" (a JetStream domain)');

/**
 * How a served node reaches the other levels over NATS (`transport: nats`): the server it connects
 * to (the hub, or its site's leaf server) and the JetStream domains of its parent and children.
 */
export const NatsSchema = z.strictObject({
  /** The NATS server this node connects to: one URL or several of the same cluster. */
  url: z.union([NatsUrlSchema, z.array(NatsUrlSchema).min(1).max(16)]),
  /** The JetStream domain of that server; each leaf server has its own. */
  domain: DomainSchema.optional(),
  /** The domain the parent's server is in, where it keeps its grants; this node's own when absent. */
  parentDomain: DomainSchema.optional(),
  /** The domain of each child level's server, by level id; this node's own for a child not named. */
  childDomains: z.record(IdSchema, DomainSchema).default({}),
  /** A `.creds` file (user JWT and NKey seed), relative to the config file. */
  credentials: z.string().min(1).optional(),
  user: z.string().min(1).max(256).optional(),
  password: z.string().min(1).max(4096).optional(),
  /** Longest wait for one JetStream acknowledgement or one reply. */
  timeout: DurationSchema.default(5_000),
});

/** Where a served node keeps its state. */
export const StorageSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('sqlite'), dir: z.string().min(1).optional() }),
  z.strictObject({ kind: z.literal('memory') }),
]);

/** Bounds on what clients may send, so a slow or hostile client cannot hold the node. */
export const ServeLimitsSchema = z.strictObject({
  /** Largest request body, in bytes. */
  bodyBytes: z.number().int().positive().max(256 * 1024 * 1024).default(16 * 1024 * 1024),
  /** Most reports in one `POST /v1/reports`. */
  batchItems: z.number().int().positive().max(1_000_000).default(10_000),
  /** Time to receive a whole request, headers and body. */
  requestTimeout: DurationSchema.default(30_000),
  /** Plugin limits for every binding that does not set its own. */
  plugin: LimitsSchema.optional(),
});

/**
 * The configuration of one served level node (`edgesum serve --config FILE`), YAML or JSON. Paths
 * in it are relative to the file.
 */
export const ServeConfigSchema = z.strictObject({
  /** This node's level id in the topology. */
  level: IdSchema,
  /** The whole hierarchy's topology, inline or as a path to a YAML/JSON file shared by every node. */
  topology: z.union([z.string().min(1), TopologySchema]),
  bindings: BindingsSchema.default([]),
  /** How levels reach each other: HTTP between node processes, or NATS JetStream (then give `nats`). */
  transport: z.enum(['http', 'nats']).default('http'),
  nats: NatsSchema.optional(),
  /** Absent at the center, and with `transport: nats`. */
  parent: ParentSchema.optional(),
  listen: z.strictObject({ host: z.string().min(1).default('127.0.0.1'), port: z.number().int().min(0).max(65_535).default(7070) }).default({ host: '127.0.0.1', port: 7070 }),
  /** The URL this node's parent uses to reach it (routed status queries); defaults to the listen address. */
  advertise: HttpUrlSchema.optional(),
  tokens: z.array(TokenSchema).default([]),
  storage: StorageSchema.default({ kind: 'sqlite' }),
  /** How often the node folds what changed and sends its partial up. */
  flushInterval: DurationSchema.default(1_000),
  /** A child level not heard from for this long counts as unreachable in coverage. */
  unreachableAfter: DurationSchema.default(30_000),
  limits: ServeLimitsSchema.default(ServeLimitsSchema.parse({})),
  runner: z.enum(['quickjs', 'quickjs-pool', 'inline']).default('quickjs'),
});

export type ServeConfig = z.output<typeof ServeConfigSchema>;
export type ServeConfigInput = z.input<typeof ServeConfigSchema>;

/** A validated serve config with every path resolved and the topology loaded. */
export interface LoadedServeConfig extends Omit<ServeConfig, 'topology' | 'storage' | 'nats'> {
  /** With `transport: nats`, its settings with the credentials path resolved. */
  readonly nats?: z.output<typeof NatsSchema>;
  readonly topology: z.output<typeof TopologySchema>;
  readonly storage: { readonly kind: 'sqlite'; readonly dir: string } | { readonly kind: 'memory' };
  /** The file the config came from, for messages. */
  readonly file: string;
}

/**
 * Reads and validates a serve config file. Every problem names the file, the key path and what was
 * expected (`site-1.yaml: parent.url: must be an http:// or https:// URL`), never the file's content.
 *
 * @throws ValidationError (`EDGESUM_INVALID_CONFIG`).
 */
export function loadServeConfig(file: string, overrides: { port?: number; data?: string; parentUrl?: string } = {}): LoadedServeConfig {
  const raw = readStructured(file);
  const parsed = ServeConfigSchema.safeParse(raw);
  if (!parsed.success) throw invalid(file, toIssues(parsed.error));
  const config = parsed.data;
  const here = dirname(resolve(file));
  let topology: z.output<typeof TopologySchema>;
  if (typeof config.topology === 'string') {
    const path = resolve(here, config.topology);
    const loaded = TopologySchema.safeParse(readStructured(path));
    if (!loaded.success) throw invalid(path, toIssues(loaded.error));
    topology = loaded.data;
  } else {
    topology = config.topology;
  }
  const level = topology.levels.find((candidate) => candidate.id === config.level);
  if (level === undefined) throw invalid(file, [{ path: 'level', message: `level "${config.level}" is not in the topology` }]);
  if (level.parent === undefined && config.parent !== undefined) throw invalid(file, [{ path: 'parent', message: `level "${level.id}" is the center: it has no parent` }]);
  if (config.transport === 'nats') checkNats(file, config, level.id, topology);
  else if (config.nats !== undefined) throw invalid(file, [{ path: 'nats', message: 'is used only with transport: nats' }]);
  if (config.transport === 'http' && level.parent !== undefined && config.parent === undefined && overrides.parentUrl === undefined) {
    throw invalid(file, [{ path: 'parent', message: `level "${level.id}" reports to "${level.parent}": give its url and token` }]);
  }
  const parent = overrides.parentUrl === undefined ? config.parent : { url: overrides.parentUrl, token: config.parent?.token ?? '' };
  const storage = config.storage.kind === 'memory' ? config.storage : { kind: 'sqlite' as const, dir: resolve(overrides.data ?? resolve(here, config.storage.dir ?? `data/${config.level}`)) };
  const { topology: _topology, storage: _storage, parent: _parent, nats, ...rest } = config;
  return {
    ...rest,
    ...(nats === undefined ? {} : { nats: nats.credentials === undefined ? nats : { ...nats, credentials: resolve(here, nats.credentials) } }),
    ...(parent === undefined ? {} : { parent }),
    listen: { ...config.listen, ...(overrides.port === undefined ? {} : { port: overrides.port }) },
    topology,
    storage,
    file,
  };
}

function checkNats(file: string, config: ServeConfig, level: string, topology: z.output<typeof TopologySchema>): void {
  if (config.nats === undefined) throw invalid(file, [{ path: 'nats', message: 'is required with transport: nats: give at least its url' }]);
  if (config.parent !== undefined) throw invalid(file, [{ path: 'parent', message: 'is for transport: http; over NATS the parent is reached by its level id' }]);
  const children = new Set(topology.levels.filter((candidate) => candidate.parent === level).map((candidate) => candidate.id));
  const stranger = Object.keys(config.nats.childDomains).find((child) => !children.has(child));
  if (stranger !== undefined) throw invalid(file, [{ path: `nats.childDomains.${stranger}`, message: `"${stranger}" is not a child level of "${level}"` }]);
  if ((config.nats.user === undefined) !== (config.nats.password === undefined)) throw invalid(file, [{ path: config.nats.user === undefined ? 'nats.user' : 'nats.password', message: 'user and password go together' }]);
}

function readStructured(file: string): unknown {
  let text: string;
  try {
    const stat = statSync(file);
    if (!stat.isFile()) throw invalid(file, [{ path: '', message: 'is not a regular file' }]);
    if (stat.size > maxConfigBytes) throw invalid(file, [{ path: '', message: `is ${stat.size} bytes, above the ${maxConfigBytes} byte limit` }]);
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (error instanceof ValidationError) throw error;
    throw invalid(file, [{ path: '', message: `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})` }]);
  }
  try {
    // YAML 1.2 is a superset of JSON, so one parser reads both; aliases are capped against billion-laughs
    // documents. Only the error's code and position are used: its message quotes the text.
    return parseYaml(text, { maxAliasCount: 100, uniqueKeys: true, prettyErrors: true });
  } catch (error) {
    const where = error instanceof YAMLParseError && error.linePos !== undefined ? `line ${error.linePos[0].line}, column ${error.linePos[0].col}` : 'somewhere';
    const code = error instanceof YAMLParseError ? error.code : 'unreadable';
    throw invalid(file, [{ path: '', message: `is not valid YAML or JSON (${code} at ${where})` }]);
  }
}

function invalid(file: string, issues: { path: string; message: string }[]): ValidationError {
  const first = issues[0]!;
  return new ValidationError(ErrorCodes.InvalidConfig, `${file}: ${first.path === '' ? '' : `${first.path}: `}${first.message}`, { issues });
}

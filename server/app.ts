import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import { EdgesumError, ErrorCodes, type ErrorCode } from '../core/errors.js';
import type { IngestResult } from '../core/node/index.js';
import { IdSchema, type LevelKind } from '../core/model/index.js';
import type { SummaryView } from '../core/pipeline/index.js';
import { DirectiveMessageSchema, PartialMessageSchema, type DestinationStatus, type DirectiveMessage, type PartialMessage } from '../core/transport/index.js';
import type { EdgeDirective, RolloutCommand, RolloutSpecInput } from '../core/rollout/index.js';
import type { Principal, Role, TokenAuthority } from './auth.js';
import { openApiDocument } from './openapi.js';

/** What the HTTP API needs of the level node it serves. */
export interface ServedNode {
  readonly id: string;
  readonly kind: LevelKind;
  /** Applies a batch of reports; resolves once every accepted report is durable. */
  ingest(items: readonly unknown[]): Promise<IngestResult>;
  summaries(): Promise<Record<string, SummaryView>>;
  summary(name: string): Promise<SummaryView>;
  destinationStatus(destination: string): Promise<DestinationStatus>;
  /** The newest rollout directive for one of this level's own destinations. */
  edgeDirective(destination: string): EdgeDirective | undefined;
  /** A partial from a child level; resolves once it is durable. */
  receivePartial(message: PartialMessage, link: ChildLink): Promise<void>;
  /** A directive from the parent level; resolves once it is durable. */
  receiveDirective(message: DirectiveMessage): Promise<void>;
  /** Whether the node finished starting and serves. */
  ready(): boolean;
  readonly rollouts: RolloutApi;
}

/** How a parent reaches a child back: the URL the child advertises and the link token it presented. */
export interface ChildLink {
  readonly url: string | undefined;
  readonly token: string;
}

/** The rollout routes, served where rollouts are driven from: the center. */
export interface RolloutApi {
  start(spec: RolloutSpecInput): Promise<unknown>;
  list(): unknown[];
  status(id: string): unknown;
  command(id: string, command: Exclude<RolloutCommand, 'run'> | 'resume'): unknown;
}

/** Everything the server is built from. */
export interface ServerDeps {
  readonly node: ServedNode;
  readonly auth: TokenAuthority;
  readonly registry: Registry;
  readonly limits: { readonly bodyBytes: number; readonly batchItems: number; readonly requestTimeoutMs: number };
  /** The token this node's parent presents when it calls down (the link token of `parent` in the config). */
  readonly parentToken?: string | undefined;
}

const statusByCode: Partial<Record<ErrorCode, number>> = {
  EDGESUM_INVALID_REPORT: 400,
  EDGESUM_INVALID_INPUT: 400,
  EDGESUM_INVALID_CONFIG: 400,
  EDGESUM_INVALID_OPTIONS: 400,
  EDGESUM_INVALID_ROLLOUT: 400,
  EDGESUM_INVALID_POLICY_INPUT: 400,
  EDGESUM_UNKNOWN_DESTINATION: 404,
  EDGESUM_UNKNOWN_BINDING: 404,
  EDGESUM_UNKNOWN_LEVEL: 404,
  EDGESUM_UNKNOWN_ROLLOUT: 404,
  EDGESUM_UNKNOWN_PLUGIN: 400,
  EDGESUM_PLUGIN_LOAD: 400,
  EDGESUM_UNREACHABLE: 503,
};

/** A refusal of the HTTP layer: a catalog error with the status it is answered with. */
class HttpRefusal extends EdgesumError {
  constructor(
    readonly status: number,
    code: ErrorCode,
    message: string,
  ) {
    super(code, message);
  }
}

const ReportsBodySchema = z.array(z.unknown());
const CommandSchema = z.enum(['pause', 'resume', 'abort', 'rollback']);

/**
 * Builds the HTTP API of one served level node. Every body is validated with the same zod schemas
 * the node uses; errors are catalog errors (`{ error: { code, message, hint } }`), never stack
 * traces; a batch of reports gets a result per item. Slow clients are cut off by the body size
 * limit and the request timeout.
 */
export function buildServer(deps: ServerDeps): FastifyInstance {
  const { node, auth, limits } = deps;
  const app = Fastify({
    logger: false,
    bodyLimit: limits.bodyBytes,
    requestTimeout: limits.requestTimeoutMs,
    connectionTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: 5_000,
    // Keys are data: JSON.parse keeps `__proto__` as an own property and the node never merges
    // bodies into objects, so a report with such a key is stored as sent rather than refused.
    onProtoPoisoning: 'ignore',
    onConstructorPoisoning: 'ignore',
    return503OnClosing: true,
  });
  const parentPrincipal = deps.parentToken === undefined ? undefined : auth.withLinkToken(deps.parentToken);

  const who = (request: FastifyRequest): Principal => {
    const header = request.headers.authorization;
    const principal = auth.authenticate(header) ?? parentPrincipal?.(header);
    if (principal === undefined) throw new HttpRefusal(401, ErrorCodes.Unauthenticated, 'a valid bearer token is required');
    return principal;
  };
  const need = (request: FastifyRequest, ...roles: Role[]): Principal => {
    const principal = who(request);
    if (!roles.some((role) => principal.roles.has(role))) throw new HttpRefusal(403, ErrorCodes.Forbidden, `this token (${principal.name}) lacks the role: needs one of ${roles.join(', ')}`);
    return principal;
  };

  app.setErrorHandler((error, _request, reply) => sendError(reply, error));
  app.setNotFoundHandler((request, reply) => sendError(reply, new HttpRefusal(404, ErrorCodes.NoRoute, `no route ${request.method} ${request.url.split('?')[0]}`)));

  app.get('/healthz', async () => ({ ok: true }));
  app.get('/readyz', async (_request, reply) => (node.ready() ? { ready: true } : reply.code(503).send({ ready: false })));
  app.get('/openapi.json', async () => openApiDocument());
  app.get('/metrics', async (request, reply) => {
    need(request, 'reader', 'admin');
    reply.header('content-type', deps.registry.contentType);
    return deps.registry.metrics();
  });

  app.post('/v1/reports', async (request, reply) => {
    const principal = need(request, 'edge', 'admin');
    const body = ReportsBodySchema.safeParse(request.body);
    if (!body.success) throw new HttpRefusal(400, ErrorCodes.InvalidInput, 'the body must be a JSON array of status reports');
    if (body.data.length > limits.batchItems) throw new HttpRefusal(413, ErrorCodes.BodyTooLarge, `a batch holds at most ${limits.batchItems} reports; this one has ${body.data.length}`);
    if (!principal.roles.has('admin')) {
      const foreign = body.data.findIndex((item) => (item as { destination?: unknown } | null)?.destination !== principal.destination);
      if (foreign >= 0) throw new HttpRefusal(403, ErrorCodes.Forbidden, `item ${foreign}: this token reports only for destination "${principal.destination}"`);
    }
    const result = await node.ingest(body.data);
    return reply.code(result.rejected.length === 0 ? 200 : 207).send(result);
  });

  app.get('/v1/summaries', async (request) => {
    need(request, 'reader', 'admin');
    return node.summaries();
  });
  app.get<{ Params: { name: string } }>('/v1/summaries/:name', async (request) => {
    need(request, 'reader', 'admin');
    return node.summary(request.params.name);
  });
  app.get<{ Params: { id: string } }>('/v1/destinations/:id/status', async (request) => {
    need(request, 'reader', 'admin', 'parent');
    return node.destinationStatus(parseId(request.params.id, 'destination'));
  });
  app.get<{ Params: { id: string } }>('/v1/destinations/:id/directive', async (request, reply) => {
    const principal = need(request, 'edge', 'admin');
    const destination = parseId(request.params.id, 'destination');
    if (!principal.roles.has('admin') && principal.destination !== destination) throw new HttpRefusal(403, ErrorCodes.Forbidden, `this token reads only the directive of destination "${principal.destination}"`);
    const directive = node.edgeDirective(destination);
    return directive === undefined ? reply.code(204).send() : directive;
  });

  app.post('/v1/partials', async (request, reply) => {
    const principal = need(request, 'level');
    const message = PartialMessageSchema.safeParse(request.body);
    if (!message.success) throw invalidBody('partial', message.error);
    if (message.data.from !== principal.level) throw new HttpRefusal(403, ErrorCodes.Forbidden, `this token speaks for level "${principal.level}", not "${message.data.from}"`);
    const advertised = request.headers['x-edgesum-advertise'];
    await node.receivePartial(message.data, { url: typeof advertised === 'string' ? advertised : undefined, token: bearer(request.headers.authorization) });
    return reply.code(204).send();
  });
  app.post('/v1/directives', async (request, reply) => {
    need(request, 'parent');
    const message = DirectiveMessageSchema.safeParse(request.body);
    if (!message.success) throw invalidBody('directive', message.error);
    await node.receiveDirective(message.data);
    return reply.code(204).send();
  });

  app.get('/v1/rollouts', async (request) => {
    need(request, 'reader', 'admin');
    return node.rollouts.list();
  });
  app.post('/v1/rollouts', async (request, reply) => {
    need(request, 'admin');
    return reply.code(201).send(await node.rollouts.start(request.body as RolloutSpecInput));
  });
  app.get<{ Params: { id: string } }>('/v1/rollouts/:id', async (request) => {
    need(request, 'reader', 'admin');
    return node.rollouts.status(parseId(request.params.id, 'rollout'));
  });
  app.post<{ Params: { id: string; command: string } }>('/v1/rollouts/:id/:command', async (request) => {
    need(request, 'admin');
    const command = CommandSchema.safeParse(request.params.command);
    if (!command.success) throw new HttpRefusal(404, ErrorCodes.NoRoute, `no rollout command "${request.params.command}": use pause, resume, abort or rollback`);
    return node.rollouts.command(parseId(request.params.id, 'rollout'), command.data);
  });
  return app;
}

function bearer(header: string | undefined): string {
  return /^Bearer (.+)$/.exec(header ?? '')?.[1] ?? '';
}

function parseId(value: string, what: string): string {
  const parsed = IdSchema.safeParse(value);
  if (!parsed.success) throw new HttpRefusal(400, ErrorCodes.InvalidInput, `not a valid ${what} id`);
  return parsed.data;
}

function invalidBody(what: string, error: z.ZodError): HttpRefusal {
  const issue = error.issues[0];
  const at = issue === undefined || issue.path.length === 0 ? '' : ` at ${issue.path.map(String).join('.')}`;
  return new HttpRefusal(400, ErrorCodes.InvalidInput, `invalid ${what}${at}: ${issue?.message ?? 'invalid value'}`);
}

function sendError(reply: FastifyReply, error: unknown): FastifyReply {
  if (error instanceof HttpRefusal) return reply.code(error.status).send({ error: error.toJSON() });
  if (error instanceof EdgesumError) return reply.code(statusByCode[error.code] ?? 500).send({ error: error.toJSON() });
  // fastify's own refusals (unparsable JSON, body too large, wrong content type) carry a 4xx status.
  const status = (error as { statusCode?: unknown }).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const refusal = new HttpRefusal(status, status === 413 ? ErrorCodes.BodyTooLarge : ErrorCodes.InvalidInput, (error as Error).message);
    return reply.code(status).send({ error: refusal.toJSON() });
  }
  return reply.code(500).send({ error: new EdgesumError(ErrorCodes.Internal, 'internal error; see the node log').toJSON() });
}

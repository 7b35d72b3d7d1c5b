import { z } from 'zod';
import { ObjectRefSchema, StatusReportSchema } from '../core/model/index.js';
import { DecisionSchema, RolloutSpecSchema } from '../core/rollout/index.js';
import { DestinationStatusSchema, DirectiveMessageSchema, PartialMessageSchema } from '../core/transport/index.js';

/** A JSON Schema of a zod schema as the API receives it, with anything zod cannot express left open. */
function schema(of: z.ZodType, io: 'input' | 'output' = 'input'): unknown {
  return z.toJSONSchema(of, { io, unrepresentable: 'any', target: 'openapi-3.0' });
}

const ErrorBody = {
  type: 'object',
  required: ['error'],
  properties: { error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' }, hint: { type: 'string' }, issues: { type: 'array' } } } },
};

const json = (body: unknown) => ({ content: { 'application/json': { schema: body } } });
const errors = { '400': { description: 'Invalid input', ...json(ErrorBody) }, '401': { description: 'No valid token', ...json(ErrorBody) }, '403': { description: 'The token lacks the right', ...json(ErrorBody) } };

/**
 * The OpenAPI document of a served node, generated from the same zod schemas that validate the
 * requests, so the document cannot drift from what the server accepts.
 */
export function openApiDocument(): unknown {
  return {
    openapi: '3.0.3',
    info: { title: 'edgesum level node', version: '1' },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        StatusReport: schema(StatusReportSchema),
        ObjectRef: schema(ObjectRefSchema),
        RolloutSpec: schema(RolloutSpecSchema),
        Decision: schema(DecisionSchema, 'output'),
        PartialMessage: schema(PartialMessageSchema),
        DirectiveMessage: schema(DirectiveMessageSchema),
        DestinationStatus: schema(DestinationStatusSchema, 'output'),
        Error: ErrorBody,
      },
    },
    security: [{ bearer: [] }],
    paths: {
      '/v1/reports': {
        post: {
          summary: 'Post a batch of status reports (an edge token posts only its own destination).',
          requestBody: json({ type: 'array', items: { $ref: '#/components/schemas/StatusReport' } }),
          responses: { '200': { description: 'Every report accepted, duplicate or out of order' }, '207': { description: 'Some reports rejected, with the index, code and field path of each' }, '413': { description: 'Too many reports or too large a body' }, ...errors },
        },
      },
      '/v1/summaries': { get: { summary: 'Every summary at this level, with coverage', responses: { '200': { description: 'Summaries by binding name' }, ...errors } } },
      '/v1/summaries/{name}': { get: { summary: 'One summary', parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }], responses: { '200': { description: 'The summary' }, '404': { description: 'No such binding' } } } },
      '/v1/destinations/{id}/status': {
        get: { summary: "One destination's latest reports, routed down to the level that owns it", parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }], responses: { '200': { description: 'Its reports', ...json({ $ref: '#/components/schemas/DestinationStatus' }) }, '404': { description: 'Not at or below this level' }, '503': { description: 'The owning level is unreachable' } } },
      },
      '/v1/destinations/{id}/directive': { get: { summary: 'The rollout directive for one destination (edge token)', parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }], responses: { '200': { description: 'The version to apply' }, '204': { description: 'No directive' } } } },
      '/v1/partials': { post: { summary: "A child level's partial accumulators (level token)", requestBody: json({ $ref: '#/components/schemas/PartialMessage' }), responses: { '204': { description: 'Stored' }, ...errors } } },
      '/v1/directives': { post: { summary: 'A rollout directive from the parent level (link token)', requestBody: json({ $ref: '#/components/schemas/DirectiveMessage' }), responses: { '204': { description: 'Stored' }, ...errors } } },
      '/v1/rollouts': {
        get: { summary: 'Rollouts known at this level', responses: { '200': { description: 'Rollouts' } } },
        post: { summary: 'Start a rollout (admin, at the center)', requestBody: json({ $ref: '#/components/schemas/RolloutSpec' }), responses: { '201': { description: 'Started' }, ...errors } },
      },
      '/v1/rollouts/{id}': { get: { summary: "A rollout's progress", parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }], responses: { '200': { description: 'Progress' }, '404': { description: 'No such rollout' } } } },
      '/v1/rollouts/{id}/{command}': {
        post: {
          summary: 'Pause, resume, abort or roll back a rollout (admin)',
          parameters: [
            { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
            { name: 'command', in: 'path', required: true, schema: { type: 'string', enum: ['pause', 'resume', 'abort', 'rollback'] } },
          ],
          responses: { '200': { description: 'The command is in force' }, ...errors },
        },
      },
      '/metrics': { get: { summary: 'Prometheus metrics (reader)', responses: { '200': { description: 'Text exposition format' } } } },
      '/healthz': { get: { summary: 'Liveness', security: [], responses: { '200': { description: 'Alive' } } } },
      '/readyz': { get: { summary: 'Readiness', security: [], responses: { '200': { description: 'Serving' }, '503': { description: 'Starting' } } } },
      '/openapi.json': { get: { summary: 'This document', security: [], responses: { '200': { description: 'OpenAPI 3.0' } } } },
    },
  };
}

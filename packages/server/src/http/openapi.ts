/**
 * The OpenAPI document: every route declares its answers with the wire schemas of
 * @regatta/core/api-schema, errors as the shared Problem schema (application/problem+json).
 * Response schemas document and type the answers; they do not rewrite them (see passthroughSerializer).
 */
import type { FastifySerializerCompiler } from 'fastify';
import type { SwaggerTransform, SwaggerTransformObject } from '@fastify/swagger';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { problemSchema } from '@regatta/core/api-schema';

const PROBLEM_REF = '#/components/schemas/Problem';

const PROBLEM_TEXT: Record<number, string> = {
  400: 'Invalid request: the problem names each field at fault',
  401: 'No valid token or session',
  403: 'The token may not do this',
  404: 'Not found',
  405: 'Method not allowed',
  409: 'Conflict with the current state',
  413: 'Payload too large',
  422: 'Unschedulable',
  500: 'Internal server error',
  502: 'Backend error',
  503: 'Not healthy',
};

export type ProblemStatus = 400 | 401 | 403 | 404 | 409 | 413 | 422 | 500 | 502;

/** The problem answers of a route that needs a token: 401, 403, 500 and the ones named. */
export function problems<S extends ProblemStatus>(...statuses: S[]): Record<S | 401 | 403 | 500, typeof problemSchema> {
  return publicProblems<S | 401 | 403>(401, 403, ...statuses);
}

/** The problem answers of a route that needs no token: 500 and the ones named. */
export function publicProblems<S extends ProblemStatus>(...statuses: S[]): Record<S | 500, typeof problemSchema> {
  const out: Partial<Record<ProblemStatus, typeof problemSchema>> = { 500: problemSchema };
  for (const s of statuses) out[s] = problemSchema;
  return out as Record<S | 500, typeof problemSchema>;
}

/**
 * Fastify would otherwise compile a serializer from each response schema, which drops fields the
 * schema does not name. Answers are written as the handler built them; the contract test
 * (test/e2e/api-contract.test.ts) checks them against the document instead.
 */
export const passthroughSerializer: FastifySerializerCompiler<unknown> = () => (data) => JSON.stringify(data);

type JsonSchema = Record<string, unknown>;
const isObject = (v: unknown): v is JsonSchema => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Places each answer under its media type: problems, text bodies, and JSON that may come as text. */
function mediaTypes(status: string, schema: JsonSchema): JsonSchema {
  if (schema.$ref === PROBLEM_REF) {
    return { description: PROBLEM_TEXT[Number(status)] ?? 'Problem', content: { 'application/problem+json': { schema } } };
  }
  const alternatives = Array.isArray(schema.anyOf) ? schema.anyOf.filter(isObject) : [schema];
  const text = alternatives.filter((s) => typeof s['x-content-type'] === 'string');
  if (!text.length) return schema;
  const json = alternatives.filter((s) => !text.includes(s));
  const content: JsonSchema = {};
  if (json.length) content['application/json'] = { schema: json.length === 1 ? json[0] : { anyOf: json } };
  for (const t of text) content[String(t['x-content-type'])] = { schema: { type: 'string', ...(t.description ? { description: t.description } : {}) } };
  const description = typeof schema.description === 'string' ? schema.description : text[0]?.description;
  return { description: typeof description === 'string' ? description : 'Default Response', content };
}

export const openApiTransform: SwaggerTransform = (input) => {
  const out = jsonSchemaTransform(input);
  const response = isObject(out.schema) ? out.schema.response : undefined;
  if (isObject(response)) {
    for (const [status, schema] of Object.entries(response)) if (isObject(schema)) response[status] = mediaTypes(status, schema);
  }
  return out;
};

const PROXY_PATH = '/runs/{id}/proxy/{port}/{*}';

/**
 * The service proxy is served before Fastify's router (../proxy-routes.ts), so it has no route to
 * declare: its answers are described here. Any 2xx-5xx the app sends comes back as the app sent it.
 */
function proxyOperations(): JsonSchema {
  const problem = (code: number) => ({ description: PROBLEM_TEXT[code] ?? 'Problem', content: { 'application/problem+json': { schema: { $ref: PROBLEM_REF } } } });
  const op = (method: string) => ({
    summary: `${method} to a port the run declared, through the authenticated proxy (also WebSocket upgrades)`,
    tags: ['runs'],
    parameters: [
      { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
      { name: 'port', in: 'path', required: true, schema: { type: 'integer', minimum: 1, maximum: 65535 } },
      { name: '*', in: 'path', required: true, schema: { type: 'string' }, description: "The app's path" },
    ],
    responses: {
      302: { description: "To the path with its trailing slash, or (proxy.domain) a hand-over to the app's own origin" },
      401: problem(401), 403: problem(403), 404: problem(404), 409: problem(409), 413: problem(413), 500: problem(500),
      502: problem(502),
      default: { description: "The app's own answer, streamed as it sent it", content: { '*/*': { schema: {} } } },
    },
  });
  return { get: op('GET'), post: op('POST'), put: op('PUT'), patch: op('PATCH'), delete: op('DELETE') };
}

/**
 * The shared schemas (components): without the `$id`/`$schema` zod writes into each (a `$id` with a
 * fragment is not valid JSON Schema), and without the request-side twins (`XInput`) no route uses.
 */
export const openApiTransformObject: SwaggerTransformObject = (input) => {
  const doc = jsonSchemaTransformObject(input);
  if (isObject(doc.paths)) {
    doc.paths[PROXY_PATH] = proxyOperations();
    doc.paths[PROXY_PATH.replace('/{*}', '')] = { get: { summary: 'The proxy path without its trailing slash', tags: ['runs'], responses: { 302: { description: 'To the path with its trailing slash' } } } };
  }
  const schemas = 'components' in doc && isObject(doc.components) ? doc.components.schemas : undefined;
  if (!isObject(schemas)) return doc;
  const used = JSON.stringify(doc.paths ?? {});
  for (const [name, schema] of Object.entries(schemas)) {
    if (name.endsWith('Input') && !used.includes(`"#/components/schemas/${name}"`)) {
      delete schemas[name];
    } else if (isObject(schema)) {
      delete schema.$id;
      delete schema.$schema;
    }
  }
  return doc;
};

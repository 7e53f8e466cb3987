/** The single mapping from errors to application/problem+json responses. */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { RegattaError, type ErrorCode, type FieldIssue, type Logger } from '@regatta/core';

const STATUS: Record<ErrorCode, number> = {
  invalid_spec: 400,
  invalid_request: 400,
  not_found: 404,
  conflict: 409,
  unauthorized: 401,
  forbidden: 403,
  unschedulable: 422,
  payload_too_large: 413,
  backend_error: 502,
  internal: 500,
};

const TITLES: Record<ErrorCode, string> = {
  invalid_spec: 'Invalid job spec',
  invalid_request: 'Invalid request',
  not_found: 'Not found',
  conflict: 'Conflict',
  unauthorized: 'Unauthorized',
  forbidden: 'Forbidden',
  unschedulable: 'Unschedulable',
  payload_too_large: 'Payload too large',
  backend_error: 'Backend error',
  internal: 'Internal server error',
};

const CLIENT_CODES: Partial<Record<number, ErrorCode>> = {
  401: 'unauthorized', 403: 'forbidden', 404: 'not_found', 409: 'conflict', 413: 'payload_too_large',
};

function fromFastify(e: FastifyError): RegattaError | undefined {
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new RegattaError('payload_too_large', `request body is larger than the server's limit (${e.message})`);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new RegattaError('invalid_request', `unsupported content type: send application/json or application/yaml`);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new RegattaError('invalid_request', 'request body is empty', { issues: [{ path: '', message: 'expected a JSON body' }] });
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new RegattaError('invalid_request', `request body is not valid JSON: ${e.message}`, { issues: [{ path: '', message: e.message }] });
    default:
      if (e instanceof SyntaxError) return new RegattaError('invalid_request', e.message);
      // Plugins' own client errors (a static file path refused, a multipart limit reached) stay
      // client errors: any 4xx they set keeps its meaning instead of turning into a 500.
      if (e.code !== undefined && e.statusCode !== undefined && e.statusCode >= 400 && e.statusCode < 500) {
        return new RegattaError(CLIENT_CODES[e.statusCode] ?? 'invalid_request', e.message);
      }
      return undefined;
  }
}

/** The status and problem+json body of an error (also for answers written outside Fastify: the proxy). */
export function problemOf(err: RegattaError, instance: string) {
  const status = STATUS[err.code];
  const body: { type: string; title: string; status: number; detail: string; instance: string; code: ErrorCode; errors?: FieldIssue[] } = {
    type: `https://regatta.dev/problems/${err.code}`,
    title: TITLES[err.code],
    status,
    detail: err.message,
    instance,
    code: err.code,
  };
  if (err.issues.length) body.errors = [...err.issues];
  return { status, body };
}

export function sendProblem(reply: FastifyReply, request: FastifyRequest, err: RegattaError): FastifyReply {
  const { status, body } = problemOf(err, request.url);
  return reply.code(status).type('application/problem+json').send(body);
}

export function createErrorHandler(logger: Logger) {
  return (error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof RegattaError) return sendProblem(reply, request, error);
    const mapped = fromFastify(error as FastifyError);
    if (mapped) return sendProblem(reply, request, mapped);
    logger.error({ err: error, url: request.url }, 'unhandled error');
    return sendProblem(reply, request, new RegattaError('internal', 'the server failed to handle this request'));
  };
}

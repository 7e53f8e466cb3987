/** Request validation with the same zod schemas and error shape as the job spec. */
import type { FastifySchemaCompiler } from 'fastify';
import { z } from 'zod';
import { NUL_MESSAGE, RegattaError, checkJobSpec, findNulChar, jobSpecSchema, zodIssues } from '@regatta/core';

/** A 1-based number in a query (attempt, version): bounded by the 32-bit columns it is looked up in, which PostgreSQL enforces. */
export const positiveInt32 = z.coerce.number().int().min(1).max(2_147_483_647);

const PART_NAMES: Record<string, string> = { body: 'body', querystring: 'query', params: 'path', headers: 'header' };

export const validatorCompiler: FastifySchemaCompiler<z.ZodType> = ({ schema, httpPart }) => (data) => {
  const part = PART_NAMES[httpPart ?? 'body'] ?? 'body';
  // Bodies are checked as they are parsed (checkDocumentShape); a query or path could still carry one.
  const nul = part === 'body' ? undefined : findNulChar(data);
  if (nul !== undefined) {
    const path = nul ? `${part}.${nul}` : part;
    return { error: new RegattaError('invalid_request', `invalid ${part} parameters: ${path}: ${NUL_MESSAGE}`, { issues: [{ path, message: NUL_MESSAGE }] }) };
  }
  // A job spec checked here is not checked again when the engine compiles it.
  const result = schema === jobSpecSchema ? checkJobSpec(data) : schema.safeParse(data);
  if (result.success) return { value: result.data };
  // Job specs keep their own paths (the body is the spec); other parts are prefixed with their place.
  const issues = zodIssues(result.error, schema, part === 'body' ? '' : part);
  const what = part === 'body' ? 'request body' : `${part} parameters`;
  return { error: new RegattaError(part === 'body' && schema === jobSpecSchema ? 'invalid_spec' : 'invalid_request',
    `invalid ${what}: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`, { issues }) };
};

/** Pieces every answer of the HTTP API shares: times, problems, "no content". */
import { z } from 'zod';
import type { ErrorCode } from '../errors.js';

export const isoTime = z.iso.datetime().describe('ISO 8601 time (UTC)');

const ERROR_CODES = [
  'invalid_spec', 'invalid_request', 'not_found', 'conflict', 'unauthorized', 'forbidden', 'unschedulable',
  'payload_too_large', 'backend_error', 'internal',
] as const satisfies readonly ErrorCode[];
// Fails to compile when core gains an error code this list lacks.
const everyCode: readonly (typeof ERROR_CODES)[number][] = [] as ErrorCode[];
void everyCode;

export const fieldIssueSchema = z.object({
  path: z.string().describe("JSON path of the offending field, e.g. resources.memory; '' for the whole body"),
  message: z.string(),
});

/** RFC 9457 problem details: every error the API answers (application/problem+json). */
export const problemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.int(),
  detail: z.string(),
  instance: z.string().optional().describe('The path that was asked for'),
  code: z.enum(ERROR_CODES).optional().describe("Regatta's stable error code"),
  errors: z.array(fieldIssueSchema).optional().describe('Each field at fault and why'),
}).meta({ id: 'Problem' });

/** A 204 answer (no body). */
export const noContent = z.undefined().describe('No content');

/** A body that is not JSON (text, a file, a stream): the OpenAPI document lists it under `contentType`. */
export function textBody(contentType: string, description: string) {
  return z.unknown().meta({ description, 'x-content-type': contentType });
}

export const artifactSchema = z.object({ path: z.string(), size: z.int().describe('Bytes') });

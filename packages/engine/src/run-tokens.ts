/**
 * Run-scoped tokens: an HMAC of the run id and attempt under the server's secret. Nothing is stored,
 * a token from an earlier attempt stops working, and verifying costs one hash.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { isId } from '@regatta/core';

const PREFIX = 'rrt';

function mac(secret: Buffer, runId: string, attempt: number): string {
  return createHmac('sha256', secret).update(`${runId}.${attempt}`).digest('base64url');
}

export function createRunToken(secret: Buffer, runId: string, attempt: number): string {
  return `${PREFIX}_${runId}_${attempt}_${mac(secret, runId, attempt)}`;
}

export function verifyRunToken(secret: Buffer, token: string): { runId: string; attempt: number } | undefined {
  const parts = token.split('_');
  if (parts.length !== 4 || parts[0] !== PREFIX) return undefined;
  const [, runId = '', attemptText = '', given = ''] = parts;
  const attempt = Number(attemptText);
  if (!isId(runId) || !Number.isInteger(attempt) || attempt < 1) return undefined;
  const expected = Buffer.from(mac(secret, runId, attempt));
  const actual = Buffer.from(given);
  return actual.length === expected.length && timingSafeEqual(actual, expected) ? { runId, attempt } : undefined;
}

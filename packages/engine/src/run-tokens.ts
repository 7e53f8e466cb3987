/**
 * Run-scoped tokens: an HMAC of the run id and attempt under the server's secret. Nothing is stored,
 * a token from an earlier attempt stops working, and verifying costs one hash.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { isId } from '@regatta/core';

function mac(secret: Buffer, runId: string, attempt: number): string {
  return createHmac('sha256', secret).update(`${runId}.${attempt}`).digest('base64url');
}

export function createRunToken(secret: Buffer, runId: string, attempt: number): string {
  return `rrt_${runId}_${attempt}_${mac(secret, runId, attempt)}`;
}

export function verifyRunToken(secret: Buffer, token: string): { runId: string; attempt: number } | undefined {
  // The MAC is base64url, which may itself contain '_': split off the fixed-shape head only.
  const m = /^rrt_([0-9a-z]{20})_(\d{1,6})_([A-Za-z0-9_-]{43})$/.exec(token);
  if (!m) return undefined;
  const [, runId = '', attemptText = '', given = ''] = m;
  const attempt = Number(attemptText);
  if (!isId(runId) || !Number.isInteger(attempt) || attempt < 1) return undefined;
  const expected = Buffer.from(mac(secret, runId, attempt));
  const actual = Buffer.from(given);
  return actual.length === expected.length && timingSafeEqual(actual, expected) ? { runId, attempt } : undefined;
}

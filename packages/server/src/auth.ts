/** Who is calling: an admin (API token) or a job (its run-scoped token). */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { newId } from '@regatta/core';
import { verifyRunToken } from '@regatta/engine';
import type { Store } from '@regatta/store';

export type Principal = { kind: 'admin'; tokenId: string } | { kind: 'run'; runId: string; attempt: number };

export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

/**
 * The token a request carries: `Authorization: Bearer <token>`, or HTTP Basic with the token as the
 * password (or as the user name when there is no password), which is what clients that take only a
 * base URL send for `http://user:<token>@host/...`.
 */
export function tokenOf(header: string | undefined): string | undefined {
  if (!header) return undefined;
  if (header.startsWith('Bearer ')) return header.slice(7).trim() || undefined;
  if (!/^Basic /i.test(header)) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const user = colon < 0 ? decoded : decoded.slice(0, colon);
  const password = colon < 0 ? '' : decoded.slice(colon + 1);
  return decodeURIComponent(password || user) || undefined;
}

export interface Authenticator {
  authenticate(bearer: string | undefined): Promise<Principal | undefined>;
}

export function createAuthenticator(store: Store, secret: Buffer, envToken: string | undefined): Authenticator {
  const envHash = envToken ? Buffer.from(hashToken(envToken)) : undefined;
  const known = new Map<string, string>(); // token hash → token id, so a request costs no query
  return {
    async authenticate(bearer) {
      if (!bearer) return undefined;
      if (bearer.startsWith('rrt_')) {
        const r = verifyRunToken(secret, bearer);
        return r && { kind: 'run', ...r };
      }
      const hash = hashToken(bearer);
      if (envHash && timingSafeEqual(Buffer.from(hash), envHash)) return { kind: 'admin', tokenId: 'env' };
      const cached = known.get(hash);
      if (cached) return { kind: 'admin', tokenId: cached };
      const t = await store.findToken(hash);
      if (!t) return undefined;
      known.set(hash, t.id);
      return { kind: 'admin', tokenId: t.id };
    },
  };
}

/** Creates the first admin token when none exists; returns it in clear text once. */
export async function ensureAdminToken(store: Store, now: number): Promise<string | undefined> {
  if ((await store.countTokens()) > 0) return undefined;
  const token = `rgt_${randomBytes(24).toString('base64url')}`;
  await store.createToken({ id: newId(now), name: 'admin', role: 'admin', createdAt: now }, hashToken(token));
  return token;
}

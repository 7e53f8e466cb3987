/** Who is calling: an admin (API token or a browser session made from one) or a job (its run-scoped token). */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { parse as parseCookies, serialize as serializeCookie } from 'cookie';
import { newId } from '@regatta/core';
import { verifyRunToken } from '@regatta/engine';
import type { Store } from '@regatta/store';

export type Principal = { kind: 'admin'; tokenId: string } | { kind: 'run'; runId: string; attempt: number }
  // No credentials, let in by network to one compatibility facade's routes (compat.<facade>.allowAnonymousFrom).
  | { kind: 'anonymous'; facade: string };

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
  try {
    return decodeURIComponent(password || user) || undefined;
  } catch {
    return undefined; // malformed percent-encoding: no token, so a 401
  }
}
/** The browser session cookie (HttpOnly, SameSite=Strict), made by POST /api/v1/session. */
export const SESSION_COOKIE = 'regatta_session';
/** Cookie-authenticated requests that change state must carry this header (a cross-site form cannot). */
export const CSRF_HEADER = 'x-regatta-csrf';
const SESSION_TTL_MS = 7 * 24 * 3600_000;

export interface Authenticator {
  authenticate(bearer: string | undefined): Promise<Principal | undefined>;
  /** A signed session value for an admin token (what the session cookie holds); undefined for other tokens. */
  createSession(token: string, now: number): Promise<{ value: string; expires: Date } | undefined>;
  /** The admin behind a session value, if its signature holds and it has not expired. */
  verifySession(value: string | undefined, now: number): Principal | undefined;
}

export function createAuthenticator(store: Store, secret: Buffer, envToken: string | undefined): Authenticator {
  const envHash = envToken ? Buffer.from(hashToken(envToken)) : undefined;
  const known = new Map<string, string>(); // token hash → token id, so a request costs no query
  // A key of its own, so a session value can never pass for a run token or the other way round.
  const sessionKey = createHmac('sha256', secret).update('regatta session v1').digest();
  const sign = (body: string) => createHmac('sha256', sessionKey).update(body).digest('base64url');
  const authenticate: Authenticator['authenticate'] = async (bearer) => {
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
  };
  return {
    authenticate,
    async createSession(token, now) {
      const p = await authenticate(token);
      if (p?.kind !== 'admin') return undefined;
      const expires = now + SESSION_TTL_MS;
      const body = `s1.${p.tokenId}.${expires}`;
      return { value: `${body}.${sign(body)}`, expires: new Date(expires) };
    },
    verifySession(value, now) {
      const m = value ? /^(s1\.([A-Za-z0-9_-]+)\.(\d+))\.([A-Za-z0-9_-]+)$/.exec(value) : null;
      if (!m) return undefined;
      const [, body = '', tokenId = '', expires = '', mac = ''] = m;
      const want = Buffer.from(sign(body));
      const got = Buffer.from(mac);
      if (got.length !== want.length || !timingSafeEqual(got, want)) return undefined;
      if (Number(expires) <= now) return undefined;
      return { kind: 'admin', tokenId };
    },
  };
}

/**
 * The principal of a request's session cookie, from its raw Cookie header. The one place that reads
 * the cookie: the API and the service proxy both use it. It does no CSRF check: callers that accept
 * state-changing requests on a cookie add their own (the API requires CSRF_HEADER).
 */
export function principalFromCookie(auth: Authenticator, cookieHeader: string | undefined, now: number): Principal | undefined {
  if (!cookieHeader) return undefined;
  return auth.verifySession(parseCookies(cookieHeader)[SESSION_COOKIE], now);
}

/** The Set-Cookie value for a session (or, with no session, one that clears it). */
export function sessionCookie(session: { value: string; expires: Date } | undefined, secure: boolean): string {
  return serializeCookie(SESSION_COOKIE, session?.value ?? '', {
    httpOnly: true, sameSite: 'strict', path: '/', secure, ...(session ? { expires: session.expires } : { maxAge: 0 }),
  });
}

/** Creates the first admin token when none exists; returns it in clear text once. */
export async function ensureAdminToken(store: Store, now: number): Promise<string | undefined> {
  if ((await store.countTokens()) > 0) return undefined;
  const token = `rgt_${randomBytes(24).toString('base64url')}`;
  await store.createToken({ id: newId(now), name: 'admin', role: 'admin', createdAt: now }, hashToken(token));
  return token;
}

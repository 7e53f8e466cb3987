/** Who is calling: an admin (API token or a browser session made from one) or a job (its run-scoped token). */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { parse as parseCookies, serialize as serializeCookie } from 'cookie';
import { isTerminal, newId } from '@regatta/core';
import { verifyRunToken } from '@regatta/engine';
import type { SessionRecord, Store } from '@regatta/store';

export type Principal = { kind: 'admin'; tokenId: string; sessionId?: string } | { kind: 'run'; runId: string; attempt: number }
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
/** How long a run token still works after its attempt ended: late posts of a result or metrics. */
export const RUN_TOKEN_GRACE_MS = 60_000;

export interface Session {
  id: string;
  /** The cookie's value: a random secret, stored server-side as its hash only. */
  value: string;
  expires: Date;
}

export interface Authenticator {
  authenticate(bearer: string | undefined): Promise<Principal | undefined>;
  /** A new stored session for an admin token (what the session cookie holds); undefined for other tokens. */
  createSession(token: string, now: number): Promise<Session | undefined>;
  /** The admin behind a session value, if it is stored (not signed out, not revoked) and not expired. */
  verifySession(value: string | undefined, now: number): Promise<Principal | undefined>;
  /** Ends a session (sign-out, or an admin's revocation); false when there was none with that id. */
  endSession(id: string): Promise<boolean>;
}

export function createAuthenticator(store: Store, secret: Buffer, envToken: string | undefined, now: () => number = Date.now): Authenticator {
  const envHash = envToken ? Buffer.from(hashToken(envToken)) : undefined;
  const known = new Map<string, string>(); // token hash → token id, so a request costs no query
  const sessions = new Map<string, SessionRecord>(); // cookie hash → session, dropped when it ends
  const authenticate: Authenticator['authenticate'] = async (bearer) => {
    if (!bearer) return undefined;
    if (bearer.startsWith('rrt_')) {
      const r = verifyRunToken(secret, bearer);
      if (!r) return undefined;
      // Valid while its attempt is active, plus a short grace; an ended attempt's token opens nothing.
      const a = await store.getAttempt(r.runId, r.attempt);
      if (!a) return undefined;
      const ended = a.finishedAt ?? (isTerminal(a.status) ? 0 : undefined);
      return ended === undefined || now() < ended + RUN_TOKEN_GRACE_MS ? { kind: 'run', ...r } : undefined;
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
    async createSession(token, at) {
      const p = await authenticate(token);
      if (p?.kind !== 'admin') return undefined;
      const record: SessionRecord = { id: newId(at), tokenId: p.tokenId, createdAt: at, expiresAt: at + SESSION_TTL_MS };
      const value = `s2.${randomBytes(32).toString('base64url')}`;
      await store.createSession(record, hashToken(value));
      return { id: record.id, value, expires: new Date(record.expiresAt) };
    },
    async verifySession(value, at) {
      if (!value || !/^s2\.[A-Za-z0-9_-]{43}$/.test(value)) return undefined;
      const hash = hashToken(value);
      let s = sessions.get(hash);
      if (!s) {
        s = await store.findSession(hash);
        if (s) sessions.set(hash, s);
      }
      if (!s || s.expiresAt <= at) return undefined;
      return { kind: 'admin', tokenId: s.tokenId, sessionId: s.id };
    },
    async endSession(id) {
      for (const [hash, s] of sessions) if (s.id === id) sessions.delete(hash);
      return store.deleteSession(id);
    },
  };
}

/**
 * The principal of a request's session cookie, from its raw Cookie header. The one place that reads
 * the cookie: the API and the service proxy both use it. It does no CSRF check: callers that accept
 * state-changing requests on a cookie add their own (the API requires CSRF_HEADER).
 */
export function principalFromCookie(auth: Authenticator, cookieHeader: string | undefined, now: number): Promise<Principal | undefined> {
  if (!cookieHeader) return Promise.resolve(undefined);
  return auth.verifySession(parseCookies(cookieHeader)[SESSION_COOKIE], now);
}

/** The Set-Cookie value for a session (or, with no session, one that clears it). */
export function sessionCookie(session: Pick<Session, 'value' | 'expires'> | undefined, secure: boolean): string {
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

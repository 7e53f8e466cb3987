/** Who is calling: a user (personal token or a browser session made from one) or a job (its run-scoped token). */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { parse as parseCookies, serialize as serializeCookie } from 'cookie';
import { BOOTSTRAP_USER, ConflictError, isTerminal, newId, type Role } from '@regatta/core';
import { verifyRunToken } from '@regatta/engine';
import type { SessionRecord, Store } from '@regatta/store';

/** A person: who they are, their role, and the token (or session made from it) they came with. */
export interface UserPrincipal { kind: 'user'; user: string; role: Role; tokenId: string; sessionId?: string }

export type Principal = UserPrincipal | { kind: 'run'; runId: string; attempt: number }
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
  /** Why a token that `authenticate` refused is refused, for the 401's message (never the token itself). */
  refusal(bearer: string): Promise<string>;
  /** A new stored session for a personal token (what the session cookie holds); undefined for other tokens. */
  createSession(token: string, now: number): Promise<Session | undefined>;
  /** The user behind a session value, if it is stored (not signed out, not revoked) and not expired. */
  verifySession(value: string | undefined, now: number): Promise<Principal | undefined>;
  /** Ends a session (sign-out, or an admin's revocation); false when there was none with that id. */
  endSession(id: string): Promise<boolean>;
  /** Drops what is cached about tokens and users: called on every change to them, so it applies at once. */
  forget(): void;
}

/** A token's user and role as last read, or why it is refused. */
type Resolved = { ok: true; user: string; role: Role; tokenId: string; expiresAt?: number } | { ok: false; why: string };
/** A resolved token with when it was read (TOKEN_CACHE_MS). */
type Cached = Resolved & { readAt: number };

/** How long a token's user and role are trusted as read: changes made through another server sharing the database apply within it. */
const TOKEN_CACHE_MS = 30_000;

export function createAuthenticator(store: Store, secret: Buffer, envToken: string | undefined, now: () => number = Date.now): Authenticator {
  const envHash = envToken ? Buffer.from(hashToken(envToken)) : undefined;
  // Token hash (and token id, for sessions) → its user and role, so a request costs no query. A change
  // made through this server calls forget() (immediate); one made through another server sharing the
  // database applies once the entry is older than TOKEN_CACHE_MS.
  const byHash = new Map<string, Cached>();
  const byId = new Map<string, Cached>();
  const sessions = new Map<string, SessionRecord>(); // cookie hash → session, dropped when it ends
  const resolveToken = async (t: { id: string; user: string; expiresAt?: number } | undefined): Promise<Resolved> => {
    if (!t) return { ok: false, why: 'the token is not valid' };
    const u = await store.getUser(t.user);
    if (!u) return { ok: false, why: 'the token is not valid' };
    if (u.disabled) return { ok: false, why: `the token's user ${u.name} is disabled` };
    return { ok: true, user: u.name, role: u.role, tokenId: t.id, ...(t.expiresAt !== undefined ? { expiresAt: t.expiresAt } : {}) };
  };
  const cached = async (map: Map<string, Cached>, key: string, load: () => Promise<Resolved>): Promise<Resolved> => {
    let r = map.get(key);
    // Re-read after a while: another server on the same database may have revoked it meanwhile.
    if (!r || r.readAt + TOKEN_CACHE_MS <= now()) {
      r = { ...(await load()), readAt: now() };
      // Only good tokens are kept: random guesses must not grow the map.
      if (r.ok) map.set(key, r);
      else map.delete(key);
    }
    if (r.ok && r.expiresAt !== undefined && r.expiresAt <= now()) return { ok: false, why: `the token expired at ${new Date(r.expiresAt).toISOString()}` };
    return r;
  };
  const asPrincipal = (r: Resolved, sessionId?: string): Principal | undefined =>
    (r.ok ? { kind: 'user', user: r.user, role: r.role, tokenId: r.tokenId, ...(sessionId ? { sessionId } : {}) } : undefined);
  const resolve = async (bearer: string): Promise<Resolved> => {
    const hash = hashToken(bearer);
    if (envHash && timingSafeEqual(Buffer.from(hash), envHash)) return { ok: true, user: BOOTSTRAP_USER, role: 'admin', tokenId: 'env' };
    // A lookup by the hash of a high-entropy token: nothing to learn from its timing.
    return cached(byHash, hash, async () => resolveToken(await store.findToken(hash)));
  };
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
    return asPrincipal(await resolve(bearer));
  };
  return {
    authenticate,
    async refusal(bearer) {
      if (bearer.startsWith('rrt_')) return "the job token is not valid (or its run's attempt has ended)";
      const r = await resolve(bearer);
      return r.ok ? 'the token is not valid' : r.why;
    },
    async createSession(token, at) {
      const p = await authenticate(token);
      if (p?.kind !== 'user') return undefined;
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
      // The session lives only as long as its token (revoked, expired, user disabled: signed out).
      const tokenId = s.tokenId;
      const r = tokenId === 'env'
        ? { ok: true as const, user: BOOTSTRAP_USER, role: 'admin' as const, tokenId }
        : await cached(byId, tokenId, async () => resolveToken(await store.getToken(tokenId)));
      return asPrincipal(r, s.id);
    },
    async endSession(id) {
      for (const [hash, s] of sessions) if (s.id === id) sessions.delete(hash);
      return store.deleteSession(id);
    },
    forget() {
      byHash.clear();
      byId.clear();
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

/** A new personal token's secret: 192 random bits, so its SHA-256 alone is safe to store. */
export const newTokenSecret = (): string => `rgt_${randomBytes(24).toString('base64url')}`;

/** The user the bootstrap token (first-start or REGATTA_TOKEN) acts as: an admin named `admin`, there from the start. */
export async function ensureBootstrapUser(store: Store, now: number): Promise<void> {
  if (await store.getUser(BOOTSTRAP_USER)) return;
  // Another server on the same database may have just made it: that is the same outcome.
  await store.createUser({ name: BOOTSTRAP_USER, role: 'admin', disabled: false, createdAt: now }).catch((e: unknown) => {
    if (!(e instanceof ConflictError)) throw e;
  });
}

/** Creates the first admin token (user `admin`) when there is no token; returns it in clear text once. */
export async function ensureAdminToken(store: Store, now: number): Promise<string | undefined> {
  if ((await store.countTokens()) > 0) return undefined;
  const token = newTokenSecret();
  await store.createToken({ id: newId(now), name: 'admin', user: BOOTSTRAP_USER, createdAt: now }, hashToken(token));
  return token;
}

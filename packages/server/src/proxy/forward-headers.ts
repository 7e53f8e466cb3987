/**
 * What the proxy tells the app and what it hands back: pure functions over header maps, so the
 * rules (hop-by-hop out, Regatta's credentials out, Host kept, forwarding headers in, redirects kept
 * on the proxy) are tested on their own.
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

/** RFC 9110 §7.6.1 connection-specific fields, plus Expect: the proxy answers 100-continue itself. */
const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer',
  'transfer-encoding', 'upgrade', 'expect',
]);
/** Regatta's own credentials and CSRF marker: never the app's business. */
const REGATTA_HEADERS = new Set(['authorization', 'x-regatta-csrf']);
const FORWARDED = new Set(['x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-forwarded-prefix', 'forwarded']);

/** Cookies named regatta* (the session, the app-origin cookie) stay with Regatta. */
export const isRegattaCookie = (nameValue: string): boolean => nameValue.trim().toLowerCase().startsWith('regatta');

export function appCookies(cookie: string | undefined): string | undefined {
  if (!cookie) return undefined;
  const kept = cookie.split(';').map((c) => c.trim()).filter((c) => c && !isRegattaCookie(c));
  return kept.length ? kept.join('; ') : undefined;
}

/** Header names the Connection header lists are hop-by-hop for this message only. */
function connectionTokens(value: string | string[] | undefined): Set<string> {
  return new Set([value ?? ''].flat().flatMap((v) => v.split(',')).map((t) => t.trim().toLowerCase()).filter(Boolean));
}

export interface ForwardContext {
  /** The client's address (appended to X-Forwarded-For). */
  clientIp: string;
  /** The scheme the browser used. */
  proto: 'http' | 'https';
  /** The path the app is served under on the proxy ('' at an origin of its own). */
  prefix: string;
  /** A WebSocket upgrade keeps Connection/Upgrade, which is the point of the request. */
  upgrade?: boolean;
}

/** The request headers the app receives. */
export function upstreamRequestHeaders(incoming: IncomingHttpHeaders, f: ForwardContext): OutgoingHttpHeaders {
  const conn = connectionTokens(incoming.connection);
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined || REGATTA_HEADERS.has(name) || FORWARDED.has(name)) continue;
    if (HOP_BY_HOP.has(name) || conn.has(name)) {
      if (!(f.upgrade && (name === 'connection' || name === 'upgrade'))) continue;
    }
    if (name === 'cookie') {
      const kept = appCookies([value].flat().join('; '));
      if (kept) out.cookie = kept;
      continue;
    }
    out[name] = value;
  }
  if (f.upgrade) {
    out.connection = 'Upgrade';
    out.upgrade = incoming.upgrade ?? 'websocket';
  }
  const prior = incoming['x-forwarded-for'];
  out['x-forwarded-for'] = [...(prior ? [[prior].flat().join(', ')] : []), f.clientIp].join(', ');
  if (incoming.host) out['x-forwarded-host'] = incoming.host;
  out['x-forwarded-proto'] = f.proto;
  if (f.prefix) out['x-forwarded-prefix'] = f.prefix;
  return out;
}

export interface ResponseContext {
  /** host:port the app listens on (what it may put in absolute redirects). */
  upstream: string;
  /** The origin the browser sees, e.g. http://127.0.0.1:8080. */
  publicOrigin: string;
  /** Prepended to path-absolute redirects of an app that does not know its base path ('' otherwise). */
  redirectPrefix: string;
}

/** Keeps a redirect on the proxy: the app's own address becomes the public origin (and prefix). */
export function rewriteLocation(location: string, r: ResponseContext): string {
  let url: URL;
  try {
    url = new URL(location, 'http://relative.invalid');
  } catch {
    return location;
  }
  const relative = url.host === 'relative.invalid';
  if (relative && !location.startsWith('/')) return location; // relative to the current path: already on the proxy
  if (relative && location.startsWith('//')) return location;
  if (!relative && url.host !== r.upstream) return location; // somewhere else entirely
  const path = `${url.pathname}${url.search}${url.hash}`;
  const prefixed = r.redirectPrefix && !path.startsWith(`${r.redirectPrefix}/`) ? `${r.redirectPrefix}${path}` : path;
  return relative ? prefixed : `${r.publicOrigin}${prefixed}`;
}

/** The response headers the browser receives. */
export function downstreamResponseHeaders(incoming: IncomingHttpHeaders, r: ResponseContext): OutgoingHttpHeaders {
  const conn = connectionTokens(incoming.connection);
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined || HOP_BY_HOP.has(name) || conn.has(name)) continue;
    if (name === 'set-cookie') {
      // An app must not set (or replace) Regatta's own cookies.
      const kept = [value].flat().filter((c) => !isRegattaCookie(c));
      if (kept.length) out[name] = kept;
      continue;
    }
    out[name] = name === 'location' && typeof value === 'string' ? rewriteLocation(value, r) : value;
  }
  return out;
}

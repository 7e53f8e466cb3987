/**
 * Which pages may drive a proxied app with the browser's credentials. A page on another port of the
 * same host is "same site" to the browser, so SameSite cookies alone do not stop it: every WebSocket
 * upgrade and every state-changing request must come from an allowed Origin.
 */
import type { IncomingHttpHeaders } from 'node:http';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The origins of the host a request was sent to (the page that made it may only be this one). */
export function ownOrigins(host: string | undefined): string[] {
  return host ? [`http://${host.toLowerCase()}`, `https://${host.toLowerCase()}`] : [];
}

/**
 * Why a request may not go on, or undefined when it may. A request with no Origin at all (curl, a
 * script with a token) passes when a token signed it: browsers send Origin on every WebSocket and
 * every POST, so only a cookie-signed request must name an allowed one.
 */
export function originRefusal(
  method: string, headers: IncomingHttpHeaders, allowed: readonly string[], opts: { upgrade: boolean; byCookie: boolean },
): string | undefined {
  if (!opts.upgrade && SAFE_METHODS.has(method.toUpperCase())) return undefined;
  const origin = headers.origin?.toLowerCase();
  if (origin === undefined) return opts.byCookie ? 'a request signed in by cookie must carry an Origin header' : undefined;
  if (allowed.includes(origin)) return undefined;
  return `Origin ${origin} may not use this app (allowed: ${allowed.join(', ') || 'none'})`;
}

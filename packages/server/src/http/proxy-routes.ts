/**
 * The authenticated proxy to ports a run declared. Without `proxy.domain` it serves
 * `/runs/<id>/proxy/<port>/...` on Regatta's own origin (trusted apps only: an app's scripts share
 * the UI's origin); with it, that path only hands the browser over to the app's own origin
 * (../proxy/app-origins.ts). HTTP is streamed by ../proxy/forward.ts, WebSockets tunnelled by
 * ../proxy/tunnel.ts; only callers the API accepts get through, from an allowed Origin, and
 * Regatta's own credentials never reach the app.
 *
 * Proxied requests are taken before Fastify's router: its body parsing (content types it deems
 * invalid, bodies on DELETE, chunked bodies without a type) must not stand between a browser and an app.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { FastifyServerFactory } from 'fastify';
import type { Duplex } from 'node:stream';
import { ConflictError, ID_PATTERN, NotFoundError, RegattaError } from '@regatta/core';
import type { Principal } from '../auth.js';
import { createAppOrigins } from '../proxy/app-origins.js';
import { forwardHttp, sendProxyProblem } from '../proxy/forward.js';
import { originRefusal, ownOrigins } from '../proxy/origin.js';
import { refuseUpgrade, tunnel } from '../proxy/tunnel.js';
import type { RouteContext } from './context.js';

const PROXY_PREFIX = /^\/runs\/[^/?]+\/proxy(\/|\?|$)/;
const PROXY_PATH = /^\/runs\/([^/]+)\/proxy\/(\d{1,5})(\/.*)?$/;


export interface ProxyOptions {
  authenticate: (headers: IncomingHttpHeaders) => Promise<Principal | undefined>;
  secret: Buffer;
  now: () => number;
  /** The UI's base URL (publicUrl, else where the server listens). */
  uiUrl: () => string;
  /** Serve each app at r-<run>-<port>.<domain> instead of under the UI's origin. */
  domain?: string;
  bodyLimit?: number;
}

/** Where a request for `port` of run `runId` goes: `host:port`, and whether the app expects its prefix stripped. */
async function proxyTarget(ctx: RouteContext, runId: string, port: number): Promise<{ endpoint: string; stripPrefix: boolean }> {
  const run = ctx.engine.live(runId) ?? (await ctx.store.getRun(runId));
  if (!run) throw new NotFoundError('run', runId);
  const declared = run.resolved.ports.find((p) => p.port === port);
  if (!declared) {
    const ports = run.resolved.ports.map((p) => p.port);
    throw new RegattaError('not_found', `run ${runId} declares no port ${port}`, {
      issues: [{ path: 'port', message: ports.length ? `declared ports: ${ports.join(', ')}` : 'the run declares no ports' }],
    });
  }
  const endpoint = ctx.engine.endpoint(runId, port);
  if (!endpoint) throw new ConflictError(`run ${runId} is ${run.status}: port ${port} is not reachable now`);
  return { endpoint, stripPrefix: declared.stripPrefix ?? false };
}

/** The path the app is asked for: the full path, or the part after the prefix for strip_prefix ports. */
function appPath(url: string, prefix: string, stripPrefix: boolean): string {
  const path = stripPrefix ? url.slice(prefix.length) || '/' : url;
  return path.startsWith('/') ? path : `/${path}`;
}

/** A page of the UI's own origin (or the configured public URL) may drive a path-mode app; no other. */
const uiOrigins = (headers: IncomingHttpHeaders, uiUrl: string) => [...ownOrigins(headers.host), new URL(uiUrl).origin];

export interface Proxy {
  /** Whether a request is the proxy's: an app origin's host, or a /runs/<id>/proxy/ path. */
  serves(req: IncomingMessage): boolean;
  handle(req: IncomingMessage, res: ServerResponse): void;
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Ends open tunnels (they would keep the HTTP server from closing). */
  closeTunnels(): void;
}

/** A run and port named by a proxy path, or why the path names none (a 404 naming the part). */
function parsePath(url: string): { runId: string; port: number; rest: string } | RegattaError {
  const m = PROXY_PATH.exec(url.split('?')[0] ?? '');
  const bad = (path: string, message: string) => new RegattaError('not_found', `no proxy path ${url.split('?')[0] ?? ''}: ${message}`, { issues: [{ path, message }] });
  if (!m) return bad('port', 'expected /runs/<id>/proxy/<port>/...');
  const [, runId = '', portText = '', rest] = m;
  if (!ID_PATTERN.test(runId)) return bad('id', 'not a run id');
  const port = Number(portText);
  if (port < 1 || port > 65535) return bad('port', 'not a port (1-65535)');
  return { runId, port, rest: rest ?? '' };
}

const FOREIGN_TOKEN = new RegattaError('forbidden', 'this token may not use this run\'s ports (another run\'s or another user\'s, or of an attempt no longer running)');

export function createProxy(ctx: RouteContext, o: ProxyOptions): Proxy {
  const proto = () => (o.uiUrl().startsWith('https:') ? 'https' : 'http');
  const runTokenLive = (p: Principal | undefined, runId: string) =>
    // An app may run code as its job (Jupyter): members reach their own runs' only, viewers none.
    (p?.kind === 'user' && (p.role === 'admin' || (p.role === 'member' && ctx.engine.live(runId)?.createdBy === p.user))) || (p?.kind === 'run' && p.runId === runId && ctx.engine.isLiveAttempt(runId, p.attempt));
  const target = async (runId: string, port: number) => {
    try {
      return await proxyTarget(ctx, runId, port);
    } catch (e) {
      return e instanceof RegattaError ? e : new RegattaError('internal', e instanceof Error ? e.message : String(e));
    }
  };
  const appOrigins = o.domain === undefined ? undefined : createAppOrigins({
    domain: o.domain, secret: o.secret, now: o.now, uiUrl: o.uiUrl, ...(o.bodyLimit !== undefined ? { bodyLimit: o.bodyLimit } : {}),
    tokenMayUse: async (req, s) => runTokenLive(await o.authenticate(req.headers), s.runId),
    endpoint: async (s) => {
      const t = await target(s.runId, s.port);
      return t instanceof RegattaError ? t : { upstream: t.endpoint };
    },
  });

  async function handlePath(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const named = parsePath(url);
    if (named instanceof RegattaError) return sendProxyProblem(res, named);
    const { runId, port, rest } = named;
    const principal = await o.authenticate(req.headers);
    if (!principal) return sendProxyProblem(res, new RegattaError('unauthorized', 'send a token: Authorization: Bearer <token>, or sign in'));
    // A run's token reaches its own app only, and only while that attempt runs (old tokens never expire).
    if (!runTokenLive(principal, runId)) return sendProxyProblem(res, FOREIGN_TOKEN);
    const prefix = `/runs/${runId}/proxy/${port}`;
    if (!rest.startsWith('/')) {
      res.writeHead(302, { location: `${prefix}/${url.slice(prefix.length)}` });
      return void res.end();
    }
    const t = await target(runId, port);
    if (t instanceof RegattaError) return sendProxyProblem(res, t);
    if (appOrigins) {
      // The app lives at its own origin: a page visit is handed over there, nothing else is served here.
      const s = { runId, port };
      if (req.method !== 'GET') return sendProxyProblem(res, new RegattaError('not_found', `this app is served at ${appOrigins.origin(s)}/, not under ${prefix}/`));
      // Only a page visit mints a ticket: a script of a same-site page (another app) fetching this cannot.
      const mode = req.headers['sec-fetch-mode'];
      if (mode !== undefined && mode !== 'navigate') return sendProxyProblem(res, new RegattaError('forbidden', 'the hand-over to an app origin is for page visits only'));
      res.writeHead(302, { location: appOrigins.handoverUrl(s, url.slice(prefix.length) || '/'), 'cache-control': 'no-store' });
      return void res.end();
    }
    const refusal = originRefusal(req.method ?? 'GET', req.headers, uiOrigins(req.headers, o.uiUrl()), { upgrade: false, byCookie: !req.headers.authorization });
    if (refusal) return sendProxyProblem(res, new RegattaError('forbidden', refusal));
    forwardHttp(req, res, {
      upstream: t.endpoint, path: appPath(url, prefix, t.stripPrefix), clientIp: req.socket.remoteAddress ?? '', proto: proto(), prefix,
      publicOrigin: new URL(o.uiUrl()).origin, redirectPrefix: t.stripPrefix ? prefix : '',
      ...(o.bodyLimit !== undefined ? { bodyLimit: o.bodyLimit } : {}),
    });
  }

  async function pathTunnel(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = req.url ?? '/';
    const named = parsePath(url);
    if (named instanceof RegattaError) return refuseUpgrade(socket, named);
    const { runId, port } = named;
    if (appOrigins) return refuseUpgrade(socket, new RegattaError('not_found', 'this app is served at its own origin'));
    const principal = await o.authenticate(req.headers);
    if (!principal) return refuseUpgrade(socket, new RegattaError('unauthorized', 'send a token, or sign in'));
    if (!runTokenLive(principal, runId)) return refuseUpgrade(socket, FOREIGN_TOKEN);
    const refusal = originRefusal('GET', req.headers, uiOrigins(req.headers, o.uiUrl()), { upgrade: true, byCookie: !req.headers.authorization });
    if (refusal) return refuseUpgrade(socket, new RegattaError('forbidden', refusal));
    const t = await target(runId, port);
    if (t instanceof RegattaError) return refuseUpgrade(socket, t);
    const prefix = `/runs/${runId}/proxy/${port}`;
    tunnel(req, socket, head, { upstream: t.endpoint, path: appPath(url, prefix, t.stripPrefix), clientIp: req.socket.remoteAddress ?? '', proto: proto(), prefix });
  }

  const tunnels = new Set<Duplex>();
  return {
    serves: (req) => Boolean(appOrigins?.match(req.headers.host)) || PROXY_PREFIX.test(req.url ?? ''),
    handle(req, res) {
      if (appOrigins?.match(req.headers.host)) return appOrigins.handle(req, res);
      handlePath(req, res).catch((e: unknown) => sendProxyProblem(res, new RegattaError('internal', e instanceof Error ? e.message : String(e))));
    },
    upgrade(req, socket, head) {
      // Node drops its own error listener from an upgraded socket: a client resetting it must not
      // become an uncaught exception.
      socket.on('error', () => socket.destroy());
      tunnels.add(socket);
      socket.once('close', () => tunnels.delete(socket));
      if (appOrigins?.match(req.headers.host)) return appOrigins.upgrade(req, socket, head);
      pathTunnel(req, socket, head).catch(() => socket.destroy());
    },
    closeTunnels() {
      for (const s of tunnels) s.destroy();
    },
  };
}

/**
 * Fastify's HTTP server, with the proxy's requests (its paths, app origins' hosts) taken before
 * Fastify's router. Timeouts as Fastify sets them on a server of its own: no request timeout, so a
 * long upload through the proxy is not cut (Node's default would end it after 5 minutes).
 */
export function serverWithProxy(proxy: () => Proxy | undefined): FastifyServerFactory {
  return (handler, opts) => {
    const server = createServer((req, res) => {
      const p = proxy();
      if (p?.serves(req)) p.handle(req, res);
      else handler(req, res);
    });
    const num = (v: unknown, fallback: number) => (typeof v === 'number' ? v : fallback);
    server.keepAliveTimeout = num(opts.keepAliveTimeout, 72_000);
    server.requestTimeout = num(opts.requestTimeout, 0);
    server.setTimeout(num(opts.connectionTimeout, 0));
    return server;
  };
}

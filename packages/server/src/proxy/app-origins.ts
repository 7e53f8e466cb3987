/**
 * Per-app origins (`proxy.domain`): each declared port of a run is served at the root of an origin of
 * its own, `r-<run>-<port>.<domain>`, so an app's scripts cannot act with the user's Regatta session
 * and one app cannot read another. Requests to these hosts are split off before the API's router:
 * nothing of the API is reachable there. Access comes from the signed-in UI as a one-time ticket in
 * a redirect, exchanged for a host-only cookie scoped to that run and port.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { RegattaError } from '@regatta/core';
import { parse as parseCookies, serialize as serializeCookie } from 'cookie';
import { forwardHttp, sendProxyProblem } from './forward.js';
import { APP_COOKIE, APP_COOKIE_TTL_MS, createAppTickets, type AppScope } from './app-tickets.js';
import { originRefusal, ownOrigins } from './origin.js';
import { refuseUpgrade, tunnel } from './tunnel.js';

/** Where the hand-over lands on an app origin (a path of Regatta's, not the app's). */
export const HANDOVER_PATH = '/.regatta/handover';

export interface AppOriginDeps {
  /** The wildcard domain, e.g. apps.regatta.example. */
  domain: string;
  secret: Buffer;
  now: () => number;
  /** The UI's base URL (where a browser without the cookie is sent to sign in and come back). */
  uiUrl: () => string;
  /** Whether the token a request carries (Bearer or Basic) may use this run's app. */
  tokenMayUse(req: IncomingMessage, scope: AppScope): Promise<boolean>;
  /** host:port of the run's port now, or a status and reason why not. */
  endpoint(scope: AppScope): Promise<{ upstream: string } | RegattaError>;
  bodyLimit?: number;
}

export interface AppOrigins {
  /** The run and port an app host names; undefined for every other host. */
  match(host: string | undefined): AppScope | undefined;
  /** The app origin's URL for a hand-over to `path` (made for a signed-in caller). */
  handoverUrl(scope: AppScope, path: string): string;
  origin(scope: AppScope): string;
  handle(req: IncomingMessage, res: ServerResponse): void;
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
}

const UNSIGNED = new RegattaError('unauthorized', 'open this app from its run page in Regatta (or send a token)');
const HOST_LABEL = /^r-([0-9a-z]{20})-(\d{1,5})$/;

export function createAppOrigins(d: AppOriginDeps): AppOrigins {
  const domain = d.domain.toLowerCase().replace(/^\.+|\.+$/g, '');
  const tickets = createAppTickets(d.secret);
  const ui = () => new URL(d.uiUrl());
  const secure = () => ui().protocol === 'https:';
  const origin = (s: AppScope) => `${ui().protocol}//r-${s.runId}-${s.port}.${domain}${ui().port ? `:${ui().port}` : ''}`;

  const match = (host: string | undefined): AppScope | undefined => {
    const name = (host ?? '').toLowerCase().replace(/:\d+$/, '');
    if (!name.endsWith(`.${domain}`)) return undefined;
    const m = HOST_LABEL.exec(name.slice(0, -domain.length - 1));
    if (!m) return undefined;
    const port = Number(m[2]);
    return port >= 1 && port <= 65535 ? { runId: m[1] ?? '', port } : undefined;
  };

  /** Who may use this app: a token (Bearer/Basic) for it, or the app cookie; renews a cookie past half its life. */
  async function admit(req: IncomingMessage, s: AppScope): Promise<{ byCookie: boolean; renew?: string } | undefined> {
    if (req.headers.authorization) {
      return (await d.tokenMayUse(req, s)) ? { byCookie: false } : undefined;
    }
    const expires = tickets.verifyCookie(parseCookies(req.headers.cookie ?? '')[APP_COOKIE], s, d.now());
    if (expires === undefined) return undefined;
    return expires - d.now() < APP_COOKIE_TTL_MS / 2 ? { byCookie: true, renew: appCookie(s) } : { byCookie: true };
  }

  const appCookie = (s: AppScope) => {
    const c = tickets.cookie(s, d.now());
    return serializeCookie(APP_COOKIE, c.value, { httpOnly: true, sameSite: 'lax', path: '/', secure: secure(), expires: new Date(c.expires) });
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const s = match(req.headers.host);
    if (!s) return sendProxyProblem(res, new RegattaError('not_found', 'not an app origin'));
    const url = new URL(req.url ?? '/', 'http://app.invalid');
    if (url.pathname === HANDOVER_PATH) {
      const next = url.searchParams.get('next') ?? '/';
      if (!tickets.redeem(url.searchParams.get('ticket') ?? '', s, d.now())) {
        return sendProxyProblem(res, new RegattaError('forbidden', 'the hand-over ticket is not valid for this app, expired or already used: open the service again from the run page'));
      }
      // Only a path on this origin: the hand-over is no open redirect.
      res.writeHead(302, { location: /^\/(?![/\\])/.test(next) ? next : '/', 'set-cookie': appCookie(s), 'cache-control': 'no-store' });
      return void res.end();
    }
    const access = await admit(req, s);
    if (!access) {
      // A page visit without the cookie goes by the UI, which signs in if needed and hands over again.
      if (req.method === 'GET' && (req.headers.accept ?? '').includes('text/html')) {
        res.writeHead(302, { location: `${d.uiUrl()}/runs/${s.runId}/proxy/${s.port}${url.pathname}${url.search}` });
        return void res.end();
      }
      return sendProxyProblem(res, UNSIGNED);
    }
    const refusal = originRefusal(req.method ?? 'GET', req.headers, ownOrigins(req.headers.host), { upgrade: false, byCookie: access.byCookie });
    if (refusal) return sendProxyProblem(res, new RegattaError('forbidden', refusal));
    const target = await d.endpoint(s);
    if (target instanceof RegattaError) return sendProxyProblem(res, target);
    if (access.renew) res.setHeader('set-cookie', access.renew);
    forwardHttp(req, res, {
      upstream: target.upstream, path: req.url ?? '/', clientIp: req.socket.remoteAddress ?? '', proto: secure() ? 'https' : 'http', prefix: '',
      publicOrigin: origin(s), redirectPrefix: '', ...(d.bodyLimit !== undefined ? { bodyLimit: d.bodyLimit } : {}),
    });
  }

  async function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const s = match(req.headers.host);
    if (!s) return refuseUpgrade(socket, new RegattaError('not_found', 'not an app origin'));
    const access = await admit(req, s);
    if (!access) return refuseUpgrade(socket, UNSIGNED);
    const refusal = originRefusal('GET', req.headers, ownOrigins(req.headers.host), { upgrade: true, byCookie: access.byCookie });
    if (refusal) return refuseUpgrade(socket, new RegattaError('forbidden', refusal));
    const target = await d.endpoint(s);
    if (target instanceof RegattaError) return refuseUpgrade(socket, target);
    tunnel(req, socket, head, { upstream: target.upstream, path: req.url ?? '/', clientIp: req.socket.remoteAddress ?? '', proto: secure() ? 'https' : 'http', prefix: '' });
  }

  return {
    match,
    origin,
    handoverUrl: (s, path) => `${origin(s)}${HANDOVER_PATH}?ticket=${encodeURIComponent(tickets.ticket(s, d.now()))}&next=${encodeURIComponent(path || '/')}`,
    handle: (req, res) => {
      handle(req, res).catch((e: unknown) => sendProxyProblem(res, new RegattaError('internal', e instanceof Error ? e.message : String(e))));
    },
    upgrade: (req, socket, head) => {
      upgrade(req, socket, head).catch(() => socket.destroy());
    },
  };
}

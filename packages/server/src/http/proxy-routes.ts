/**
 * The authenticated proxy to ports a run declared: `/runs/<id>/proxy/<port>/...` forwards HTTP
 * (through @fastify/reply-from) and WebSocket upgrades (a byte tunnel once the upgrade request is
 * relayed) to where the run listens, so Jupyter or TensorBoard open in the browser with no SSH
 * tunnel. Only callers the API accepts get through; Regatta's own credentials never reach the app.
 */
import { connect } from 'node:net';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import replyFrom from '@fastify/reply-from';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ConflictError, ID_PATTERN, NotFoundError, RegattaError } from '@regatta/core';
import type { Principal } from '../auth.js';
import { requireRunAccess, type App, type RouteContext } from './context.js';

const PROXY_PATH = /^\/runs\/([^/]+)\/proxy\/(\d+)(\/.*)?$/;

const proxyParams = z.object({
  id: z.string().regex(ID_PATTERN, 'not a run id'),
  port: z.coerce.number().int().min(1).max(65535),
  '*': z.string().optional(),
});

/** Cookies of Regatta's own (the session) are not the app's business. */
function appCookies(cookie: string | undefined): string | undefined {
  if (!cookie) return undefined;
  const kept = cookie.split(';').map((c) => c.trim()).filter((c) => c && !c.toLowerCase().startsWith('regatta'));
  return kept.length ? kept.join('; ') : undefined;
}

/** Where a request for `port` of run `runId` goes: `host:port` and the path to ask for there. */
export async function proxyTarget(ctx: RouteContext, runId: string, port: number, url: string): Promise<{ endpoint: string; path: string }> {
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
  const prefix = `/runs/${runId}/proxy/${port}`;
  const path = declared.stripPrefix ? url.slice(prefix.length) || '/' : url;
  return { endpoint, path: path.startsWith('/') ? path : `/${path}` };
}

export async function registerProxyRoutes(
  app: App, ctx: RouteContext, authenticate: (headers: IncomingHttpHeaders) => Promise<Principal | undefined>,
): Promise<void> {
  await app.register(async (plain) => {
    const scope = plain.withTypeProvider<ZodTypeProvider>();
    // Bodies are streamed to the app untouched, whatever their type.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_req, _payload, done) => done(null));
    await scope.register(replyFrom, { disableCache: true });
    scope.get('/runs/:id/proxy/:port', { schema: { params: proxyParams, hide: true } }, (req, reply) =>
      reply.redirect(`${req.url.split('?')[0] ?? ''}/${req.url.includes('?') ? req.url.slice(req.url.indexOf('?')) : ''}`));
    scope.all('/runs/:id/proxy/:port/*', { schema: { params: proxyParams, hide: true } }, async (req, reply) => {
      requireRunAccess(req, req.params.id);
      // A run's token reaches its app only while that attempt runs (tokens of old attempts never expire).
      const p = req.principal;
      if (p?.kind === 'run' && !ctx.engine.isLiveAttempt(p.runId, p.attempt)) throw new RegattaError('forbidden', `attempt ${p.attempt} of run ${p.runId} is no longer running`);
      const { endpoint, path } = await proxyTarget(ctx, req.params.id, req.params.port, req.url);
      return reply.from(`http://${endpoint}${path}`, {
        rewriteRequestHeaders: (_req, headers) => {
          const { authorization: _a, cookie, ...rest } = headers;
          const kept = appCookies(typeof cookie === 'string' ? cookie : undefined);
          return { ...rest, ...(kept ? { cookie: kept } : {}), 'x-forwarded-prefix': `/runs/${req.params.id}/proxy/${req.params.port}` };
        },
        // An app must not set (or replace) Regatta's own session cookie.
        rewriteHeaders: (headers) => {
          const set = headers['set-cookie'];
          if (set === undefined) return headers;
          const kept = [set].flat().filter((c) => !c.trim().toLowerCase().startsWith('regatta'));
          const { 'set-cookie': _drop, ...rest } = headers;
          return kept.length ? { ...rest, 'set-cookie': kept } : rest;
        },
        onError: (r, { error }) => {
          void r.code(502).type('application/problem+json').send({
            type: 'about:blank', title: 'Bad Gateway', status: 502, detail: `the run did not answer on port ${req.params.port}: ${error.message}`,
          });
        },
      });
    });
  });

  // Open tunnels keep the HTTP server from closing: they end with it.
  const tunnels = new Set<Duplex>();
  app.addHook('preClose', async () => {
    for (const s of tunnels) s.destroy();
  });
  app.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Node drops its own error listener from an upgraded socket: a client resetting it must not
    // become an uncaught exception.
    socket.on('error', () => socket.destroy());
    tunnels.add(socket);
    socket.once('close', () => tunnels.delete(socket));
    tunnel(req, socket, head).catch(() => socket.destroy());
  });

  const refuse = (socket: Duplex, status: number, text: string) => {
    socket.end(`HTTP/1.1 ${status} ${text}\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\n${text}\n`);
  };

  async function tunnel(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = req.url ?? '/';
    const m = PROXY_PATH.exec(url.split('?')[0] ?? '');
    if (!m) return refuse(socket, 404, 'Not Found');
    const [, runId = '', portText = ''] = m;
    const principal = await authenticate(req.headers);
    if (!principal) return refuse(socket, 401, 'Unauthorized');
    if (principal.kind === 'run' && (principal.runId !== runId || !ctx.engine.isLiveAttempt(runId, principal.attempt))) return refuse(socket, 403, 'Forbidden');
    let target;
    try {
      target = await proxyTarget(ctx, runId, Number(portText), url);
    } catch (e) {
      const status = e instanceof RegattaError && e.code === 'not_found' ? 404 : 409;
      return refuse(socket, status, e instanceof Error ? e.message : 'Conflict');
    }
    const [host = '127.0.0.1', port = '80'] = splitHostPort(target.endpoint);
    const upstream = connect({ host, port: Number(port) });
    const lines = [`${req.method ?? 'GET'} ${target.path} HTTP/1.1`];
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const name = req.rawHeaders[i] ?? '';
      let value = req.rawHeaders[i + 1] ?? '';
      const lower = name.toLowerCase();
      if (lower === 'authorization') continue;
      if (lower === 'cookie') {
        const kept = appCookies(value);
        if (!kept) continue;
        value = kept;
      }
      lines.push(`${name}: ${value}`);
    }
    upstream.once('connect', () => {
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length) upstream.write(head);
      socket.pipe(upstream).pipe(socket);
    });
    const close = () => { upstream.destroy(); socket.destroy(); };
    upstream.once('error', () => (upstream.readyState === 'opening' ? refuse(socket, 502, 'Bad Gateway') : close()));
    socket.once('error', close);
    socket.once('close', () => upstream.destroy());
    upstream.once('close', () => socket.destroy());
  }
}

function splitHostPort(endpoint: string): [string, string] {
  const i = endpoint.lastIndexOf(':');
  return [endpoint.slice(0, i).replace(/^\[|\]$/g, ''), endpoint.slice(i + 1)];
}

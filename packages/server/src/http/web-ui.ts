/**
 * Serves the built web UI at `/` from the same process as the API. Paths the UI routes itself
 * (/runs/…, /groups/…) get index.html; nothing here ever answers under /api.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App } from './context.js';

/** Where `@regatta/web` put its build (packages/web/dist), if it is installed and built. */
export function defaultWebDir(): string | undefined {
  try {
    const pkg = createRequire(import.meta.url).resolve('@regatta/web/package.json');
    const dir = join(dirname(pkg), 'dist');
    return existsSync(join(dir, 'index.html')) ? dir : undefined;
  } catch {
    return undefined;
  }
}

const NOT_BUILT = '<!doctype html><meta charset="utf-8"><title>Regatta</title><p>The web UI is not built. Run <code>npm run build</code> and restart the server; the API is at <a href="/api/openapi.json">/api/openapi.json</a>.</p>';

/** True for a request the single-page app should answer (a page load, not an API call or a missing asset). */
export function isPageRequest(req: FastifyRequest): boolean {
  const path = req.url.split('?')[0] ?? '';
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  if (path === '/api' || path.startsWith('/api/') || path.startsWith('/assets/')) return false;
  return (req.headers.accept ?? '').includes('text/html');
}

export async function registerWebUi(app: App, webDir: string | undefined): Promise<(req: FastifyRequest, reply: FastifyReply) => FastifyReply> {
  if (!webDir) {
    app.get('/', { schema: { hide: true } }, (_req, reply) => reply.type('text/html; charset=utf-8').send(NOT_BUILT));
    return (_req, reply) => reply.type('text/html; charset=utf-8').send(NOT_BUILT);
  }
  await app.register(fastifyStatic, {
    root: webDir,
    prefix: '/',
    index: ['index.html'],
    // Built assets carry a content hash in their names: cache them for good; index.html never.
    setHeaders(res, path) {
      res.header('cache-control', path.includes(`${join(webDir, 'assets')}`) ? 'public, max-age=31536000, immutable' : 'no-cache');
      res.header('x-content-type-options', 'nosniff');
      res.header('content-security-policy', "frame-ancestors 'none'");
    },
  });
  return (_req, reply) => reply.header('cache-control', 'no-cache').header('content-security-policy', "frame-ancestors 'none'").sendFile('index.html');
}

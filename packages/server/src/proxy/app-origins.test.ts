import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_COOKIE_TTL_MS } from './app-tickets.js';
import { createAppOrigins } from './app-origins.js';

// A real app and a real server in front of it; only the clock is moved by hand.
let now = 1_800_000_000_000;
let app: Server;
let front: Server;
let port = 0;
const origins = createAppOrigins({
  domain: 'apps.localhost', secret: Buffer.alloc(32, 7), now: () => now, uiUrl: () => 'http://ui.localhost:8080',
  tokenMayUse: async () => false,
  endpoint: async () => ({ upstream: `127.0.0.1:${(app.address() as AddressInfo).port}` }),
});
const scope = { runId: '01m8s34xva4b2a527af6', port: 8888 };
const host = `r-${scope.runId}-8888.apps.localhost:8080`;

beforeAll(async () => {
  app = createServer((_req, res) => {
    res.setHeader('set-cookie', 'own=1; Path=/');
    res.end('app');
  });
  front = createServer((req, res) => origins.handle(req, res));
  await Promise.all([app, front].map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', r))));
  port = (front.address() as AddressInfo).port;
});
afterAll(() => {
  app.close();
  front.close();
});

function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, headers: { host, ...headers } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    }).on('error', reject).end();
  });
}

describe('app origin cookies', () => {
  it('are renewed past half their life (next to the app\'s own cookies) and end after an hour unused', async () => {
    expect(origins.match(host)).toEqual(scope);
    expect(origins.match('ui.localhost:8080')).toBeUndefined();
    const handover = new URL(origins.handoverUrl(scope, '/tree'));
    const landed = await get(`${handover.pathname}${handover.search}`);
    const cookie = landed.headers['set-cookie']?.[0]?.split(';')[0] ?? '';
    expect((await get('/x', { cookie })).headers['set-cookie']).toEqual(['own=1; Path=/']);

    now += APP_COOKIE_TTL_MS / 2 + 1000;
    const renewed = await get('/x', { cookie });
    expect(renewed.status).toBe(200);
    const set = renewed.headers['set-cookie'] ?? [];
    expect(set).toHaveLength(2);
    expect(set[0]).toMatch(/^regatta_app=/);
    expect(set[1]).toBe('own=1; Path=/');

    now += APP_COOKIE_TTL_MS / 2;
    expect((await get('/x', { cookie })).status).toBe(401);
    const fresh = set[0]?.split(';')[0] ?? '';
    expect((await get('/x', { cookie: fresh })).status).toBe(200);
  });
});

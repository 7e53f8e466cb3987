import { describe, expect, it } from 'vitest';
import { appCookies, downstreamResponseHeaders, rewriteLocation, upstreamRequestHeaders } from './forward-headers.js';

const fwd = { clientIp: '10.1.2.3', proto: 'https' as const, prefix: '/runs/r/proxy/8888' };
const resp = { upstream: '127.0.0.1:41234', publicOrigin: 'https://regatta.example', redirectPrefix: '' };

describe('upstreamRequestHeaders', () => {
  it('keeps Host and the app\'s headers, drops hop-by-hop, Regatta\'s credentials and forged forwarding headers', () => {
    const out = upstreamRequestHeaders({
      host: 'regatta.example', 'content-type': 'application/json', 'content-length': '12', connection: 'keep-alive, X-Secret-Hop',
      'x-secret-hop': '1', 'keep-alive': 'timeout=5', te: 'trailers', 'transfer-encoding': 'chunked', expect: '100-continue',
      authorization: 'Bearer rgt_x', 'x-regatta-csrf': '1', cookie: 'regatta_session=s; _xsrf=t; regatta_app=a; theme=dark',
      'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'http', 'x-forwarded-prefix': '/elsewhere', 'x-forwarded-for': '192.0.2.1',
      upgrade: 'websocket',
    }, fwd);
    expect(out).toEqual({
      host: 'regatta.example', 'content-type': 'application/json', 'content-length': '12', cookie: '_xsrf=t; theme=dark',
      'x-forwarded-for': '192.0.2.1, 10.1.2.3', 'x-forwarded-host': 'regatta.example', 'x-forwarded-proto': 'https',
      'x-forwarded-prefix': '/runs/r/proxy/8888',
    });
  });

  it('keeps Connection: Upgrade for a WebSocket, and sends no prefix at an origin of its own', () => {
    const out = upstreamRequestHeaders({ host: 'h', connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-key': 'k', cookie: 'regatta_app=x' }, { ...fwd, prefix: '', upgrade: true });
    expect(out).toMatchObject({ connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-key': 'k' });
    expect(out).not.toHaveProperty('cookie');
    expect(out).not.toHaveProperty('x-forwarded-prefix');
  });

  it('keeps only the app\'s cookies', () => {
    expect(appCookies('regatta_session=1')).toBeUndefined();
    expect(appCookies(' a=1 ;Regatta_x=2; b=3')).toBe('a=1; b=3');
  });
});

describe('rewriteLocation', () => {
  it('moves the app\'s own absolute address to the public origin, and leaves other hosts and relative paths alone', () => {
    expect(rewriteLocation('http://127.0.0.1:41234/runs/r/proxy/8888/tree?a=1#x', resp)).toBe('https://regatta.example/runs/r/proxy/8888/tree?a=1#x');
    expect(rewriteLocation('https://github.com/login', resp)).toBe('https://github.com/login');
    expect(rewriteLocation('/runs/r/proxy/8888/tree', resp)).toBe('/runs/r/proxy/8888/tree');
    expect(rewriteLocation('tree', resp)).toBe('tree');
    expect(rewriteLocation('//cdn.example/x', resp)).toBe('//cdn.example/x');
  });

  it('puts the prefix back on redirects of an app that believes it is at /', () => {
    const strip = { ...resp, redirectPrefix: '/runs/r/proxy/9000' };
    expect(rewriteLocation('/login?next=%2F', strip)).toBe('/runs/r/proxy/9000/login?next=%2F');
    expect(rewriteLocation('http://127.0.0.1:41234/', strip)).toBe('https://regatta.example/runs/r/proxy/9000/');
    expect(rewriteLocation('/runs/r/proxy/9000/x', strip)).toBe('/runs/r/proxy/9000/x');
  });
});

describe('downstreamResponseHeaders', () => {
  it('drops hop-by-hop headers and Regatta\'s cookies, and rewrites Location', () => {
    expect(downstreamResponseHeaders({
      'content-type': 'text/html', connection: 'close', 'transfer-encoding': 'chunked', 'keep-alive': 'timeout=5',
      'set-cookie': ['regatta_session=forged; Path=/', '_xsrf=1; Path=/'], location: 'http://127.0.0.1:41234/runs/r/proxy/8888/',
    }, resp)).toEqual({
      'content-type': 'text/html', 'set-cookie': ['_xsrf=1; Path=/'], location: 'https://regatta.example/runs/r/proxy/8888/',
    });
  });
});

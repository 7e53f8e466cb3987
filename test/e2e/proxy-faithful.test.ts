/**
 * The service proxy in path mode (/runs/<id>/proxy/<port>/), against a real app process that echoes
 * what it received: exact bytes, methods and headers, streamed bodies (100 MB with bounded memory),
 * Expect: 100-continue from curl, SSE, redirects, WebSocket frames, and Origin checks.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, TOKEN, startTestServer, tempDir, waitFor, type TestServer } from '../helpers.js';
import { nextMessage, openWs, send } from '../proxy-client.js';

interface Echo {
  port: number; method: string; url: string; headers: Record<string, string>; bytes: number; sha256: string; head: string;
}

let t: TestServer;
let id = '';
let base = '';
let cookie = '';
const auth = { authorization: `Bearer ${TOKEN}` };
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

beforeAll(async () => {
  t = await startTestServer({ node: { cpus: 8 } });
  ({ id } = await t.api.submit({
    kind: 'service', name: 'echo', command: `exec node ${join(ROOT, 'test/apps/echo-app.mjs')}`,
    ports: [8000, { port: 9000, strip_prefix: true }], health: { tcp: 8000, interval: 0.2 }, env: { ECHO_ROOT: ROOT },
  }));
  await waitFor('echo app healthy', async () => ((await t.api.getRun(id)).health === 'healthy' ? true : undefined), 60_000);
  base = `${t.url}/runs/${id}/proxy/8000`;
  const session = await fetch(`${t.url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: TOKEN }) });
  cookie = (session.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  expect(cookie).toMatch(/^regatta_session=/);
}, 90_000);
afterAll(async () => {
  await t.close();
});

describe('the proxy passes requests on faithfully', () => {
  it('keeps method, path, query, body bytes and Host; adds forwarding headers; drops hop-by-hop and Regatta credentials', async () => {
    const binary = Buffer.from(Array.from({ length: 1946 }, (_, i) => (i * 37) % 256));
    const bodies: [string, string, Buffer | string][] = [
      ['POST', 'application/json', '{"name":"python3","path":"Untitled.ipynb"}'],
      ['PUT', 'application/x-www-form-urlencoded', 'a=1&b=%C3%A9'],
      ['PATCH', 'application/octet-stream', binary],
      ['DELETE', 'text/plain', 'bye'],
      ['POST', 'multipart/form-data; boundary=XyZ', '--XyZ\r\nContent-Disposition: form-data; name="f"; filename="a.bin"\r\n\r\nabc\r\n--XyZ--\r\n'],
    ];
    for (const [method, type, body] of bodies) {
      const a = await send(`${base}/api/things?x=1&y=%2F`, {
        method, body,
        headers: {
          ...auth, 'content-type': type, cookie: `${cookie}; _xsrf=abc; app=2`, 'x-regatta-csrf': '1', 'x-custom': 'kept',
          connection: 'keep-alive, x-hop', 'x-hop': 'dropped', te: 'trailers', 'x-forwarded-for': '10.0.0.9',
        },
      });
      expect(a.status, `${method} ${type}`).toBe(200);
      const e = JSON.parse(a.text) as Echo;
      expect(e.method).toBe(method);
      expect(e.url).toBe(`/runs/${id}/proxy/8000/api/things?x=1&y=%2F`);
      expect(e.bytes).toBe(Buffer.byteLength(body));
      expect(e.sha256).toBe(sha(body));
      expect(Buffer.from(e.head, 'base64').equals(Buffer.from(body))).toBe(true);
      const host = new URL(t.url).host;
      expect(e.headers).toMatchObject({
        host, 'content-type': type, 'content-length': String(Buffer.byteLength(body)), 'x-custom': 'kept', cookie: '_xsrf=abc; app=2',
        'x-forwarded-host': host, 'x-forwarded-proto': 'http', 'x-forwarded-for': '10.0.0.9, 127.0.0.1', 'x-forwarded-prefix': `/runs/${id}/proxy/8000`,
      });
      for (const gone of ['authorization', 'x-regatta-csrf', 'x-hop', 'te', 'expect']) expect(e.headers, gone).not.toHaveProperty(gone);
      // The app may not set Regatta's own cookie; its own pass.
      expect(a.headers['set-cookie']).toEqual(['app=1; Path=/']);
      expect(a.headers['x-app']).toBe('8000');
    }
  });

  it('streams a chunked upload and a 100 MB upload through without holding it in memory', async () => {
    const chunked = await send(`${base}/up`, { method: 'POST', headers: auth, body: Readable.from([Buffer.from('part one, '), Buffer.from('part two')]) });
    const ce = JSON.parse(chunked.text) as Echo;
    expect(ce.headers['transfer-encoding']).toBe('chunked');
    expect(Buffer.from(ce.head, 'base64').toString()).toBe('part one, part two');

    const MB = 1 << 20;
    const chunk = Buffer.alloc(MB);
    for (let i = 0; i < MB; i++) chunk[i] = (i * 131) % 251;
    const total = 100;
    const want = createHash('sha256');
    for (let i = 0; i < total; i++) want.update(chunk);
    const baseline = process.memoryUsage().arrayBuffers;
    let peak = baseline;
    const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().arrayBuffers); }, 20);
    // Same bytes 100 times, each chunk a fresh copy so nothing is shared with what the proxy might keep.
    async function* body() {
      for (let i = 0; i < total; i++) {
        peak = Math.max(peak, process.memoryUsage().arrayBuffers);
        yield Buffer.from(chunk);
      }
    }
    const big = await send(`${base}/upload`, { method: 'PUT', headers: { ...auth, 'content-type': 'application/octet-stream', 'content-length': String(total * MB) }, body: Readable.from(body(), { highWaterMark: 1 }) });
    clearInterval(sampler);
    const e = JSON.parse(big.text) as Echo;
    expect(e.bytes).toBe(total * MB);
    expect(e.sha256).toBe(want.digest('hex'));
    // Buffering the body anywhere in this process (client and server both live here) would add 100 MB
    // or more (215 MB measured with the proxy made to buffer); streamed, it stays at a few chunks plus
    // what the garbage collector has not reclaimed yet.
    expect(peak - baseline).toBeLessThan(64 * MB);
  }, 120_000);

  it('answers Expect: 100-continue, as curl sends it for large uploads', async () => {
    const file = join(tempDir(), 'two-mb.bin');
    const data = Buffer.alloc(2 << 20, 'x');
    writeFileSync(file, data);
    const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile('curl', ['-sS', '-v', '-X', 'POST', '-H', `Authorization: Bearer ${TOKEN}`, '-H', 'Expect: 100-continue', '--data-binary', `@${file}`, `${base}/curl`],
        { timeout: 60_000, maxBuffer: 1 << 20 }, (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }));
    });
    expect(code, stderr).toBe(0);
    expect(stderr).toContain('HTTP/1.1 100 Continue');
    const e = JSON.parse(stdout) as Echo;
    expect(e.bytes).toBe(data.length);
    expect(e.sha256).toBe(sha(data));
    expect(e.headers).not.toHaveProperty('expect');
  });

  it('streams answers: an event arrives while the stream is still open, and a large chunked answer arrives whole', async () => {
    const first = await new Promise<{ status: number; type: string; text: string; rest: Promise<string> }>((resolve, reject) => {
      const req = request(`${base}/sse`, { headers: auth }, (res) => {
        res.setEncoding('utf8');
        let all = '';
        const rest = new Promise<string>((r) => res.on('end', () => r(all)));
        res.once('data', (c: string) => {
          all += c;
          res.on('data', (more: string) => { all += more; });
          resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'] ?? '', text: c, rest });
        });
      });
      req.on('error', reject);
      req.end();
    });
    expect(first.status).toBe(200);
    expect(first.type).toBe('text/event-stream');
    expect(first.text).toBe('data: first\n\n');
    await send(`${base}/release`, { headers: auth });
    expect(await first.rest).toBe('data: first\n\ndata: last\n\n');

    const big = await send(`${base}/big?mb=20`, { headers: auth });
    expect(big.headers['transfer-encoding']).toBe('chunked');
    expect(big.body.length).toBe(20 << 20);
  });

  it('keeps redirects on the proxy', async () => {
    const { endpoint } = { endpoint: t.server.engine.endpoint(id, 8000) ?? '' };
    const own = await send(`${base}/redirect?to=${encodeURIComponent(`http://${endpoint}/runs/${id}/proxy/8000/landing?q=1`)}`, { headers: auth });
    expect(own.status).toBe(302);
    expect(own.headers.location).toBe(`${t.url}/runs/${id}/proxy/8000/landing?q=1`);
    const away = await send(`${base}/redirect?to=${encodeURIComponent('https://example.org/x')}`, { headers: auth });
    expect(away.headers.location).toBe('https://example.org/x');
    // A strip_prefix app thinks it lives at /: its path-absolute redirects get the prefix back.
    const stripped = await send(`${t.url}/runs/${id}/proxy/9000/redirect?to=%2Flogin`, { headers: auth });
    expect(stripped.headers.location).toBe(`/runs/${id}/proxy/9000/login`);
    const echo = JSON.parse((await send(`${t.url}/runs/${id}/proxy/9000/a?b=1`, { headers: auth })).text) as Echo;
    expect(echo.url).toBe('/a?b=1');
  });

  it('relays WebSocket text and binary frames, with Host kept and Regatta credentials dropped', async () => {
    const { ws, status, first } = await openWs(`${base.replace('http', 'ws')}/socket?s=1`, auth);
    expect(status).toBe(101);
    const hello = JSON.parse(first ?? '{}') as { url: string; headers: Record<string, string> };
    expect(hello.url).toBe(`/runs/${id}/proxy/8000/socket?s=1`);
    expect(hello.headers.host).toBe(new URL(t.url).host);
    expect(hello.headers).not.toHaveProperty('authorization');
    expect(hello.headers['x-forwarded-prefix']).toBe(`/runs/${id}/proxy/8000`);
    if (!ws) throw new Error('no socket');
    ws.send('héllo');
    expect(await nextMessage(ws)).toEqual({ data: Buffer.from('héllo'), binary: false });
    const bytes = Buffer.from([0, 1, 2, 254, 255]);
    ws.send(bytes);
    expect(await nextMessage(ws)).toEqual({ data: bytes, binary: true });
    ws.close();
  });
});

describe('Origin checks on the cookie-signed proxy', () => {
  const foreign = 'http://127.0.0.1:18479';

  it('refuses a WebSocket and a form POST from another origin of the same host, and takes them from the UI origin', async () => {
    const wsUrl = `${base.replace('http', 'ws')}/socket`;
    expect((await openWs(wsUrl, { cookie, origin: foreign })).status).toBe(403);
    expect((await openWs(wsUrl, { cookie })).status).toBe(403); // a browser always sends Origin
    expect((await openWs(wsUrl, {})).status).toBe(401);
    const ok = await openWs(wsUrl, { cookie, origin: new URL(t.url).origin });
    expect(ok.status).toBe(101);
    ok.ws?.close();

    const form = { 'content-type': 'application/x-www-form-urlencoded', cookie };
    const refused = await send(`${base}/form`, { method: 'POST', headers: { ...form, origin: foreign }, body: 'a=1' });
    expect(refused.status).toBe(403);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(JSON.parse(refused.text)).toMatchObject({ detail: expect.stringContaining(foreign) as unknown });
    expect((await send(`${base}/form`, { method: 'POST', headers: { ...form, origin: 'null' }, body: 'a=1' })).status).toBe(403);
    const accepted = await send(`${base}/form`, { method: 'POST', headers: { ...form, origin: new URL(t.url).origin }, body: 'a=1' });
    expect(accepted.status).toBe(200);
    // Reading is not changing: a GET from a link needs no Origin.
    expect((await send(`${base}/page`, { headers: { cookie } })).status).toBe(200);
  });

  it('answers malformed proxy paths with a 404 naming the part', async () => {
    const cases: [string, string][] = [
      ['/runs/NOT-AN-ID/proxy/8000/', 'id'], [`/runs/${id}/proxy/99999/`, 'port'], [`/runs/${id}/proxy/abc/`, 'port'],
      [`/runs/${id}/proxy`, 'port'], [`/runs/${id}/proxy/7000/`, 'port'],
    ];
    for (const [path, field] of cases) {
      const a = await send(`${t.url}${path}`, { headers: auth });
      expect(a.status, path).toBe(404);
      expect(a.headers['content-type']).toBe('application/problem+json');
      expect((JSON.parse(a.text) as { errors: { path: string }[] }).errors[0]?.path, path).toBe(field);
    }
    expect((await openWs(`${t.url.replace('http', 'ws')}/runs/NOT-AN-ID/proxy/8000/`, auth)).status).toBe(404);
    // No trailing slash: sent to the app's root, query kept.
    const bare = await send(`${base}?q=1`, { headers: auth });
    expect(bare.status).toBe(302);
    expect(bare.headers.location).toBe(`/runs/${id}/proxy/8000/?q=1`);
  });

  it('answers 502 as problem+json when the app does not answer', async () => {
    const { id: quiet } = await t.api.submit({ kind: 'service', name: 'quiet', command: 'sleep 600', ports: [7100] });
    await waitFor('quiet running', async () => ((await t.api.getRun(quiet)).status === 'running' ? true : undefined), 30_000);
    const a = await send(`${t.url}/runs/${quiet}/proxy/7100/x`, { method: 'POST', headers: auth, body: 'x' });
    expect(a.status).toBe(502);
    expect(a.headers['content-type']).toBe('application/problem+json');
    await t.api.cancel(quiet);
  });
});

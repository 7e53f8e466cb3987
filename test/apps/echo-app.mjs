// The proxy tests' app: answers every request with what it received (method, URL, headers, the
// body's length and SHA-256, never holding the body), plus a few routes that exercise the proxy's
// answers: an event stream held open until /release, redirects, and a WebSocket echo.
// Run as a service: listens on every $REGATTA_PORT_<n>. ECHO_ROOT names the repository (for `ws`).
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';

const require = createRequire(`${process.env.ECHO_ROOT}/package.json`);
const { WebSocketServer } = require('ws');
const held = new Set();

function app(port) {
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    if (url.pathname.endsWith('/sse')) {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write('data: first\n\n');
      held.add(res);
      return;
    }
    if (url.pathname.endsWith('/release')) {
      for (const r of held) r.end('data: last\n\n');
      held.clear();
      return res.end('released');
    }
    if (url.pathname.endsWith('/redirect')) {
      res.writeHead(302, { location: url.searchParams.get('to') ?? '/' });
      return res.end();
    }
    if (url.pathname.endsWith('/env')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ proxyPath: process.env.REGATTA_PROXY_PATH ?? null }));
    }
    if (url.pathname.endsWith('/big')) {
      // A large answer written in chunks (no content-length): streamed back, chunked.
      const n = Number(url.searchParams.get('mb') ?? '1');
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const chunk = Buffer.alloc(1 << 20, 7);
      let sent = 0;
      const more = () => {
        while (sent < n) {
          sent += 1;
          if (!res.write(chunk)) return res.once('drain', more);
        }
        res.end();
      };
      return more();
    }
    const hash = createHash('sha256');
    let bytes = 0;
    let head = Buffer.alloc(0);
    req.on('data', (c) => {
      hash.update(c);
      bytes += c.length;
      if (head.length < 4096) head = Buffer.concat([head, c]).subarray(0, 4096);
    });
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'set-cookie': ['regatta_session=forged; Path=/', 'app=1; Path=/'], 'x-app': String(port) });
      res.end(JSON.stringify({
        port, local: req.socket.localPort, method: req.method, url: req.url, headers: req.headers, bytes, sha256: hash.digest('hex'), head: head.toString('base64'),
      }));
    });
  });
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws, req) => {
    ws.send(JSON.stringify({ url: req.url, headers: req.headers }));
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
  server.listen(Number(process.env[`REGATTA_PORT_${port}`]), '127.0.0.1');
}

for (const key of Object.keys(process.env)) {
  const m = /^REGATTA_PORT_(\d+)$/.exec(key);
  if (m) app(Number(m[1]));
}

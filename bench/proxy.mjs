// What the service proxy costs: an upload and a download of BENCH_PROXY_MB (default 256) MB to a
// run's app, straight to the app's port (the baseline, measured in the same run) and through
// /runs/<id>/proxy/<port>/, with the server's peak RSS while it streams (its own process).
//
//   npm run bench:proxy                 (builds, then runs this file)
//   BENCH_PROXY_MB=1024 node bench/proxy.mjs
//
// The app is test/apps/echo-app.mjs as a service run: it hashes what it receives and answers
// /big?mb=N with N MB. The upload's SHA-256 is checked on both paths.
import { createHash } from 'node:crypto';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { makeClient, startServerChild } from './lib.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const MB = 1 << 20;
const size = Number(process.env.BENCH_PROXY_MB ?? '256');
if (!Number.isInteger(size) || size < 1) throw new Error(`BENCH_PROXY_MB must be a positive integer, got '${process.env.BENCH_PROXY_MB}'`);
const token = 'bench-proxy-token';
const chunk = Buffer.alloc(MB);
for (let i = 0; i < MB; i++) chunk[i] = (i * 131) % 251;
const want = createHash('sha256');
for (let i = 0; i < size; i++) want.update(chunk);
const wantHash = want.digest('hex');

/** One request; the body (if any) is `size` MB written with backpressure. Resolves {ms, status, text, bytes}. */
function exchange(url, { method = 'GET', upload = false } = {}) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const u = new URL(url);
    const req = http.request({
      hostname: u.hostname, port: u.port, path: `${u.pathname}${u.search}`, method,
      headers: { authorization: `Bearer ${token}`, ...(upload ? { 'content-type': 'application/octet-stream', 'content-length': size * MB } : {}) },
    }, (res) => {
      let bytes = 0;
      const head = [];
      res.on('data', (c) => {
        bytes += c.length;
        if (head.length < 64) head.push(c);
      });
      res.on('end', () => resolve({ ms: performance.now() - t0, status: res.statusCode, text: Buffer.concat(head).toString(), bytes }));
    });
    req.on('error', reject);
    if (!upload) return req.end();
    let sent = 0;
    const more = () => {
      while (sent < size) {
        sent++;
        if (!req.write(chunk)) return req.once('drain', more);
      }
      req.end();
    };
    more();
  });
}

const data = mkdtempSync(join(os.tmpdir(), 'regatta-bench-proxy-'));
const server = await startServerChild(data, { token, serverConfig: { logLevel: 'warn' } });
const { api, close } = makeClient(server.url, { token });
try {
  const { body: run } = await api('POST', '/api/v1/runs', {
    kind: 'service', name: 'echo', command: `exec node ${join(root, 'test/apps/echo-app.mjs')}`,
    ports: [8000], health: { tcp: 8000, interval: 0.2 }, env: { ECHO_ROOT: root },
  });
  for (let i = 0; ; i++) {
    const { body } = await api('GET', `/api/v1/runs/${run.id}`);
    if (body.health === 'healthy') break;
    if (i > 600) throw new Error('the echo app did not become healthy');
    await new Promise((r) => setTimeout(r, 100));
  }
  const proxied = `${server.url}/runs/${run.id}/proxy/8000`;
  const probe = JSON.parse((await exchange(`${proxied}/probe`)).text);
  const direct = `http://127.0.0.1:${probe.local}`;

  const figures = {};
  for (const [name, base] of [['direct', direct], ['proxy', proxied]]) {
    await server.stats(); // resets the sampled peak
    const up = await exchange(`${base}/upload`, { method: 'PUT', upload: true });
    const echo = JSON.parse(up.text);
    if (echo.sha256 !== wantHash || echo.bytes !== size * MB) throw new Error(`${name}: the app received ${echo.bytes} bytes with another hash`);
    const down = await exchange(`${base}/big?mb=${size}`);
    if (down.bytes !== size * MB) throw new Error(`${name}: downloaded ${down.bytes} bytes`);
    const { sampledPeakRss, rss } = await server.stats();
    figures[name] = { uploadMBs: size / (up.ms / 1000), downloadMBs: size / (down.ms / 1000), serverPeakRssMiB: sampledPeakRss / MB, serverRssMiB: rss / MB };
  }
  const f = (n) => n.toFixed(0);
  console.log(`Proxy benchmark: ${size} MB each way, one stream, ${os.cpus().length} CPUs`);
  console.log(`  upload    direct ${f(figures.direct.uploadMBs)} MB/s, through the proxy ${f(figures.proxy.uploadMBs)} MB/s (ratio ${(figures.proxy.uploadMBs / figures.direct.uploadMBs).toFixed(2)})`);
  console.log(`  download  direct ${f(figures.direct.downloadMBs)} MB/s, through the proxy ${f(figures.proxy.downloadMBs)} MB/s (ratio ${(figures.proxy.downloadMBs / figures.direct.downloadMBs).toFixed(2)})`);
  console.log(`  server    peak RSS ${f(figures.direct.serverPeakRssMiB)} MiB while idle (direct), ${f(figures.proxy.serverPeakRssMiB)} MiB while proxying ${size} MB each way`);
} finally {
  close();
  await server.close();
  rmSync(data, { recursive: true, force: true });
}

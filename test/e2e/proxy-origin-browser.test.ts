/**
 * Cross-site WebSocket hijacking and form posts, replayed in Chromium as the issue reproduced them: a
 * page served from another port of the same host is "same site" to the browser, which sends it the
 * UI's session cookie. The proxy's Origin check must refuse both, while the UI's own pages still
 * reach the app.
 */
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, startTestServer, waitFor, type TestServer } from '../helpers.js';
import { chromiumWhen, installedBy, openFromRunPage } from '../service-browser.js';

const ready = installedBy('chromium-test-env.sh');
const browser = chromiumWhen(ready);

let t: TestServer;
let evil: Server;
let evilUrl = '';
let id = '';

beforeAll(async () => {
  if (!ready) return;
  t = await startTestServer({ node: { cpus: 8 } });
  ({ id } = await t.api.submit({
    kind: 'service', name: 'echo', command: `exec node ${join(ROOT, 'test/apps/echo-app.mjs')}`,
    ports: [8000], health: { tcp: 8000, interval: 0.2 }, env: { ECHO_ROOT: ROOT },
  }));
  await waitFor('echo app healthy', async () => ((await t.api.getRun(id)).health === 'healthy' ? true : undefined), 60_000);
  // The attacker's page: same host as the UI, another port.
  const target = `${t.url}/runs/${id}/proxy/8000`;
  evil = createServer((_req, res) => {
    res.setHeader('content-type', 'text/html');
    res.end(`<!doctype html><title>evil</title>
      <form id="f" method="POST" action="${target}/form" target="sink"><input name="a" value="1"></form>
      <iframe name="sink"></iframe>`);
  });
  await new Promise<void>((r) => evil.listen(0, '127.0.0.1', r));
  const address = evil.address();
  evilUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
}, 120_000);
afterAll(async () => {
  evil?.close();
  await t?.close();
});

/** Opens a WebSocket from the page; resolves 'open' or 'refused'. */
const tryWebSocket = (url: string) => `new Promise((resolve) => {
  const ws = new WebSocket(${JSON.stringify(url)});
  ws.onopen = () => { ws.close(); resolve('open'); };
  ws.onerror = () => resolve('refused');
})`;

describe.skipIf(!ready)('the proxy against another origin of the same host, in Chromium', () => {
  it('refuses its WebSocket and its form POST, and lets the UI\'s own pages through', async () => {
    // Signed in: the session cookie is in the browser, and the UI's own page reaches the app.
    const { app, close } = await openFromRunPage(browser(), t, id, 8000);
    await app.waitForLoadState();
    const wsUrl = `${t.url.replace('http', 'ws')}/runs/${id}/proxy/8000/socket`;
    expect(await app.evaluate(tryWebSocket(wsUrl))).toBe('open');

    const page = await app.context().newPage();
    await page.goto(evilUrl);
    expect(await page.evaluate(tryWebSocket(wsUrl))).toBe('refused');
    const [answer] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/form')),
      page.evaluate('document.getElementById("f").submit()'),
    ]);
    expect(answer.status()).toBe(403);
    expect(await answer.text()).toContain(`Origin ${evilUrl} may not use this app`);
    await close();
  }, 120_000);
});

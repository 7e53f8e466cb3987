/**
 * The remote desktop of examples/vnc/desktop.yaml in Debian's Chromium, opened from the run page's
 * "Open service" link: noVNC connects through the proxy's WebSocket tunnel, its canvas shows the
 * desktop (non-blank pixels), and what a person types reaches the xterm (the command it runs writes
 * a file among the run's artifacts). Under the UI origin and at an origin of its own.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { TOKEN, startTestServer, waitFor, type TestServer } from '../helpers.js';
import { chromiumWhen, installedBy, openFromRunPage, startExample } from '../service-browser.js';
import { SHOTS } from '../web-env.js';

const auth = { authorization: `Bearer ${TOKEN}` };
const ready = installedBy('vnc-test-env.sh');

const browser = chromiumWhen(ready);

/** Pixels of noVNC's screen canvas that are not black (Xvfb's empty root is black; the xterm is not). */
function litPixels(page: Page): Promise<number> {
  // Runs in the page; typed by what it uses, as the tests compile without the DOM library.
  type Canvas = { width: number; height: number; getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null };
  return page.locator('#noVNC_container canvas').first().evaluate((c: Canvas) => {
    const ctx = c.getContext('2d');
    if (!ctx || !c.width || !c.height) return 0;
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if ((d[i] ?? 0) + (d[i + 1] ?? 0) + (d[i + 2] ?? 0) > 60) n++;
    return n;
  });
}

async function desktopThroughProxy(t: TestServer, shot: string): Promise<{ id: string; desktop: Page }> {
  const id = await startExample(t, 'examples/vnc/desktop.yaml', { health: { tcp: 6080, interval: 0.2 } });
  const { app: desktop } = await openFromRunPage(browser(), t, id, 6080);
  await desktop.waitForURL(/vnc\.html/, { timeout: 30_000 });
  await expect.poll(() => litPixels(desktop), { timeout: 60_000, interval: 500 }).toBeGreaterThan(10_000);
  await desktop.screenshot({ path: join(SHOTS, `${shot}-connected.png`) });
  return { id, desktop };
}

/** Types a command into the xterm through noVNC; the file it writes shows the keys arrived. */
async function typeIntoXterm(t: TestServer, id: string, desktop: Page, shot: string): Promise<void> {
  const canvas = desktop.locator('#noVNC_container canvas').first();
  await canvas.click({ position: { x: 120, y: 80 } }); // the xterm sits at the top left of the screen
  await desktop.keyboard.type('echo typed-by-novnc > typed.txt', { delay: 20 });
  await desktop.keyboard.press('Enter');
  const text = await waitFor('the typed command ran in the xterm', async () => {
    const r = await fetch(`${t.url}/api/v1/runs/${id}/artifacts/typed.txt`, { headers: auth });
    return r.ok ? r.text() : undefined;
  }, 30_000);
  expect(text).toBe('typed-by-novnc\n');
  await desktop.waitForTimeout(500); // the xterm's echo reaches the canvas
  await desktop.screenshot({ path: join(SHOTS, `${shot}-typed.png`) });
}

describe.skipIf(!ready)('a VNC desktop in Chromium through the proxy (Debian xvfb, x11vnc, websockify, novnc, xterm; needs root to install)', () => {
  it('under the UI origin (path mode)', async () => {
    const t = await startTestServer({ node: { cpus: 8 } });
    try {
      const { id, desktop } = await desktopThroughProxy(t, 'vnc-path');
      expect(new URL(desktop.url()).pathname).toBe(`/runs/${id}/proxy/6080/vnc.html`);
      await typeIntoXterm(t, id, desktop, 'vnc-path');
      await desktop.context().close();
      await t.api.cancel(id);
      expect((await t.api.waitForRun(id, { intervalMs: 100 })).status).toBe('canceled');
    } finally {
      await t.close();
    }
  }, 240_000);

  it('at an origin of its own (proxy.domain)', async () => {
    const t = await startTestServer({ node: { cpus: 8 }, proxy: { domain: 'apps.localhost' } });
    try {
      const { id, desktop } = await desktopThroughProxy(t, 'vnc-origin');
      expect(new URL(desktop.url()).host).toBe(`r-${id}-6080.apps.localhost:${new URL(t.url).port}`);
      await typeIntoXterm(t, id, desktop, 'vnc-origin');
      await desktop.context().close();
      await t.api.cancel(id);
    } finally {
      await t.close();
    }
  }, 240_000);
});

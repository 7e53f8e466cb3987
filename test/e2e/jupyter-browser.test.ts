/**
 * Jupyter as a person uses it, in Debian's Chromium: sign in to the UI, open the run of
 * examples/jupyter/notebook.yaml from its run page's "Open service" link, create a notebook, run
 * 6*7 in its kernel, see 42, save, and find the .ipynb among the run's artifacts. Jupyter's XSRF
 * protection stays on. Once under the UI's origin (path mode), once at an origin of its own.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { TOKEN, startTestServer, tempDir, waitFor, type TestServer } from '../helpers.js';
import { chromiumWhen, installedBy, openFromRunPage, startExample } from '../service-browser.js';
import { SHOTS } from '../web-env.js';

const auth = { authorization: `Bearer ${TOKEN}` };
const ready = installedBy('jupyter-test-env.sh');

const browser = chromiumWhen(ready);

const startNotebook = (t: TestServer) =>
  startExample(t, 'examples/jupyter/notebook.yaml', { health: { tcp: 8888, interval: 0.2 }, env: { JUPYTER_RUNTIME_DIR: tempDir('jupyter-runtime-') } });

/** Opens Jupyter from the run page; resolves once its file list is shown. */
async function openJupyter(t: TestServer, id: string, shot: string): Promise<{ jupyter: Page; close(): Promise<void> }> {
  const { app, close } = await openFromRunPage(browser(), t, id, 8888);
  await app.locator('#new-dropdown-button').waitFor({ timeout: 60_000 });
  await app.screenshot({ path: join(SHOTS, `${shot}-tree.png`) });
  return { jupyter: app, close };
}

/** New notebook → kernel → 6*7 → 42 → save; resolves with the notebook page. */
async function runSixTimesSeven(tree: Page, shot: string): Promise<Page> {
  await tree.locator('#new-dropdown-button').click();
  const [nb] = await Promise.all([tree.context().waitForEvent('page'), tree.locator('#kernel-python3 a').click()]);
  await nb.locator('#kernel_indicator_icon.kernel_idle_icon').waitFor({ timeout: 90_000 });
  await nb.locator('.CodeMirror').first().click();
  await nb.keyboard.type('6*7');
  await nb.keyboard.press('Shift+Enter');
  const out = nb.locator('.output_subarea.output_result').first();
  await out.waitFor({ timeout: 60_000 });
  expect((await out.textContent())?.trim()).toBe('42');
  await nb.locator('#save-notbook button').click(); // sic: Jupyter's own id
  await nb.locator('#notification_notebook', { hasText: /saved|Checkpoint/i }).waitFor({ timeout: 30_000 }).catch(() => undefined);
  await nb.screenshot({ path: join(SHOTS, `${shot}-notebook.png`) });
  return nb;
}

/** The saved notebook, read back through the artifacts API. */
async function savedNotebook(t: TestServer, id: string): Promise<string> {
  return waitFor('notebook saved with its output', async () => {
    const r = await fetch(`${t.url}/api/v1/runs/${id}/artifacts/Untitled.ipynb`, { headers: auth });
    const text = r.ok ? await r.text() : '';
    return text.includes('6*7') && text.includes('"42"') ? text : undefined;
  }, 30_000);
}

describe.skipIf(!ready)('Jupyter in Chromium through the proxy (Debian jupyter-notebook and chromium; needs root to install)', () => {
  it('under the UI origin (path mode): notebook, kernel, 42, saved as an artifact; XSRF stays on', async () => {
    const t = await startTestServer({ node: { cpus: 8 } });
    try {
      const id = await startNotebook(t);
      const { jupyter, close } = await openJupyter(t, id, 'jupyter-path');
      expect(new URL(jupyter.url()).pathname).toBe(`/runs/${id}/proxy/8888/tree`);
      await runSixTimesSeven(jupyter, 'jupyter-path');
      const nb = JSON.parse(await savedNotebook(t, id)) as { cells: { source: string | string[] }[] };
      expect([nb.cells[0]?.source].flat().join('')).toBe('6*7');
      // Jupyter's own XSRF check is on: a POST without its _xsrf token is refused by Jupyter.
      const noXsrf = await fetch(`${t.url}/runs/${id}/proxy/8888/api/contents`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{"type":"notebook"}' });
      expect(noXsrf.status).toBe(403);
      await close();
      await t.api.cancel(id);
      expect((await t.api.waitForRun(id, { intervalMs: 100 })).status).toBe('canceled');
      const listed = await fetch(`${t.url}/api/v1/runs/${id}/artifacts`, { headers: auth });
      expect(((await listed.json()) as { items: { path: string }[] }).items.map((a) => a.path)).toContain('Untitled.ipynb');
    } finally {
      await t.close();
    }
  }, 300_000);

  it('at an origin of its own (proxy.domain): the same, handed over from the run page', async () => {
    const t = await startTestServer({ node: { cpus: 8 }, proxy: { domain: 'apps.localhost' } });
    try {
      const id = await startNotebook(t);
      const { jupyter, close } = await openJupyter(t, id, 'jupyter-origin');
      const at = new URL(jupyter.url());
      expect(at.host).toBe(`r-${id}-8888.apps.localhost:${new URL(t.url).port}`);
      expect(at.pathname).toBe('/tree');
      await runSixTimesSeven(jupyter, 'jupyter-origin');
      await savedNotebook(t, id);
      // The app's page cannot use Regatta's API: it is not there, and the UI's session is not sent.
      const fromApp = await jupyter.evaluate(async () => {
        const r = await fetch('/api/v1/runs');
        return r.status;
      });
      expect(fromApp).toBe(404); // Jupyter's own 404: the path is Jupyter's on this origin
      await close();
      await t.api.cancel(id);
    } finally {
      await t.close();
    }
  }, 300_000);
});

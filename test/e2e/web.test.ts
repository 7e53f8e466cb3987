/**
 * The web UI in a real browser (Debian's Chromium via playwright-core) against a real server: sign
 * in, run a template through its form, watch it go queued → succeeded without a reload, read its
 * logs, see its metric chart drawn, cancel another run, follow a group; and the runs page over
 * 100,000 stored runs. Screenshots of each page, light and dark, go to test-results/web/.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ROOT, TOKEN, startTestServer, tempDir, waitForStatus, type TestServer } from '../helpers.js';
import { SHOTS, launchChromium, seedFinishedRuns, shoot, signIn } from '../web-env.js';

const WEB_DIST = join(ROOT, 'packages/web/dist/index.html');

// A training job that prints progress, reports a loss curve and a result, then finishes.
const TRAIN = [
  "const fs = require('fs'); const out = process.env.REGATTA_OUTPUTS; const steps = Number(process.env.REGATTA_PARAM_STEPS);",
  "for (let i = 1; i <= steps; i++) { console.log('step ' + i + ' loss ' + (1 / i).toFixed(3)); fs.appendFileSync(out + '/metrics.jsonl', JSON.stringify({ name: 'loss', value: 1 / i, step: i }) + '\\n'); }",
  "fs.writeFileSync(out + '/result.json', JSON.stringify({ test_loss: 0.1, test_accuracy: 0.93 }));",
  "setTimeout(() => console.log('training done'), 1000);",
].join('\n');

/** Pixels of the chart's canvas in the first series' colour (#2563eb): the curve, not just axes. */
function curvePixels(page: Page): Promise<number> {
  // Runs in the page; typed by what it uses, as the tests compile without the DOM library.
  type Canvas = { width: number; height: number; getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null };
  return page.locator('[data-testid=metric-chart] canvas').first().evaluate((c: Canvas) => {
    const ctx = c.getContext('2d');
    if (!ctx) return 0;
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (Math.abs((d[i] ?? 0) - 37) < 40 && Math.abs((d[i + 1] ?? 0) - 99) < 40 && (d[i + 2] ?? 0) > 180) n++;
    return n;
  });
}

describe('web UI', () => {
  let browser: Browser;
  let s: TestServer;
  let context: BrowserContext;

  beforeAll(async () => {
    if (!existsSync(WEB_DIST)) throw new Error('the web UI is not built: run npm run build');
    browser = await launchChromium();
    s = await startTestServer();
    context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  }, 600_000);

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await s?.close();
  });

  it('serves the UI at / with a fallback for its own paths, and never for /api', async () => {
    const page = await fetch(`${s.url}/runs/0123456789abcdefghjk`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="root">');
    const api = await fetch(`${s.url}/api/v1/nope`, { headers: { accept: 'text/html', authorization: `Bearer ${TOKEN}` } });
    expect(api.status).toBe(404);
    expect(api.headers.get('content-type')).toContain('application/problem+json');
  });

  it('signs in with a token, runs a template from its form and watches it live', async () => {
    await s.api.setQueue('web', 1);
    await s.api.pushTemplate('trainer', { spec: { name: 'train', command: [process.execPath, '-e', TRAIN], params: { steps: 20 }, queue: 'web' } });
    const blocker = await s.api.submit({ name: 'blocker', command: 'sleep 60', queue: 'web' });
    await waitForStatus(s.api, blocker.id, 'running');

    const page = await context.newPage();
    await page.goto(`${s.url}/`);
    await page.getByLabel('API token').fill('not-a-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('the token is not valid');
    await shoot(page, 'signin');
    await signIn(page, s.url);

    // The template's form: a bad priority is caught before submitting, then a param override goes through.
    await page.getByRole('link', { name: 'Templates' }).click();
    await page.getByRole('link', { name: 'trainer' }).click();
    await page.getByLabel('steps').fill('30');
    await page.getByLabel('Priority').fill('5000');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await expect.poll(() => page.locator('#f-priority-err').textContent()).toBe('at most 1000');
    await shoot(page, 'template');
    await page.getByLabel('Priority').fill('');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await page.waitForURL(/\/runs\/[0-9a-z]{20}$/);
    const runId = page.url().split('/').pop() ?? '';
    const badge = page.locator('h1 .badge');
    await expect.poll(() => badge.textContent()).toBe('queued');
    expect((await s.api.getRun(runId)).resolved.params).toEqual({ steps: 30 });
    await page.evaluate(() => { (globalThis as { marker?: string }).marker = 'same page'; });

    // Another tab: the runs page, where the blocker is canceled in bulk.
    const list = await context.newPage();
    list.on('dialog', (d) => void d.accept());
    await list.goto(`${s.url}/`);
    const row = (id: string) => list.locator(`tr[data-run="${id}"]`);
    await expect.poll(() => row(runId).locator('.badge').textContent()).toBe('queued');
    await row(blocker.id).getByRole('checkbox').check();
    await list.getByRole('button', { name: /Cancel selected \(1\)/ }).click();
    await expect.poll(() => row(blocker.id).locator('.badge').textContent(), { timeout: 15_000 }).toBe('canceled');

    // Both tabs follow the run to the end on their own; the runs list only through the event stream.
    await expect.poll(() => badge.textContent(), { timeout: 30_000 }).toBe('succeeded');
    await expect.poll(() => row(runId).locator('.badge').textContent(), { timeout: 15_000 }).toBe('succeeded');
    expect(await page.evaluate(() => (globalThis as { marker?: string }).marker)).toBe('same page');
    await shoot(list, 'runs');

    const timeline = await page.getByTestId('timeline').textContent();
    for (const st of ['queued', 'starting', 'running', 'succeeded']) expect(timeline).toContain(st);
    await shoot(page, 'run-overview');

    await page.getByRole('tab', { name: 'Logs' }).click();
    await expect.poll(() => page.getByTestId('log').textContent()).toContain('training done');
    expect(await page.getByTestId('log').textContent()).toContain('step 30 loss 0.033');
    await page.getByLabel('Search loaded lines').fill('step 2');
    await expect.poll(() => page.getByText(/\d+ \/ \d+ matches/).textContent()).toBe('1 / 11 matches');
    await shoot(page, 'run-logs');

    await page.getByRole('tab', { name: 'Metrics' }).click();
    await page.locator('[data-testid=metric-chart] canvas').first().waitFor();
    await expect.poll(() => curvePixels(page)).toBeGreaterThan(50);
    await shoot(page, 'run-metrics');

    await page.getByRole('tab', { name: 'Result' }).click();
    expect(JSON.parse((await page.getByTestId('result').textContent()) ?? '')).toEqual({ test_loss: 0.1, test_accuracy: 0.93 });
    await page.getByRole('tab', { name: 'Spec' }).click();
    await shoot(page, 'run-spec');

    await page.goto(`${s.url}/compare?ids=${runId},${blocker.id}`);
    await page.getByRole('table', { name: 'Spec differences' }).waitFor();
    expect(await page.getByRole('table', { name: 'Spec differences' }).textContent()).toContain('blocker');
    await shoot(page, 'compare');

    await page.getByRole('link', { name: 'Queues & nodes' }).click();
    await page.getByRole('heading', { name: 'Nodes', exact: true }).waitFor();
    await page.getByLabel('Concurrency limit of web').fill('3');
    await page.getByRole('row', { name: /web/ }).getByRole('button', { name: 'Save' }).click();
    await expect.poll(async () => (await s.api.queues()).items.find((q) => q.name === 'web')?.concurrency).toBe(3);
    await shoot(page, 'cluster');
    await list.close();
    await page.close();
  }, 90_000);

  it('shows a group filling its progress bar live, with its results and chart', async () => {
    const page = await context.newPage(); // signed in already: the context keeps the session cookie
    const g = await s.api.submitGroup({
      name: 'sweep', command: `sleep 0.3; echo "{\\"name\\":\\"acc\\",\\"value\\":$((REGATTA_PARAM_LR * 3))}" > "$REGATTA_OUTPUTS/metrics.jsonl"`,
      foreach: { param: 'lr', values: [1, 2, 3, 4, 5, 6] }, max_parallel: 2,
    });
    await page.goto(`${s.url}/groups/${g.groupId}`);
    const bar = page.getByRole('progressbar');
    await bar.waitFor();
    const seen = new Set<string>();
    await expect.poll(async () => {
      seen.add((await bar.getAttribute('aria-valuenow')) ?? '');
      return bar.getAttribute('aria-valuenow');
    }, { timeout: 30_000, interval: 50 }).toBe('6');
    expect(seen.size).toBeGreaterThan(1); // it moved while the page stayed open
    await expect.poll(() => page.locator('h1 .badge').textContent()).toBe('succeeded');
    expect(await page.getByTestId('group-counts').textContent()).toContain('6 / 6 done · 6 succeeded');
    await expect.poll(() => page.getByTestId('results-table').locator('tbody tr').count()).toBe(6);
    await page.getByRole('button', { name: 'metrics.acc', exact: true }).click();
    await expect.poll(() => page.getByTestId('results-table').locator('tbody tr').first().textContent()).toContain('3');
    await expect.poll(() => page.locator('[data-testid=sweep-point]').count()).toBe(6);
    await shoot(page, 'group');
    await page.close();
  }, 60_000);
});

describe('web UI over 100,000 runs', () => {
  let browser: Browser;
  let s: TestServer;

  beforeAll(async () => {
    browser = await launchChromium();
    const data = tempDir();
    const seeded = await seedFinishedRuns(data, 100_000);
    console.log(`seeded 100,000 runs in ${Math.round(seeded.ms)} ms`);
    s = await startTestServer({ data });
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await s?.close();
  });

  it('renders the first page of runs, pages and searches', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    const page = await context.newPage();
    await signIn(page, s.url);
    const t0 = performance.now();
    await page.goto(`${s.url}/`);
    await page.locator('tr[data-run]').first().waitFor();
    const firstRows = performance.now() - t0;
    await expect.poll(() => page.getByTestId('runs-count').textContent()).toBe('1–50 of 100,000');
    const withCount = performance.now() - t0;
    await shoot(page, 'runs-100k');
    await page.getByRole('button', { name: 'Older →' }).click();
    await expect.poll(() => page.getByTestId('runs-count').textContent()).toBe('51–100 of 100,000');
    const t1 = performance.now();
    await page.getByLabel('Search').fill('item-77777');
    await expect.poll(() => page.getByTestId('runs-count').textContent()).toBe('1–1 of 1');
    const search = performance.now() - t1;
    const api0 = performance.now();
    await s.api.listRuns({ limit: 50, total: true, status: 'succeeded' });
    const apiMs = performance.now() - api0;
    const timings = { firstRowsMs: Math.round(firstRows), withTotalMs: Math.round(withCount), searchMs: Math.round(search), apiPageWithTotalMs: Math.round(apiMs) };
    console.log('runs page over 100,000 runs:', timings);
    writeFileSync(join(SHOTS, 'timings-100k.json'), `${JSON.stringify(timings, null, 2)}\n`);
    await context.close();
  }, 60_000);
});

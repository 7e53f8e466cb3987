/**
 * The web UI as an experiment tracker, in Debian's Chromium over the real server with real runs: a
 * 12-item lr × depth sweep reporting 400-step metrics, a failing run, a queued one. Asserts the data
 * the charts and tables show (one sweep point per item with its values, sorted and filtered rows),
 * not only that something is drawn; screenshots every page at 1440 and 800 px, light and dark.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { TOKEN, openTestStore, startTestServer, tempDir, waitFor, waitForStatus, type TestServer } from '../helpers.js';
import { launchChromium, shoot, signIn } from '../web-env.js';
import { compileSpec, newId } from '@regatta/core';

// Loss falls over 400 steps towards a floor set by lr and depth; the result holds the final loss.
const TRAIN = [
  "const fs = require('fs'); const out = process.env.REGATTA_OUTPUTS;",
  'const lr = Number(process.env.REGATTA_PARAM_LR), depth = Number(process.env.REGATTA_PARAM_DEPTH);',
  'const floor = Math.round((0.05 + lr * 4 + depth / 50) * 10000) / 10000; const lines = [];',
  "for (let s = 1; s <= 400; s++) { const loss = floor + 2 / s; lines.push(JSON.stringify({ name: 'loss', value: loss, step: s }), JSON.stringify({ name: 'accuracy', value: 1 - loss / 3, step: s })); }",
  "fs.writeFileSync(out + '/metrics.jsonl', lines.join('\\n') + '\\n');",
  "fs.writeFileSync(out + '/result.json', JSON.stringify({ final_loss: floor, lr, depth }));",
  "console.log('done', floor);",
].join('\n');
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';
// Writes one file of each kind the UI previews; the Markdown carries HTML that must not run.
const REPORT = [
  "const fs = require('fs'); const out = process.env.REGATTA_OUTPUTS;",
  `fs.writeFileSync(out + '/plot.png', Buffer.from('${PNG}', 'base64'));`,
  "fs.writeFileSync(out + '/summary.json', JSON.stringify({ acc: 0.93, classes: ['cat', 'dog'] }));",
  "fs.writeFileSync(out + '/table.csv', 'epoch,loss,note\\n1,0.9,\"warm, up\"\\n2,0.5,ok\\n');",
  "fs.writeFileSync(out + '/README.md', '# Report\\n\\nLoss **fell**.\\n\\n<img src=x onerror=\"window.pwned=1\">\\n<script>window.pwned=1</script>\\n');",
  "fs.writeFileSync(out + '/train.log', 'line one\\nline two\\n');",
].join('\n');
const LRS = [0.001, 0.01, 0.1];
const DEPTHS = [2, 4, 8, 16];
const floorOf = (lr: number, depth: number) => Math.round((0.05 + lr * 4 + depth / 50) * 10000) / 10000;

type Point = { id: string; x: number; y: number; best: boolean };
function sweepPoints(page: Page): Promise<Point[]> {
  type El = { getAttribute(n: string): string | null };
  return page.locator('[data-testid=sweep-point]').evaluateAll((els: El[]) => els.map((e) => ({
    id: e.getAttribute('data-id') ?? '', x: Number(e.getAttribute('data-x')), y: Number(e.getAttribute('data-y')), best: e.getAttribute('data-best') === 'true',
  })));
}

/** Whether the page scrolls sideways, and whether "Sign out" lies inside the viewport. */
async function layout(page: Page): Promise<{ sideways: boolean; signOutVisible: boolean }> {
  type Doc = { documentElement: { scrollWidth: number; clientWidth: number } };
  const sideways = await page.evaluate(() => {
    const d = (globalThis as { document?: Doc }).document;
    return d ? d.documentElement.scrollWidth > d.documentElement.clientWidth + 1 : true;
  });
  const box = await page.getByRole('button', { name: 'Sign out' }).boundingBox();
  const vw = page.viewportSize()?.width ?? 0;
  return { sideways, signOutVisible: Boolean(box && box.x >= 0 && box.x + box.width <= vw) };
}

describe('web UI as an experiment tracker', () => {
  let browser: Browser;
  let s: TestServer;
  let wide: BrowserContext;
  let narrow: BrowserContext;
  let groupId = '';
  let failedId = '';
  let blockerId = '';
  let queuedId = '';
  /** Every page visited, for the 800 px pass. */
  const pages: { name: string; path: string }[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
    s = await startTestServer();
    const g = await s.api.submitGroup({
      name: 'sweep', command: [process.execPath, '-e', TRAIN], matrix: { lr: LRS, depth: DEPTHS }, max_parallel: 4,
    });
    groupId = g.groupId;
    const failed = await s.api.submit({
      name: 'diverged', command: [process.execPath, '-e', "for (let i = 1; i <= 30; i++) console.log('epoch ' + i + ' loss nan'); console.error('RuntimeError: loss is NaN'); process.exit(3);"],
    });
    failedId = failed.id;
    await s.api.setQueue('held', 1);
    blockerId = (await s.api.submit({ name: 'blocker', command: 'sleep 120', queue: 'held' })).id;
    await waitForStatus(s.api, blockerId, 'running');
    queuedId = (await s.api.submit({ name: 'waiting', command: 'true', queue: 'held', resources: { cpus: 1 } })).id;
    await waitFor('the sweep to finish', async () => (await s.api.getGroup(groupId)).status === 'succeeded', 120_000);
    await waitForStatus(s.api, failedId, 'failed');
    wide = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    narrow = await browser.newContext({ viewport: { width: 800, height: 900 } });
    await signIn(await wide.newPage(), s.url);
    await signIn(await narrow.newPage(), s.url);
  }, 300_000);

  afterAll(async () => {
    await wide?.close();
    await narrow?.close();
    await browser?.close();
    await s?.close();
  });

  it('draws one sweep point per item with its values, whatever the table order, and highlights the best', async () => {
    const page = await wide.newPage();
    await page.goto(`${s.url}/groups/${groupId}`);
    await expect.poll(() => page.title()).toBe('sweep (group) · Regatta');
    await page.getByRole('combobox', { name: /^Metric/ }).selectOption('result.final_loss');
    await page.getByRole('combobox', { name: /^Param/ }).selectOption('params.lr');
    await expect.poll(() => page.locator('[data-testid=sweep-point]').count(), { timeout: 20_000 }).toBe(12);
    const results = await s.api.groupResults(groupId);
    const expected = results.rows.map((r) => ({ id: String(r.id), x: Number(r['params.lr']), y: Number(r['result.final_loss']) }));
    const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);
    const drawn = await sweepPoints(page);
    expect(drawn.map(({ id, x, y }) => ({ id, x, y })).sort(byId)).toEqual(expected.sort(byId));
    // Every item's value from the formula, so the chart shows what the runs reported.
    expect(drawn.map((p) => p.y).sort()).toEqual(LRS.flatMap((lr) => DEPTHS.map((d) => floorOf(lr, d))).sort());
    // The axis covers every value, the largest included.
    const yDomain = JSON.parse((await page.getByTestId('sweep-scatter').getAttribute('data-y-domain')) ?? '[]') as number[];
    expect(yDomain[0]).toBeLessThanOrEqual(Math.min(...expected.map((e) => e.y)));
    expect(yDomain[1]).toBeGreaterThanOrEqual(Math.max(...expected.map((e) => e.y)));
    // The lowest loss is the best item, named above the charts.
    const best = drawn.filter((p) => p.best);
    expect(best).toHaveLength(1);
    expect(best[0]?.y).toBe(floorOf(0.001, 2));
    expect(await page.getByTestId('sweep-best').textContent()).toContain(`Best result.final_loss: ${floorOf(0.001, 2)}`);

    // Another param on x, and another table order: still 12 points with the same values.
    await page.getByRole('combobox', { name: /^Param/ }).selectOption('params.depth');
    await page.getByRole('button', { name: 'params.depth', exact: true }).click();
    await expect.poll(async () => (await sweepPoints(page)).map((p) => `${p.x}:${p.y}`).sort()).toEqual(
      results.rows.map((r) => `${Number(r['params.depth'])}:${Number(r['result.final_loss'])}`).sort(),
    );

    // Parallel coordinates: one line per item through lr, depth and the metric.
    type El = { getAttribute(n: string): string | null };
    const lines = await page.locator('[data-testid=sweep-line]').evaluateAll((els: El[]) => els.map((e) => JSON.parse(e.getAttribute('data-values') ?? '[]') as number[]));
    expect(lines).toHaveLength(12);
    const axes = ['params.lr', 'params.depth', 'result.final_loss'];
    const cols = results.columns.filter((c) => c.startsWith('params.'));
    expect(lines.map((l) => l.join()).sort()).toEqual(results.rows.map((r) => [...cols, 'result.final_loss'].map((c) => Number(r[c])).join()).sort());
    expect(cols.sort()).toEqual(axes.slice(0, 2).sort());
    await shoot(page, 'tracker-group');
    pages.push({ name: 'group', path: `/groups/${groupId}` });

    // Select two items on the chart and compare them: metrics overlaid per metric.
    const two = drawn.slice(0, 2);
    for (const p of two) await page.locator(`[data-testid=sweep-point][data-id="${p.id}"]`).click();
    await page.getByRole('link', { name: 'Compare selected (2)' }).click();
    await page.waitForURL(/\/compare\?ids=/);
    await expect.poll(() => page.locator('[data-testid=metric-chart]').count(), { timeout: 20_000 }).toBe(2);
    const series = JSON.parse((await page.locator('[data-testid=metric-chart][data-metric=loss]').getAttribute('data-series')) ?? '[]') as { run: string; points: number }[];
    await expect.poll(async () => (JSON.parse((await page.locator('[data-testid=metric-chart][data-metric=loss]').getAttribute('data-series')) ?? '[]') as { points: number }[]).map((x) => x.points)).toEqual([400, 400]);
    expect(series.map((x) => x.run).sort()).toEqual(two.map((p) => p.id).sort());
    await shoot(page, 'tracker-compare');
    pages.push({ name: 'compare', path: new URL(page.url()).pathname + new URL(page.url()).search });
    await page.close();
  }, 120_000);

  it('lists runs with param, result and metric columns, sorted and filtered on the server, the view in the URL', async () => {
    const page = await wide.newPage();
    const path = `/?group=${groupId}&cols=params.lr,params.depth,result.final_loss,metrics.loss.min&sort=-result.final_loss`;
    await page.goto(`${s.url}${path}`);
    const column = (field: string) => page.locator(`td[data-field="${field}"]`).evaluateAll((els: { getAttribute(n: string): string | null }[]) => els.map((e) => Number(e.getAttribute('title'))));
    await expect.poll(async () => (await column('result.final_loss')).length, { timeout: 20_000 }).toBe(12);
    const all = LRS.flatMap((lr) => DEPTHS.map((d) => floorOf(lr, d)));
    expect(await column('result.final_loss')).toEqual([...all].sort((a, b) => b - a));
    // loss.min is the last step's loss: floor + 2/400.
    expect((await column('metrics.loss.min')).map((v) => Math.round((v - 0.005) * 10000) / 10000)).toEqual([...all].sort((a, b) => b - a));
    expect(await page.locator('th[aria-sort=descending]').textContent()).toContain('result.final_loss');
    expect(await page.locator('tr[data-run] td:nth-child(7)').first().textContent()).toBe('sweep'); // the group's name
    await shoot(page, 'tracker-runs-columns');

    // A header cycles descending → unsorted (newest first) → ascending; then a field filter typed
    // in: both land in the URL.
    await page.getByRole('button', { name: /^result\.final_loss/ }).click();
    await expect.poll(() => page.locator('th[aria-sort=descending], th[aria-sort=ascending]').count()).toBe(0);
    await page.getByRole('button', { name: /^result\.final_loss/ }).click();
    await expect.poll(() => column('result.final_loss')).toEqual([...all].sort((a, b) => a - b));
    await page.getByLabel('Field filter').fill('params.depth=8');
    await page.getByLabel('Field filter').press('Enter');
    await expect.poll(() => column('params.depth')).toEqual([8, 8, 8]);
    expect(await column('params.lr')).toEqual([0.001, 0.01, 0.1]);
    const url = new URL(page.url());
    expect(url.searchParams.getAll('filter')).toEqual(['params.depth=8']);
    expect(url.searchParams.get('sort')).toBe('result.final_loss');
    // The saved view opens the same rows.
    const again = await wide.newPage();
    await again.goto(page.url());
    await expect.poll(() => again.getByTestId('runs-count').textContent(), { timeout: 20_000 }).toBe('1–3 of 3');
    await again.close();

    // A filter the server cannot read: the field and why, from a problem+json answer.
    await page.getByLabel('Field filter').fill('loss<2');
    await page.getByLabel('Field filter').press('Enter');
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('query.filter[1]');
    const res = await fetch(`${s.url}/api/v1/runs?sort=loss`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(((await res.json()) as { errors: { path: string }[] }).errors[0]?.path).toBe('query.sort');
    pages.push({ name: 'runs', path });
    await page.close();
  }, 120_000);

  it('charts each metric on its own panel, says why a run failed and what a queued run waits for', async () => {
    const page = await wide.newPage();
    const { rows } = await s.api.groupResults(groupId);
    const runId = String(rows[0]?.id);
    await page.goto(`${s.url}/runs/${runId}?tab=metrics`);
    await expect.poll(() => page.locator('[data-testid=metric-chart]').count(), { timeout: 20_000 }).toBe(2);
    expect(await page.locator('[data-testid=metric-chart]').evaluateAll((els: { getAttribute(n: string): string | null }[]) => els.map((e) => e.getAttribute('data-metric')))).toEqual(['accuracy', 'loss']);
    await expect.poll(() => page.locator('[data-testid=metric-chart][data-metric=loss] [data-testid=metric-points]').textContent()).toBe('400 points');
    await page.getByLabel('log y').check();
    await page.getByLabel('Smoothing (EMA weight)').fill('0.9');
    await page.locator('[data-testid=metric-chart] canvas').first().waitFor();
    await shoot(page, 'tracker-run-metrics');
    pages.push({ name: 'run-metrics', path: `/runs/${runId}?tab=metrics` });
    // A finished run's log has nothing to follow.
    await page.getByRole('tab', { name: 'Logs' }).click();
    await expect.poll(() => page.getByTestId('log').textContent()).toContain('done');
    expect(await page.getByLabel('Follow').count()).toBe(0);

    await page.goto(`${s.url}/runs/${failedId}`);
    await expect.poll(() => page.getByTestId('log-tail').textContent(), { timeout: 20_000 }).toContain('RuntimeError: loss is NaN');
    const failure = (await page.getByTestId('failure').textContent()) ?? '';
    expect(failure).toContain('exit code 3');
    expect(await page.getByTestId('log-tail').textContent()).toContain('epoch 30 loss nan');
    expect(await page.title()).toBe(`diverged ${failedId.slice(-6)} (failed) · Regatta`);
    await shoot(page, 'tracker-run-failed');
    pages.push({ name: 'run-failed', path: `/runs/${failedId}` });

    await page.goto(`${s.url}/runs/${queuedId}`);
    await expect.poll(() => page.getByTestId('wait-reason').textContent(), { timeout: 20_000 }).toBe('queue held is at its limit (1 of 1 running)');
    await shoot(page, 'tracker-run-queued');
    pages.push({ name: 'run-queued', path: `/runs/${queuedId}` });

    // Cancel asks first: dismissed, nothing happens; accepted, the run is canceled.
    await page.goto(`${s.url}/runs/${blockerId}?tab=logs`);
    expect(await page.getByLabel('Follow').isChecked()).toBe(true); // live: the box shows
    const messages: string[] = [];
    page.once('dialog', (d) => { messages.push(d.message()); void d.dismiss(); });
    await page.getByRole('button', { name: 'Cancel', exact: true }).click();
    await expect.poll(() => messages.length).toBe(1);
    expect(messages[0]).toContain(blockerId);
    expect((await s.api.getRun(blockerId)).status).toBe('running');
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Cancel', exact: true }).click();
    await waitForStatus(s.api, blockerId, 'canceled');
    await page.close();
  }, 120_000);

  it('previews artifacts (image, JSON, CSV as a table, sanitised Markdown, text) and shows a template\'s files', async () => {
    const report = await s.api.submit({ name: 'report', command: [process.execPath, '-e', REPORT] });
    await waitForStatus(s.api, report.id, 'succeeded');
    const page = await wide.newPage();
    await page.goto(`${s.url}/runs/${report.id}?tab=artifacts`);
    const open = (path: string) => page.getByRole('button', { name: path, exact: true }).click();
    await open('plot.png');
    await expect.poll(() => page.getByTestId('preview-image').evaluate((img: { naturalWidth: number }) => img.naturalWidth)).toBe(1);
    await open('summary.json');
    await expect.poll(() => page.getByTestId('preview-text').textContent()).toBe(JSON.stringify({ acc: 0.93, classes: ['cat', 'dog'] }, null, 2));
    await open('table.csv');
    await expect.poll(() => page.getByTestId('preview-table').locator('tbody tr').count()).toBe(2);
    expect(await page.getByTestId('preview-table').locator('thead th').allTextContents()).toEqual(['epoch', 'loss', 'note']);
    expect(await page.getByTestId('preview-table').locator('tbody tr').first().locator('td').allTextContents()).toEqual(['1', '0.9', 'warm, up']);
    await open('README.md');
    await expect.poll(() => page.getByTestId('preview-markdown').locator('h1').textContent()).toBe('Report');
    expect(await page.getByTestId('preview-markdown').locator('strong').textContent()).toBe('fell');
    expect(await page.getByTestId('preview-markdown').locator('script').count()).toBe(0);
    await page.waitForTimeout(300);
    expect(await page.evaluate(() => (globalThis as { pwned?: number }).pwned)).toBeUndefined();
    await shoot(page, 'tracker-artifacts');
    pages.push({ name: 'artifacts', path: `/runs/${report.id}?tab=artifacts` });
    await open('train.log');
    await expect.poll(() => page.getByTestId('preview-text').textContent()).toBe('line one\nline two\n');

    // A template's attached files, read through the API.
    const dir = tempDir('regatta-tpl-');
    writeFileSync(join(dir, 'train.py'), 'print("hello from the template")\n');
    const tar = join(tempDir('regatta-tar-'), 'files.tar.gz');
    execFileSync('tar', ['-czf', tar, '-C', dir, '.']);
    const up = await s.api.upload(readFileSync(tar));
    await s.api.pushTemplate('with-files', { spec: { command: 'python3 train.py' }, files: up.ref });
    await page.goto(`${s.url}/templates/with-files`);
    await page.getByRole('button', { name: 'train.py', exact: true }).click();
    await expect.poll(() => page.getByTestId('preview-text').textContent()).toBe('print("hello from the template")\n');
    await shoot(page, 'tracker-template-files');
    pages.push({ name: 'template', path: '/templates/with-files' });
    const escape = await fetch(`${s.url}/api/v1/templates/with-files/files/..%2F..%2Fregatta.db`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(escape.status).toBe(400);
    await page.close();
  }, 120_000);

  it('lays every page out at 800 px without sideways scrolling, Sign out in view; screenshots light and dark', async () => {
    pages.push({ name: 'templates', path: '/templates' }, { name: 'cluster', path: '/cluster' }, { name: 'groups', path: '/groups' }, { name: 'runs-all', path: '/' });
    const page = await narrow.newPage();
    const bad: string[] = [];
    for (const p of pages) {
      await page.goto(`${s.url}${p.path}`);
      await page.locator('main h1').first().waitFor();
      await page.waitForTimeout(500);
      const l = await layout(page);
      if (l.sideways || !l.signOutVisible) bad.push(`${p.name}: ${JSON.stringify(l)}`);
      await shoot(page, `tracker-800-${p.name}`);
    }
    expect(bad).toEqual([]);
    await page.close();
  }, 120_000);
});

describe('a 1,000,000-point metric', () => {
  let browser: Browser;
  let s: TestServer;
  let runId = '';

  beforeAll(async () => {
    browser = await launchChromium();
    const data = tempDir();
    const store = await openTestStore(data);
    const { spec, resolved } = compileSpec({ name: 'long', command: 'true' });
    const now = Date.now() - 3_600_000;
    runId = newId(now);
    await store.createRun({ id: runId, name: 'long', status: 'succeeded', queue: 'default', priority: 0, labels: {}, spec, resolved, createdAt: now, updatedAt: now, startedAt: now, finishedAt: now + 3_000_000, attempt: 1, exitCode: 0 }, { attempt: 0, ts: now, to: 'queued' });
    const N = 1_000_000;
    for (let i = 0; i < N; i += 50_000) {
      await store.addMetrics(runId, 1, Array.from({ length: 50_000 }, (_, k) => ({ name: 'loss', value: 1 / Math.sqrt(i + k + 1) + (((i + k) * 7919) % 101) / 5000, step: i + k, ts: now + i + k })));
    }
    await store.close();
    s = await startTestServer({ data });
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await s?.close();
  });

  it('renders downsampled on the server', async () => {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    await signIn(page, s.url);
    const t0 = performance.now();
    await page.goto(`${s.url}/runs/${runId}?tab=metrics`);
    await expect.poll(() => page.getByTestId('metric-points').textContent(), { timeout: 30_000, interval: 20 }).toMatch(/of 1,000,000 points \(downsampled\)/);
    await page.locator('[data-testid=metric-chart] canvas').first().waitFor();
    const ms = performance.now() - t0;
    console.log(`a 1,000,000-point metric: page load to chart drawn in ${Math.round(ms)} ms`);
    const series = JSON.parse((await page.getByTestId('metric-chart').getAttribute('data-series')) ?? '[]') as { points: number; total: number }[];
    expect(series[0]?.total).toBe(1_000_000);
    expect(series[0]?.points).toBeLessThanOrEqual(2000);
    expect(series[0]?.points).toBeGreaterThan(1000);
    await shoot(page, 'tracker-1m-metric');
    await context.close();
  }, 120_000);
});

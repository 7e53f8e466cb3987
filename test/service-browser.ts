/** Service apps in Chromium as a person opens them: installed by the project's script, opened from the run page's link. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { ROOT, TOKEN, waitFor, type TestServer } from './helpers.js';
import { launchChromium } from './web-env.js';

/** Whether `scripts/<script> install` left the app's Debian packages installed (it needs root to install). */
export function installedBy(script: string): boolean {
  if (process.getuid?.() !== 0) return false;
  try {
    execFileSync(join(ROOT, 'scripts', script), ['install'], { stdio: 'pipe', timeout: 600_000 });
    return true;
  } catch {
    return false;
  }
}

/** Starts Chromium for the file's tests when the app is there (and closes it after them); call inside a test. */
export function chromiumWhen(ready: boolean): () => Browser {
  let browser: Browser | undefined;
  beforeAll(async () => {
    if (ready) browser = await launchChromium();
  }, 600_000);
  afterAll(async () => {
    await browser?.close();
  });
  return () => {
    if (!browser) throw new Error('Chromium is not running');
    return browser;
  };
}

/** Submits an example spec as written (plus `extra`) and waits until its health check passes. */
export async function startExample(t: TestServer, file: string, extra: Record<string, unknown>): Promise<string> {
  const spec = parseYaml(readFileSync(join(ROOT, file), 'utf8')) as Record<string, unknown>;
  const { id } = await t.api.submit({ ...spec, ...extra });
  await waitFor(`${file} healthy`, async () => ((await t.api.getRun(id)).health === 'healthy' ? true : undefined), 90_000);
  return id;
}

/** Signs in to the UI, opens the run page and follows its "Open service :<port>" link; resolves with the app's page. */
export async function openFromRunPage(browser: Browser, t: TestServer, id: string, port: number): Promise<{ app: Page; close(): Promise<void> }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${t.url}/`);
  await page.getByLabel('API token').fill(TOKEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Runs' }).waitFor();
  await page.goto(`${t.url}/runs/${id}`);
  const link = page.getByRole('link', { name: `Open service :${port}` });
  await link.waitFor({ timeout: 30_000 });
  const [app] = await Promise.all([context.waitForEvent('page'), link.click()]);
  return { app, close: () => context.close() };
}

/** The browser side of the web UI tests: Debian's Chromium driven by playwright-core, and a fast seed of many runs. */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { compileSpec, emptyCounts, newId, type RunRecord } from '@regatta/core';
import { ROOT, TOKEN, openTestStore } from './helpers.js';

export const SHOTS = join(ROOT, 'test-results/web');
export const CHROMIUM = '/usr/bin/chromium';

/** Installs Debian's chromium when missing (scripts/chromium-test-env.sh) and starts it headless. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) execFileSync(join(ROOT, 'scripts/chromium-test-env.sh'), ['install'], { stdio: 'inherit', timeout: 600_000 });
  mkdirSync(SHOTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--disable-background-networking', '--disable-component-update', '--disable-default-apps', '--disable-sync',
      '--no-first-run', '--disable-dev-shm-usage', '--metrics-recording-only', '--disable-extensions',
      // Chromium refuses to run as root with its sandbox; the tests run as root in CI containers.
      ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
    ],
  });
}

/** Signs in through the form with the admin token and waits for the runs page. */
export async function signIn(page: Page, url: string): Promise<void> {
  await page.goto(`${url}/`);
  await page.getByLabel('API token').fill(TOKEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Runs' }).waitFor();
}

/** A screenshot of the page in light and in dark (prefers-color-scheme), saved as test artifacts. */
export async function shoot(page: Page, name: string): Promise<void> {
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.waitForTimeout(150); // charts redraw with the scheme's colours
    await page.screenshot({ path: join(SHOTS, `${name}-${scheme}.png`), fullPage: true });
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

/**
 * Writes `count` finished runs (one group, as a big foreach would leave them) straight into a data
 * directory's store before a server opens it: the realistic shape, without running 100,000 processes.
 */
export async function seedFinishedRuns(dataDir: string, count: number): Promise<{ groupId: string; ms: number }> {
  const t0 = performance.now();
  const store = await openTestStore(dataDir);
  const { spec, resolved } = compileSpec({ name: 'eval', command: 'true' });
  const now = Date.now() - count * 1000;
  const groupId = newId(now);
  const counts = { ...emptyCounts(), succeeded: count };
  const runs: Omit<RunRecord, 'seq'>[] = [];
  for (let i = 0; i < count; i++) {
    const at = now + i * 1000;
    runs.push({
      id: newId(at), name: 'eval', status: 'succeeded', queue: 'default', priority: 0, labels: { shard: String(i % 10) },
      spec, resolved: { ...resolved, params: { scene: i } }, createdAt: at, updatedAt: at, startedAt: at, finishedAt: at + 500,
      attempt: 1, exitCode: 0, groupId, itemKey: `item-${i}`,
    });
  }
  await store.createGroup({ id: groupId, name: 'eval', status: 'succeeded', total: count, counts, failFast: false, spec: { name: 'eval' }, createdAt: now, updatedAt: now }, runs);
  await store.close();
  return { groupId, ms: performance.now() - t0 };
}

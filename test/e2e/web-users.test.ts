/**
 * Signing in to the web UI with a personal token in a real browser (Debian's Chromium via
 * playwright-core) against a real server: the page shows who is signed in, filters to their runs,
 * and shows the server's 403 when a member tries to cancel someone else's run.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { RegattaClient } from '@regatta/sdk';
import { ROOT, startTestServer, waitForStatus, type TestServer } from '../helpers.js';
import { launchChromium, shoot } from '../web-env.js';

let browser: Browser;
let s: TestServer;

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'packages/web/dist/index.html'))) throw new Error('the web UI is not built: run npm run build');
  browser = await launchChromium();
  s = await startTestServer();
}, 600_000);
afterAll(async () => {
  await browser?.close();
  await s?.close();
});

it('signs in with a personal token, shows who is signed in, filters to their runs and refuses another\'s cancel', async () => {
  const { token } = await s.api.users.add({ name: 'alice', role: 'member' });
  const alice = new RegattaClient({ url: s.url, token: token.token });
  const theirs = await s.api.submit({ name: 'admins-job', command: 'sleep 60' });
  const mine = await alice.submit({ name: 'alices-job', command: 'sleep 60' });
  await waitForStatus(s.api, theirs.id, 'running');

  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  await page.goto(`${s.url}/`);
  await page.getByLabel('API token').fill(token.token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Runs' }).waitFor();
  await expect.poll(() => page.getByTestId('whoami').textContent()).toBe('Signed in as alice member');

  await page.getByRole('link', { name: 'admins-job' }).waitFor(); // everyone's runs first
  await page.getByRole('button', { name: 'Mine' }).click();
  await expect.poll(() => page.url()).toContain('user=alice');
  // The filtered page replaces the list when it arrives: poll, not a single look.
  await expect.poll(() => page.getByRole('link', { name: 'admins-job' }).count()).toBe(0);
  await page.getByRole('link', { name: 'alices-job' }).waitFor();
  await shoot(page, 'signed-in-member');

  await page.goto(`${s.url}/runs/${theirs.id}`);
  await page.getByText('by admin').first().waitFor();
  page.once('dialog', (d) => void d.accept());
  await page.getByRole('button', { name: 'Cancel', exact: true }).click();
  await expect.poll(() => page.getByRole('alert').textContent()).toContain(`run ${theirs.id} was submitted by admin; members may cancel only their own runs`);
  expect((await s.api.getRun(theirs.id)).status).toBe('running');

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('API token').waitFor();
  await context.close();
  for (const id of [theirs.id, mine.id]) await s.api.cancel(id);
});

/**
 * A queue's per-user limit (`queues: {gpu: {concurrency: 8, perUser: 2}}`) on a real server with real
 * processes: a user's third run waits while another user's runs start, and `regatta show` says why.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RegattaClient } from '@regatta/sdk';
import { runCli, startTestServer, waitFor, type TestServer } from '../helpers.js';

let t: TestServer;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  t = await startTestServer({ queues: { gpu: { concurrency: 8, perUser: 2 } } });
  for (const name of ['alice', 'bob']) tokens[name] = (await t.api.users.add({ name, role: 'member' })).token.token;
});
afterAll(async () => {
  await t.close();
});

it("holds each user to the queue's perUser limit while others' runs start; the wait reason names the per-user limit", async () => {
  const alice = new RegattaClient({ url: t.url, token: tokens.alice ?? '' });
  const bob = new RegattaClient({ url: t.url, token: tokens.bob ?? '' });
  const spec = { command: 'sleep 60', queue: 'gpu', resources: { cpus: 0.1 } };
  const a = [await alice.submit(spec), await alice.submit(spec), await alice.submit(spec)];
  const b = await bob.submit(spec);
  const status = async (id: string) => (await t.api.getRun(id)).status;
  await waitFor('two of alice\'s runs and bob\'s to run', async () =>
    (await status(a[0]?.id ?? '')) === 'running' && (await status(a[1]?.id ?? '')) === 'running' && (await status(b.id)) === 'running', 30_000);
  expect(await status(a[2]?.id ?? '')).toBe('queued');
  const q = (await t.api.queues()).items.find((x) => x.name === 'gpu');
  expect(q).toMatchObject({ concurrency: 8, perUser: 2, active: 3, activeByUser: { alice: 2, bob: 1 } });

  const show = await runCli(['show', a[2]?.id ?? ''], { url: t.url, token: tokens.alice ?? '' });
  expect(show.code, show.stderr).toBe(0);
  expect(show.stdout).toContain("waiting for a slot: per-user limit, queue gpu runs at most 2 of each user's runs at once (alice has 2 active)");

  await alice.cancel(a[0]?.id ?? '');
  await waitFor("alice's third run to start once her first ended", async () => (await status(a[2]?.id ?? '')) === 'running', 30_000);
  for (const id of [a[1]?.id, a[2]?.id, b.id]) await t.api.cancel(id ?? '');
});

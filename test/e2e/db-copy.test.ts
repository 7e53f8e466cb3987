/**
 * `regatta db copy`: an install that ran on SQLite (real runs, a group, metrics, a template) moved
 * into a real PostgreSQL with the real CLI, then served from there by a new server.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '@regatta/core';
import { runCli, startTestServer, tempDir, waitForGroup, type TestServer } from '../helpers.js';
import { postgresDatabase } from '../postgres-env.js';

describe('regatta db copy', () => {
  let dataDir = '';
  let pgUrl = '';
  const ids: string[] = [];
  let groupId = '';
  let t: TestServer | undefined;

  beforeAll(async () => {
    dataDir = tempDir();
    const sqlite = await startTestServer({ data: dataDir, db: join(dataDir, 'regatta.db') });
    try {
      for (const code of [0, 3]) {
        const { id } = await sqlite.api.submit({ name: `exit-${code}`, command: `echo '{"name":"loss","value":0.5}' > "$REGATTA_OUTPUTS/metrics.jsonl"; exit ${code}`, params: { lr: code } });
        ids.push(id);
        await sqlite.api.waitForRun(id, { intervalMs: 100, timeoutMs: 60_000 });
      }
      groupId = (await sqlite.api.submitGroup({ name: 'sweep', command: 'true', matrix: { x: [1, 2, 3] } })).groupId;
      await waitForGroup(sqlite.api, groupId);
      await sqlite.api.pushTemplate('tpl', { spec: { command: 'true' } });
    } finally {
      await sqlite.close();
    }
    pgUrl = await postgresDatabase(`db-copy-${newId()}`);
  }, 120_000);

  afterAll(async () => {
    await t?.close();
  });

  it('copies every table, verified by counts, and a server on Postgres serves the history and takes new runs', async () => {
    const r = await runCli(['db', 'copy', '--from', join(dataDir, 'regatta.db'), '--to', pgUrl]);
    expect(r.stderr).toMatch(/runs: 5 rows/);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/every table's count matches/);
    expect(r.stdout).toMatch(/^runs\s+5 →\s+5$/m);

    t = await startTestServer({ data: dataDir, db: pgUrl });
    const first = await t.api.getRun(ids[0]!);
    expect(first).toMatchObject({ status: 'succeeded', name: 'exit-0' });
    expect(first.metrics.loss?.value).toBe(0.5);
    expect((await t.api.getRun(ids[1]!)).status).toBe('failed');
    expect(await t.api.getGroup(groupId)).toMatchObject({ total: 3, counts: { succeeded: 3 } });
    expect((await t.api.listTemplates()).items.map((x) => x.name)).toEqual(['tpl']);
    // Generated keys continue after the copied ones: a new run is stored and ordered after them.
    const { id } = await t.api.submit({ command: 'true' });
    expect((await t.api.waitForRun(id, { intervalMs: 100, timeoutMs: 60_000 })).status).toBe('succeeded');
  });

  it('refuses a target that already has data, and a target that is not a postgresql:// URL', async () => {
    const again = await runCli(['db', 'copy', '--from', join(dataDir, 'regatta.db'), '--to', pgUrl]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already has \w+: copy into an empty database/);
    const bad = await runCli(['db', 'copy', '--from', join(dataDir, 'regatta.db'), '--to', join(dataDir, 'other.db')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--to: expected a postgresql:\/\/ URL/);
  });
});

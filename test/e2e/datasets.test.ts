/** Named datasets: registered by the admin, named by runs, fanned out over. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiError } from '@regatta/sdk';
import { readAll, runCli, startTestServer, tempDir, waitFor, type TestServer } from '../helpers.js';

let t: TestServer;
let ais: string;
beforeAll(async () => {
  t = await startTestServer({ node: { cpus: 4 } });
  ais = tempDir('regatta-ais-');
  for (const year of ['2011', '2012']) {
    mkdirSync(join(ais, year));
    writeFileSync(join(ais, year, 'msgs.cdv'), `messages of ${year}\n`);
  }
});
afterAll(async () => {
  await t.close();
});

describe('datasets', () => {
  it('registers a dataset (CLI) and gives runs its path by name', async () => {
    const add = await runCli(['datasets', 'add', 'ais', '--path', ais], { url: t.url });
    expect(add.stdout).toBe(`ais: ${ais}\n`);
    expect((await runCli(['datasets'], { url: t.url })).stdout).toMatch(/ais\s+\//);
    const { id } = await t.api.submit({ command: 'cat "$REGATTA_DATASET_AIS/2011/msgs.cdv"', datasets: ['ais'] });
    const run = await t.api.waitForRun(id, { intervalMs: 50 });
    expect(run.status).toBe('succeeded');
    expect(await readAll(await t.api.logs(id))).toBe('messages of 2011\n');
  });

  it('refuses an unknown dataset or a path that is not a directory, naming the field', async () => {
    const err = await t.api.submit({ command: 'true', datasets: ['nope'] }).catch((e: unknown) => e);
    expect((err as ApiError).status).toBe(400);
    expect((err as ApiError).problem.errors).toEqual([{ path: 'datasets[0]', message: "no dataset named 'nope' (regatta datasets ls)" }]);
    const bad = await t.api.putDataset('x', { path: '/nonexistent/dir' }).catch((e: unknown) => e);
    expect((bad as ApiError).problem.errors?.[0]?.path).toBe('path');
  });

  it('fans out over the files of a dataset, one run per file', async () => {
    const { groupId, total } = await t.api.submitGroup({
      command: 'cat "$REGATTA_DATASET_AIS/${params.f}"', datasets: ['ais'], foreach: { param: 'f', files: '*/*.cdv', dataset: 'ais' },
    });
    expect(total).toBe(2);
    const g = await waitFor('the group', async () => { const x = await t.api.getGroup(groupId); return x.status !== 'running' ? x : undefined; });
    expect(g.status).toBe('succeeded');
    const runs = (await t.api.groupRuns(groupId)).items;
    expect(runs.map((r) => r.item).sort()).toEqual(['2011/msgs.cdv', '2012/msgs.cdv']);
  });
});

/** Fan-out groups through the API and the CLI, with real processes. */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maxOverlap, runCli, runningIntervals, startTestServer, tempDir, waitFor, type TestServer } from '../helpers.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ node: { cpus: 4 } });
});
afterAll(async () => {
  await t.close();
});

const waitGroup = (id: string, timeoutMs = 30_000) =>
  waitFor(`group ${id} to end`, async () => {
    const g = await t.api.getGroup(id);
    return g.status !== 'running' ? g : undefined;
  }, timeoutMs);

async function allRuns(groupId: string) {
  const out = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await t.api.groupRuns(groupId, { limit: 100, ...(cursor ? { cursor } : {}) });
    out.push(...page.items);
    if (!page.nextCursor) return out;
    cursor = page.nextCursor;
  }
}



describe('fan-out groups', () => {
  it('a 3x2 matrix makes six runs with their params, counters, and a results table (JSON and CSV, sortable)', async () => {
    const res = await fetch(`${t.url}/api/v1/runs`, {
      method: 'POST',
      headers: { authorization: 'Bearer test-admin-token', 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'sweep',
        command: 'echo "{\\"name\\":\\"loss\\",\\"value\\":$(( ${params.depth} * 10 ))}" > $REGATTA_OUTPUTS/metrics.jsonl; echo "{\\"acc\\": ${params.lr}}" > $REGATTA_OUTPUTS/result.json',
        matrix: { lr: [0.1, 0.01, 0.001], depth: [2, 4] },
      }),
    });
    expect(res.status).toBe(201);
    const { groupId, total } = await res.json() as { groupId: string; total: number };
    expect(total).toBe(6);
    const g = await waitGroup(groupId);
    expect(g).toMatchObject({ status: 'succeeded', total: 6, done: 6, counts: { succeeded: 6, failed: 0, queued: 0, running: 0 } });
    const runs = await allRuns(groupId);
    expect(runs.map((r) => r.params).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))).toEqual([
      { lr: 0.001, depth: 2 }, { lr: 0.001, depth: 4 }, { lr: 0.01, depth: 2 }, { lr: 0.01, depth: 4 }, { lr: 0.1, depth: 2 }, { lr: 0.1, depth: 4 },
    ]);
    const results = await t.api.groupResults(groupId, { sort: 'metrics.loss', order: 'desc' });
    expect(results.rows).toHaveLength(6);
    expect(results.rows.map((r) => r['metrics.loss'])).toEqual([40, 40, 40, 20, 20, 20]);
    expect(results.rows[0]).toMatchObject({ status: 'succeeded', 'params.depth': 4, 'result.acc': expect.any(Number) as number });
    const csv = await t.api.groupResultsCsv(groupId, { sort: 'params.lr' });
    const lines = csv.trimEnd().split('\n');
    expect(lines).toHaveLength(7);
    expect(lines[0]).toBe('id,item,status,exitCode,attempts,node,started,duration,reason,params.lr,params.depth,metrics.loss,result.acc');
    expect(lines[1]).toMatch(/^[0-9a-z]{20},"lr=0.001,depth=2",succeeded,0,1,[^,]+,[^,]+,[\d.]+,exit code 0,0.001,2,20,0.001$/);
  });

  it('foreach over files: one run per file, and the artifacts of all under DIR/<item>/', async () => {
    const work = tempDir('regatta-scenes-');
    mkdirSync(join(work, 'scenes'));
    for (const s of ['a', 'b', 'c']) writeFileSync(join(work, 'scenes', `${s}.json`), `{"scene":"${s}"}`);
    writeFileSync(join(work, 'scenes', 'notes.txt'), 'not a scene');
    writeFileSync(join(work, 'eval.yaml'), [
      'name: eval',
      'workdir: .',
      'command: cp "${params.scene}" "$REGATTA_OUTPUTS/input.json"; echo evaluated > "$REGATTA_OUTPUTS/score.txt"',
      'foreach: {param: scene, files: "scenes/*.json"}',
      'max_parallel: 2',
      '',
    ].join('\n'));
    const r = await runCli(['run', '-f', join(work, 'eval.yaml')], { url: t.url });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/group [0-9a-z]{20} submitted: 3 runs/);
    expect(r.stderr).toMatch(/3\/3 +done 3 +failed 0/);
    const groupId = /group ([0-9a-z]{20})/.exec(r.stderr)?.[1] ?? '';
    const out = join(work, 'out');
    const dl = await runCli(['artifacts', groupId, '--out', out], { url: t.url });
    expect(dl.stdout).toMatch(/6 artifact\(s\) of 3 run\(s\)/);
    for (const s of ['a', 'b', 'c']) {
      expect(readFileSync(join(out, 'scenes', `${s}.json`, 'input.json'), 'utf8')).toBe(`{"scene":"${s}"}`);
    }
    const table = await runCli(['group', 'results', groupId, '--format', 'csv'], { url: t.url });
    expect(table.stdout.split('\n')[0]).toBe('id,item,status,exitCode,attempts,node,started,duration,reason,params.scene');
  });

  it('holds items to max_parallel (observed from their events)', async () => {
    const { groupId } = await t.api.submitGroup({ command: 'sleep 0.3', foreach: { param: 'i', values: [1, 2, 3, 4, 5, 6] }, max_parallel: 2, resources: { cpus: 0.5 } });
    await waitGroup(groupId);
    const iv = await runningIntervals(t.api, (await allRuns(groupId)).map((r) => r.id));
    expect(maxOverlap(iv)).toBe(2);
  });

  it('fail_fast cancels the rest when an item fails; the group ends failed', async () => {
    const { groupId } = await t.api.submitGroup({
      command: '[ "${params.i}" != 2 ] || exit 3; sleep 30', foreach: { param: 'i', values: [1, 2, 3, 4, 5, 6, 7, 8] }, max_parallel: 3, fail_fast: true,
    });
    const g = await waitGroup(groupId);
    expect(g.status).toBe('failed');
    expect(g.counts).toMatchObject({ failed: 1, canceled: 7, succeeded: 0 });
    const canceled = (await allRuns(groupId)).filter((r) => r.status === 'canceled');
    expect(canceled[0]?.reason).toMatch(/fail_fast after item 2 ended failed/);
  });

  it('reruns only the failed items, as new attempts in the same group', async () => {
    const { groupId } = await t.api.submitGroup({
      command: '[ $((${params.n} % 2)) -eq 0 ] || [ "$REGATTA_ATTEMPT" -ge 2 ]', foreach: { param: 'n', values: [1, 2, 3, 4] },
    });
    const first = await waitGroup(groupId);
    expect(first).toMatchObject({ status: 'failed', counts: { failed: 2, succeeded: 2 } });
    const rerun = await runCli(['group', 'rerun', groupId, '--wait'], { url: t.url });
    expect(rerun.stdout).toBe('2 item(s) queued again\n');
    expect(rerun.code).toBe(0);
    const g = await t.api.getGroup(groupId);
    expect(g).toMatchObject({ status: 'succeeded', counts: { succeeded: 4, failed: 0 } });
    const runs = await allRuns(groupId);
    expect(runs.map((r) => [r.params.n, r.attempt]).sort()).toEqual([[1, 2], [2, 1], [3, 2], [4, 1]]);
  });

  it('cancel stops every item; the CLI exits non-zero when an item failed', async () => {
    const { groupId } = await t.api.submitGroup({ command: 'sleep 30', foreach: { param: 'i', values: [1, 2, 3, 4, 5] }, max_parallel: 2 });
    await waitFor('two items running', async () => (await t.api.getGroup(groupId)).counts.running === 2);
    expect((await runCli(['group', 'cancel', groupId], { url: t.url })).code).toBe(0);
    const g = await waitGroup(groupId);
    expect(g).toMatchObject({ status: 'canceled', counts: { canceled: 5 } });
    const dir = tempDir();
    writeFileSync(join(dir, 'bad.yaml'), 'command: exit ${params.code}\nforeach: {param: code, values: [0, 1]}\n');
    const r = await runCli(['run', '-f', join(dir, 'bad.yaml')], { url: t.url });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/group [0-9a-z]{20} failed/);
  });

  it('accepts a large group in one request, pages through it, and counts without scanning', async () => {
    const values = Array.from({ length: 1000 }, (_, i) => i);
    const { groupId, total } = await t.api.submitGroup({ command: ['true'], foreach: { param: 'i', values }, resources: { cpus: 0.5 } });
    expect(total).toBe(1000);
    const g = await waitGroup(groupId, 60_000);
    expect(g).toMatchObject({ status: 'succeeded', done: 1000 });
    const runs = await allRuns(groupId);
    expect(runs).toHaveLength(1000);
    expect(new Set(runs.map((r) => r.item)).size).toBe(1000);
  }, 90_000);

  it('refuses a bad fan-out with the field named, and stores nothing', async () => {
    const before = (await t.api.listGroups()).items.length;
    for (const [spec, path] of [
      [{ command: 'x', foreach: { param: 'i', values: [] } }, 'foreach.values'],
      [{ command: 'x', foreach: { param: 'i' } }, 'foreach'],
      [{ command: 'x ${params.nope}', foreach: { param: 'i', values: [1] } }, 'command'],
      [{ command: 'x', foreach: { param: 'i', files: '*.json' } }, 'foreach.files'],
      [{ command: 'x', matrix: { lr: [1] }, max_parallel: 0 }, 'max_parallel'],
    ] as const) {
      const err = await t.api.submitAny(spec).catch((e: unknown) => e) as { status: number; problem: { errors?: { path: string }[] } };
      expect(err.status, JSON.stringify(spec)).toBe(400);
      expect(err.problem.errors?.[0]?.path, JSON.stringify(spec)).toBe(path);
    }
    expect((await t.api.listGroups()).items.length).toBe(before);
  });
});

/**
 * Evaluation campaigns (seed 004) through the real server and CLI: resuming a canceled group, the
 * results table's attempt columns, every item's log with the node of each attempt, matrix × foreach.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startTestServer, tempDir, waitFor, waitForGroup, type TestServer } from '../helpers.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ node: { name: 'eval-box', cpus: 4 } });
});
afterAll(async () => {
  await t.close();
});

const waitGroup = (id: string) => waitForGroup(t.api, id);

describe('evaluation campaigns', () => {
  it('resume queues every item that did not succeed (canceled while running, never started, failed) in the same group', async () => {
    const dir = tempDir('regatta-resume-');
    const go = join(dir, 'go');
    const { groupId } = await t.api.submitGroup({
      name: 'campaign',
      // Item 1 succeeds at once and item 2 fails at once; the rest wait for the go file.
      command: `[ "\${params.i}" = 1 ] && exit 0; [ "\${params.i}" = 2 ] && [ ! -f ${go} ] && exit 5; while [ ! -f ${go} ]; do sleep 0.1; done`,
      foreach: { param: 'i', values: [1, 2, 3, 4, 5, 6] },
      max_parallel: 3,
      resources: { cpus: 0.5 },
    });
    await waitFor('items 1 and 2 ended and three items running', async () => {
      const g = await t.api.getGroup(groupId);
      return g.counts.succeeded === 1 && g.counts.failed === 1 && g.counts.running === 3;
    });
    const cancel = await runCli(['group', 'cancel', groupId], { url: t.url });
    expect(cancel.code).toBe(0);
    // The status after the cancel, not the one before it.
    expect(cancel.stdout).toBe(`${groupId} failed  (canceled 4, succeeded 1, failed 1)\n`);
    const canceled = await t.api.getGroup(groupId);
    expect(canceled.counts).toMatchObject({ succeeded: 1, failed: 1, canceled: 4 });

    // rerun takes only the failed item; resume takes the canceled ones too.
    writeFileSync(go, '');
    const resume = await runCli(['group', 'resume', groupId, '--wait'], { url: t.url });
    expect(resume.stdout).toBe('5 item(s) queued again\n');
    expect(resume.code).toBe(0);
    const g = await waitGroup(groupId);
    expect(g).toMatchObject({ status: 'succeeded', total: 6, counts: { succeeded: 6, failed: 0, canceled: 0 } });
    const again = await runCli(['group', 'resume', groupId], { url: t.url });
    expect(again.stdout).toBe('0 item(s) queued again\n');

    const { rows, columns } = await t.api.groupResults(groupId);
    expect(columns.slice(0, 9)).toEqual(['id', 'item', 'status', 'exitCode', 'attempts', 'node', 'started', 'duration', 'reason']);
    const byItem = new Map(rows.map((r) => [r.item, r]));
    expect(byItem.get('1')).toMatchObject({ attempts: 1, node: 'eval-box', status: 'succeeded' });
    expect(byItem.get('2')).toMatchObject({ attempts: 2, node: 'eval-box', reason: 'exit code 0' });
    // Items 3, 4 and 5 were running when canceled (a second attempt now); 6 had never started.
    expect([3, 4, 5, 6].map((i) => byItem.get(String(i))?.attempts)).toEqual([2, 2, 2, 1]);
    for (const r of rows) {
      expect(Date.parse(String(r.started))).toBeGreaterThan(0);
      expect(typeof r.duration).toBe('number');
    }
    const csv = await runCli(['group', 'results', groupId, '--format', 'csv'], { url: t.url });
    const [header, first] = csv.stdout.trimEnd().split('\n');
    expect(header).toBe('id,item,status,exitCode,attempts,node,started,duration,reason,params.i');
    expect(first).toMatch(/^[0-9a-z]{20},1,succeeded,0,1,eval-box,\d{4}-\d\d-\d\dT[\d:.]+Z,[\d.]+,exit code 0,1$/);
  });

  it('group logs writes DIR/<item>/log with every attempt, each after a line naming its node', async () => {
    const { groupId } = await t.api.submitGroup({
      name: 'logs',
      command: 'echo "scene ${params.scene} attempt $REGATTA_ATTEMPT"; [ "${params.scene}" != flaky ] || [ "$REGATTA_ATTEMPT" -ge 2 ] || exit 3',
      foreach: { param: 'scene', values: ['s/a.json', 'flaky'] },
      retries: 1,
    });
    await waitGroup(groupId);
    const out = join(tempDir('regatta-logs-'), 'out');
    const r = await runCli(['group', 'logs', groupId, '--out', out], { url: t.url });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`logs of 2 item(s), 3 attempt(s), saved to ${out}/<item>/log\n`);
    expect(readFileSync(join(out, 's/a.json/log'), 'utf8')).toMatch(/^==> attempt 1 of 1 on node eval-box, started \S+: succeeded \(exit code 0\) <==\nscene s\/a.json attempt 1\n$/);
    const flaky = readFileSync(join(out, 'flaky/log'), 'utf8');
    expect(flaky).toMatch(/^==> attempt 1 of 2 on node eval-box, started \S+: failed \(exit code 3\) <==\nscene flaky attempt 1\n==> attempt 2 of 2 on node eval-box, started \S+: succeeded \(exit code 0\) <==\nscene flaky attempt 2\n$/);
    const missing = await runCli(['group', 'logs', groupId], { url: t.url });
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/--out/);
  });

  it('matrix × foreach in one spec: eval groups × scene files, keyed <combination>/<scene>', async () => {
    const work = tempDir('regatta-cross-');
    mkdirSync(join(work, 'scenes'));
    for (const s of ['s1', 's2', 's3']) writeFileSync(join(work, 'scenes', `${s}.json`), '{}');
    writeFileSync(join(work, 'eval.yaml'), [
      'name: cross',
      'workdir: .',
      'command: echo "${params.eval_group} ${params.scene}" > "$REGATTA_OUTPUTS/seen.txt"',
      'matrix: {eval_group: [g1, g2]}',
      'foreach: {param: scene, files: "scenes/*.json"}',
      '',
    ].join('\n'));
    const r = await runCli(['run', '-f', join(work, 'eval.yaml')], { url: t.url });
    expect(r.stderr).toMatch(/submitted: 6 runs/);
    expect(r.code).toBe(0);
    const groupId = /group ([0-9a-z]{20})/.exec(r.stderr)?.[1] ?? '';
    const out = join(work, 'out');
    expect((await runCli(['artifacts', groupId, '--out', out], { url: t.url })).code).toBe(0);
    expect(readFileSync(join(out, 'eval_group=g2', 'scenes', 's3.json', 'seen.txt'), 'utf8')).toBe('g2 scenes/s3.json\n');
    expect(existsSync(join(out, 'eval_group=g1', 'scenes', 's1.json', 'seen.txt'))).toBe(true);
    const bad = await fetch(`${t.url}/api/v1/runs`, {
      method: 'POST',
      headers: { authorization: 'Bearer test-admin-token', 'content-type': 'application/json' },
      body: JSON.stringify({ command: 'true', matrix: { scene: [1] }, foreach: { param: 'scene', values: [1] } }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { errors: unknown[] }).errors).toEqual([{ path: 'foreach.param', message: "'scene' is also a matrix param: give them different names" }]);
  });
});

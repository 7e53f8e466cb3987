/**
 * Runs outlive the server: real `kill -9` and SIGTERM of the real server (the CLI), real processes.
 * Process jobs run under the per-machine supervisor, which outlives the server and journals exits,
 * so a restarted server re-attaches what runs and collects what ended meanwhile as it really ended.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RegattaClient } from '@regatta/sdk';
import { TOKEN, freePort, isAlive, readAll, readPidFile, spawnServer, tempDir, waitFor, waitForStatus } from '../helpers.js';
import type { ChildProcess } from 'node:child_process';

const servers: ChildProcess[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) if (s.exitCode === null) s.kill('SIGKILL');
});

async function setup(configText = 'node: {cpus: 4}\nstopGrace: 1s\n', args: string[] = []) {
  const data = tempDir();
  const dir = tempDir();
  const config = join(data, 'config.yaml');
  writeFileSync(config, configText);
  const port = await freePort();
  const api = new RegattaClient({ url: `http://127.0.0.1:${port}`, token: TOKEN });
  const start = async () => {
    const child = await spawnServer(data, port, ['--config', config, ...args]);
    servers.push(child);
    return child;
  };
  const kill9 = async (s: ChildProcess) => {
    s.kill('SIGKILL');
    await new Promise((r) => s.once('exit', r));
  };
  /** A file the jobs wait for, so the test decides when they end. */
  const flag = (name: string) => join(dir, name);
  const go = (name: string) => writeFileSync(flag(name), '');
  const waitForFlag = (name: string) => `while [ ! -f ${flag(name)} ]; do sleep 0.05; done`;
  return { data, dir, api, start, kill9, flag, go, waitForFlag };
}

/** Every `run attempt` line a job appended: an attempt that ran twice shows up twice. */
function executions(file: string): string[] {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

describe('runs outlive the server', () => {
  it('after kill -9: a running job re-attaches and succeeds with its full log and outputs; jobs that ended meanwhile keep their real exit code', async () => {
    const t = await setup('node: {cpus: 4}\nqueues: {serial: {concurrency: 1}}\nstopGrace: 1s\n');
    const ran = join(t.dir, 'ran');
    const mark = `echo "$REGATTA_RUN_ID $REGATTA_ATTEMPT" >> ${ran}`;
    const s1 = await t.start();
    const long = await t.api.submit({
      name: 'long', retries: 2, outputs: ['model.txt'],
      command: `${mark}; echo before; ${t.waitForFlag('long')}; echo after; echo weights > model.txt; `
        + `echo '{"name":"loss","value":0.5,"step":1}' >> "$REGATTA_OUTPUTS/metrics.jsonl"; echo '{"acc":0.9}' > "$REGATTA_OUTPUTS/result.json"`,
    });
    const three = await t.api.submit({ name: 'exits-3', retries: 2, command: `${mark}; ${t.waitForFlag('three')}; echo failing; exit 3` });
    const ok = await t.api.submit({ name: 'ok-while-down', command: `${mark}; ${t.waitForFlag('ok')}; echo '{"done":true}' > "$REGATTA_OUTPUTS/result.json"` });
    const serial1 = await t.api.submit({ name: 'serial-1', queue: 'serial', command: `${mark}; ${t.waitForFlag('serial')}` });
    const serial2 = await t.api.submit({ name: 'serial-2', queue: 'serial', command: `${mark}; echo ran-after-restart` });
    for (const r of [long, three, ok, serial1]) await waitForStatus(t.api, r.id, 'running');
    await waitFor('every job to have started', async () => executions(ran).length === 4);
    expect((await t.api.getRun(serial2.id)).status).toBe('queued');
    const before = await t.api.getRun(long.id);

    await t.kill9(s1);
    // Two jobs end while no server runs: one fails with 3, one succeeds with a result.
    t.go('three');
    t.go('ok');
    await new Promise((r) => setTimeout(r, 500));
    await t.start();

    const r3 = await t.api.waitForRun(three.id, { intervalMs: 50, timeoutMs: 20_000 });
    expect(r3).toMatchObject({ status: 'failed', exitCode: 3, attempt: 3 }); // retried as its policy says: it really failed
    expect(r3.attempts[0]).toMatchObject({ status: 'failed', exitCode: 3, reason: 'exit code 3' });
    const rok = await t.api.waitForRun(ok.id, { intervalMs: 50, timeoutMs: 20_000 });
    expect(rok).toMatchObject({ status: 'succeeded', exitCode: 0, attempt: 1, result: { done: true } });

    // The long job is still the same attempt, still running, its log unbroken.
    const mid = await t.api.getRun(long.id);
    expect(mid).toMatchObject({ status: 'running', attempt: 1, startedAt: before.startedAt });
    t.go('long');
    const rl = await t.api.waitForRun(long.id, { intervalMs: 50, timeoutMs: 20_000 });
    expect(rl).toMatchObject({ status: 'succeeded', exitCode: 0, attempt: 1, result: { acc: 0.9 } });
    expect(rl.metrics.loss).toMatchObject({ value: 0.5 });
    expect(rl.artifacts.map((a) => a.path)).toContain('model.txt');
    expect(await readAll(await t.api.logs(long.id))).toBe('before\nafter\n');
    expect(rl.attempts.map((a) => a.status)).toEqual(['succeeded']);
    expect((await t.api.events(long.id)).items.map((e) => e.reason)).toContain('re-attached after a server restart');

    // The queue of concurrency 1 still holds serial-2 until serial-1 (re-attached) ends.
    expect((await t.api.getRun(serial2.id)).status).toBe('queued');
    t.go('serial');
    expect(await t.api.waitForRun(serial1.id, { intervalMs: 50, timeoutMs: 20_000 })).toMatchObject({ status: 'succeeded', attempt: 1 });
    const r2 = await t.api.waitForRun(serial2.id, { intervalMs: 50, timeoutMs: 20_000 });
    expect(r2.status).toBe('succeeded');
    expect(await readAll(await t.api.logs(serial2.id))).toBe('ran-after-restart\n');

    // No attempt ran twice, and none was marked lost.
    const lines = executions(ran);
    expect(new Set(lines).size).toBe(lines.length);
    expect((await t.api.listRuns({ status: 'lost' })).items).toEqual([]);
  });

  it('a timeout that spans the restart fires on time, counted from the original start', async () => {
    const t = await setup();
    const s1 = await t.start();
    const run = await t.api.submit({ timeout: '5s', command: 'exec sleep 60' });
    await waitForStatus(t.api, run.id, 'running');
    await t.kill9(s1);
    await t.start();
    const r = await t.api.waitForRun(run.id, { intervalMs: 50, timeoutMs: 30_000 });
    expect(r.status).toBe('timed_out');
    const took = Date.parse(r.finishedAt ?? '') - Date.parse(r.startedAt ?? '');
    expect(took).toBeGreaterThanOrEqual(5000);
    expect(took).toBeLessThan(5000 + 1000 /* stopGrace */ + 4000 /* a loaded machine */);
  });

  it('cancel after re-attach stops the whole process group', async () => {
    const t = await setup();
    const s1 = await t.start();
    const pids = t.dir;
    const run = await t.api.submit({ command: `sleep 60 & echo $! > ${pids}/child; echo $$ > ${pids}/leader; wait` });
    await waitForStatus(t.api, run.id, 'running');
    const child = await readPidFile(join(pids, 'child'));
    const leader = await readPidFile(join(pids, 'leader'));
    await t.kill9(s1);
    expect(isAlive(leader) && isAlive(child)).toBe(true);
    await t.start();
    expect((await t.api.getRun(run.id)).status).toBe('running');
    await t.api.cancel(run.id);
    expect((await t.api.waitForRun(run.id, { intervalMs: 50 })).status).toBe('canceled');
    await waitFor('the whole group to be gone', async () => !isAlive(leader) && !isAlive(child));
  });

  it('SIGTERM is a restart, not a cancel; --drain waits for active runs instead', async () => {
    const t = await setup();
    const s1 = await t.start();
    const run = await t.api.submit({ command: `echo one; ${t.waitForFlag('a')}; echo two` });
    await waitForStatus(t.api, run.id, 'running');
    s1.kill('SIGTERM');
    expect(await new Promise((r) => s1.once('exit', r))).toBe(0);
    await t.start();
    expect(await t.api.getRun(run.id)).toMatchObject({ status: 'running', attempt: 1 });
    t.go('a');
    const r = await t.api.waitForRun(run.id, { intervalMs: 50, timeoutMs: 20_000 });
    expect(r).toMatchObject({ status: 'succeeded', attempt: 1 });
    expect(await readAll(await t.api.logs(run.id))).toBe('one\ntwo\n');

    const d = await setup('node: {cpus: 1}\nstopGrace: 1s\n', ['--drain']);
    const s2 = await d.start();
    const active = await d.api.submit({ command: `${d.waitForFlag('b')}; echo drained` });
    const waiting = await d.api.submit({ command: 'echo later' });
    await waitForStatus(d.api, active.id, 'running');
    s2.kill('SIGTERM');
    const exited = new Promise((r) => s2.once('exit', r));
    await new Promise((r) => setTimeout(r, 300));
    expect(s2.exitCode).toBeNull(); // still draining, still serving
    expect((await d.api.getRun(active.id)).status).toBe('running');
    d.go('b');
    expect(await exited).toBe(0);
    await d.start();
    expect((await d.api.getRun(active.id)).status).toBe('succeeded');
    expect((await d.api.waitForRun(waiting.id, { intervalMs: 50, timeoutMs: 20_000 })).status).toBe('succeeded');
  });

  it('keeps a group right across kill -9: running items re-attach, queued items run, counters match', async () => {
    const t = await setup();
    const s1 = await t.start();
    const { groupId } = await t.api.submitGroup({
      command: `${t.waitForFlag('go')}`, foreach: { param: 'i', values: [1, 2, 3, 4] }, max_parallel: 2, retries: 1,
    });
    await waitFor('two items running', async () => (await t.api.getGroup(groupId)).counts.running === 2);
    await t.kill9(s1);
    t.go('go');
    await t.start();
    const g = await waitFor('the group to end', async () => {
      const x = await t.api.getGroup(groupId);
      return x.status !== 'running' ? x : undefined;
    });
    expect(g).toMatchObject({ status: 'succeeded', done: 4, counts: { succeeded: 4, failed: 0, queued: 0, running: 0 } });
    const runs = (await t.api.groupRuns(groupId)).items;
    const details = await Promise.all(runs.map((r) => t.api.getRun(r.id)));
    // Items that were starting when the server died and had not started are queued again as the same attempt.
    expect(details.flatMap((r) => r.attempts.map((a) => `${a.status} ${a.reason ?? ''}`))).toEqual(Array(4).fill('succeeded exit code 0'));
    expect(runs.map((r) => r.attempt)).toEqual([1, 1, 1, 1]);
  });

  it('marks lost only what is really lost, and says why: a job that ended while its supervisor was gone too', async () => {
    const t = await setup();
    const s1 = await t.start();
    const run = await t.api.submit({ retries: 1, command: `[ "$REGATTA_ATTEMPT" -ge 2 ] && echo second || { echo $$ > ${t.dir}/pid; exec sleep 60; }` });
    await waitForStatus(t.api, run.id, 'running');
    const pid = await readPidFile(join(t.dir, 'pid'));
    await t.kill9(s1);
    // Take the supervisor down as well, then the job: nobody saw its exit status.
    const supervisor = Number(readFileSync(join(t.data, 'supervisor.log'), 'utf8').match(/\(pid (\d+)\)/)?.[1]);
    expect(supervisor).toBeGreaterThan(1);
    process.kill(supervisor, 'SIGKILL');
    process.kill(-pid, 'SIGKILL');
    await waitFor('the job to be gone', async () => !isAlive(pid));
    await t.start();
    const r = await t.api.waitForRun(run.id, { intervalMs: 50, timeoutMs: 20_000 });
    expect(r).toMatchObject({ status: 'succeeded', attempt: 2 });
    expect(r.attempts[0]).toMatchObject({ status: 'lost' });
    expect(r.attempts[0]?.reason).toMatch(/no exit status was recorded/);
  });
});

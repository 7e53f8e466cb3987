/** Stopping the server at any time loses nothing: kill -9 and graceful stop, with real processes. */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RegattaClient } from '@regatta/sdk';
import { TOKEN, freePort, isAlive, readAll, spawnServer, tempDir, waitFor, waitForStatus } from '../helpers.js';
import type { ChildProcess } from 'node:child_process';

const servers: ChildProcess[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) if (s.exitCode === null) s.kill('SIGKILL');
});

async function start(dataDir: string, port: number, config: string) {
  const child = await spawnServer(dataDir, port, ['--config', config]);
  servers.push(child);
  return child;
}

function readPid(file: string) {
  return waitFor(`pid in ${file}`, async () => {
    try {
      const n = Number(readFileSync(file, 'utf8').trim());
      return n > 0 ? n : undefined;
    } catch {
      return undefined;
    }
  });
}

describe('server restart', () => {
  it('after kill -9: interrupted runs end lost (or retry), queued runs still run, orphans are stopped', async () => {
    const data = tempDir();
    const pids = tempDir();
    const config = join(data, 'config.yaml');
    writeFileSync(config, 'node: {cpus: 4}\nqueues: {serial: {concurrency: 1}}\nstopGrace: 1s\n');
    const port = await freePort();
    const api = new RegattaClient({ url: `http://127.0.0.1:${port}`, token: TOKEN });
    const s1 = await start(data, port, config);

    const a = await api.submit({ name: 'no-retry', command: `echo before-crash; echo $$ > ${pids}/a; exec sleep 60` });
    const b = await api.submit({ name: 'retry', retries: 1, command: `[ "$REGATTA_ATTEMPT" -ge 2 ] && echo second-attempt || { echo $$ > ${pids}/b; exec sleep 60; }` });
    const c = await api.submit({ name: 'serial-1', queue: 'serial', command: 'exec sleep 60' });
    const d = await api.submit({ name: 'serial-2', queue: 'serial', command: 'echo ran-after-restart' });
    for (const r of [a, b, c]) await waitForStatus(api, r.id, 'running');
    expect((await api.getRun(d.id)).status).toBe('queued');
    const pidA = await readPid(join(pids, 'a'));
    const pidB = await readPid(join(pids, 'b'));

    s1.kill('SIGKILL');
    await new Promise((r) => s1.once('exit', r));
    expect(isAlive(pidA)).toBe(true); // the job outlived the server: restart must deal with it

    await start(data, port, config);
    const ra = await api.waitForRun(a.id, { intervalMs: 50, timeoutMs: 20_000 });
    expect(ra.status).toBe('lost');
    expect(ra.reason).toMatch(/server stopped while the run was running/);
    await waitFor('the orphaned job to be stopped', async () => !isAlive(pidA) && !isAlive(pidB));
    expect(await readAll(await api.logs(a.id))).toBe('before-crash\n');

    const rb = await api.waitForRun(b.id, { intervalMs: 50, timeoutMs: 20_000 });
    expect(rb).toMatchObject({ status: 'succeeded', attempt: 2 });
    expect(rb.attempts.map((x) => x.status)).toEqual(['lost', 'succeeded']);

    expect((await api.waitForRun(c.id, { intervalMs: 50 })).status).toBe('lost');
    const rd = await api.waitForRun(d.id, { intervalMs: 50, timeoutMs: 20_000 });
    expect(rd.status).toBe('succeeded');
    expect(await readAll(await api.logs(d.id))).toBe('ran-after-restart\n');

    const stuck = await api.listRuns({ status: 'starting,running,queued' });
    expect(stuck.items).toEqual([]);
  });

  it('after a graceful stop: active runs are stopped and retried per policy, queued runs stay queued', async () => {
    const data = tempDir();
    const config = join(data, 'config.yaml');
    writeFileSync(config, 'node: {cpus: 1}\nstopGrace: 1s\n');
    const port = await freePort();
    const api = new RegattaClient({ url: `http://127.0.0.1:${port}`, token: TOKEN });
    const s1 = await start(data, port, config);
    const active = await api.submit({ retries: 1, command: '[ "$REGATTA_ATTEMPT" -ge 2 ] || exec sleep 60' });
    await waitForStatus(api, active.id, 'running');
    const queued = await api.submit({ command: 'echo later' });
    s1.kill('SIGTERM');
    const code = await new Promise((r) => s1.once('exit', r));
    expect(code).toBe(0);
    const events = (await (async () => {
      await start(data, port, config);
      return api.events(active.id);
    })()).items;
    expect(events.find((e) => e.to === 'queued' && e.attempt === 1)?.reason).toMatch(/server shut down/);
    expect((await api.waitForRun(active.id, { intervalMs: 50 })).status).toBe('succeeded');
    expect((await api.waitForRun(queued.id, { intervalMs: 50 })).status).toBe('succeeded');
  });

  it('keeps a group\'s counters right across kill -9: lost items retry, queued items run', async () => {
    const data = tempDir();
    const flags = tempDir();
    const config = join(data, 'config.yaml');
    writeFileSync(config, 'node: {cpus: 4}\nstopGrace: 1s\n');
    const port = await freePort();
    const api = new RegattaClient({ url: `http://127.0.0.1:${port}`, token: TOKEN });
    const s1 = await start(data, port, config);
    const { groupId } = await api.submitGroup({
      command: `touch ${flags}/started-$REGATTA_RUN_ID; [ -f ${flags}/go ] || exec sleep 60`, foreach: { param: 'i', values: [1, 2, 3, 4] }, max_parallel: 2, retries: 1,
    });
    // Two processes really started (the group's counters run ahead of the store by one write, and a
    // slower store, Postgres, may not hold the launch yet when they first say two are running).
    await waitFor('two items running', async () => (await api.getGroup(groupId)).counts.running === 2
      && readdirSync(flags).filter((f) => f.startsWith('started-')).length === 2);
    s1.kill('SIGKILL');
    await new Promise((r) => s1.once('exit', r));
    writeFileSync(join(flags, 'go'), '');
    await start(data, port, config);
    const g = await waitFor('the group to end', async () => {
      const x = await api.getGroup(groupId);
      return x.status !== 'running' ? x : undefined;
    });
    expect(g).toMatchObject({ status: 'succeeded', done: 4, counts: { succeeded: 4, failed: 0, queued: 0, running: 0 } });
    const runs = (await api.groupRuns(groupId)).items;
    expect(runs.map((r) => r.attempt).sort()).toEqual([1, 1, 2, 2]);
  });
});

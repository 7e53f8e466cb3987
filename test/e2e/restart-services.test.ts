/**
 * Runs with services and `kind: service` runs outlive the server too (process runtime): after a
 * real `kill -9` the whole attempt is re-attached, its health is watched again, its restart policy
 * applies, and cleanup still stops its services.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RegattaClient } from '@regatta/sdk';
import { TOKEN, freePort, isAlive, readAll, readPidFile, spawnServer, tempDir, waitFor, waitForStatus } from '../helpers.js';
import type { ChildProcess } from 'node:child_process';

const servers: ChildProcess[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) if (s.exitCode === null) s.kill('SIGKILL');
});

const auth = { authorization: `Bearer ${TOKEN}` };
const httpServer = (portVar: string, body: string) =>
  `exec node -e 'require("http").createServer((q,s)=>s.end(${JSON.stringify(body)}+" "+q.url)).listen(+process.env.${portVar},"127.0.0.1")'`;

async function setup() {
  const data = tempDir();
  const dir = tempDir();
  const config = join(data, 'config.yaml');
  writeFileSync(config, 'node: {cpus: 8}\nstopGrace: 1s\n');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const api = new RegattaClient({ url, token: TOKEN });
  const start = async () => {
    const child = await spawnServer(data, port, ['--config', config]);
    servers.push(child);
    return child;
  };
  const kill9 = async (s: ChildProcess) => {
    s.kill('SIGKILL');
    await new Promise((r) => s.once('exit', r));
  };
  return { dir, api, url, start, kill9 };
}

const reasons = async (api: RegattaClient, id: string) => (await api.events(id)).items.map((e) => e.reason ?? '');

describe('service runs outlive the server (process runtime)', () => {
  it('a run with two services re-attaches as a whole: its main task ends, then cleanup stops the services', async () => {
    const t = await setup();
    const s1 = await t.start();
    const { id } = await t.api.submit({
      name: 'with-services',
      command: `while [ ! -f ${t.dir}/go ]; do sleep 0.05; done; `
        + 'node -e \'fetch(`http://127.0.0.1:${process.env.REGATTA_SERVICE_API_PORT_8080}/x`).then(r=>r.text()).then(console.log)\'',
      services: {
        db: { command: `echo $$ > ${t.dir}/db; exec sleep 60`, health: { command: 'true', interval: 0.1 } },
        api: { command: `echo $$ > ${t.dir}/api; ${httpServer('REGATTA_PORT_8080', 'api')}`, ports: [8080], health: { http: { port: 8080 }, interval: 0.1 }, depends_on: ['db'] },
      },
    });
    await waitForStatus(t.api, id, 'running');
    const db = await readPidFile(join(t.dir, 'db'));
    const apiPid = await readPidFile(join(t.dir, 'api'));
    await t.kill9(s1);
    expect(isAlive(db) && isAlive(apiPid)).toBe(true);
    await t.start();
    expect(await t.api.getRun(id)).toMatchObject({ status: 'running', attempt: 1 });
    writeFileSync(join(t.dir, 'go'), '');
    const run = await t.api.waitForRun(id, { intervalMs: 50, timeoutMs: 30_000 });
    expect(run).toMatchObject({ status: 'succeeded', attempt: 1, exitCode: 0 });
    expect(await readAll(await t.api.logs(id))).toBe('api /x\n');
    const ev = await reasons(t.api, id);
    expect(ev).toContain('re-attached after a server restart');
    expect((await t.api.events(id)).items.map((e) => e.to)).toContain('cleanup');
    await waitFor('the services to be stopped', async () => !isAlive(db) && !isAlive(apiPid));
  });

  it('a service of a re-attached run that exits fails the run, naming it', async () => {
    const t = await setup();
    const s1 = await t.start();
    const { id } = await t.api.submit({
      command: 'exec sleep 60',
      services: { side: { command: `echo $$ > ${t.dir}/side; exec sleep 60` } },
    });
    await waitForStatus(t.api, id, 'running');
    const side = await readPidFile(join(t.dir, 'side'));
    await t.kill9(s1);
    await t.start();
    expect((await t.api.getRun(id)).status).toBe('running');
    process.kill(side, 'SIGKILL');
    const run = await t.api.waitForRun(id, { intervalMs: 50, timeoutMs: 30_000 });
    expect(run).toMatchObject({ status: 'failed', attempt: 1 });
    expect(run.reason).toBe("service 'side' exited (killed by SIGKILL)");
  });

  it('a kind: service run re-attaches with its health watched, its port proxied and its restart policy back', async () => {
    const t = await setup();
    const s1 = await t.start();
    const { id } = await t.api.submit({
      kind: 'service', name: 'web', ports: [8000],
      command: `echo $$ > ${t.dir}/web-$REGATTA_ATTEMPT; ${httpServer('REGATTA_PORT_8000', 'web')}`,
      health: { http: { port: 8000, path: '/ready' }, interval: 0.1 },
      restart: { policy: 'on-failure', max_restarts: 2, backoff: 0.1 },
    });
    await waitFor('healthy', async () => (await t.api.getRun(id)).health === 'healthy');
    const pid = await readPidFile(join(t.dir, 'web-1'));
    await t.kill9(s1);
    await t.start();
    const after = await waitFor('healthy again', async () => { const r = await t.api.getRun(id); return r.health === 'healthy' ? r : undefined; });
    expect(after).toMatchObject({ status: 'running', attempt: 1 });
    const ev = await reasons(t.api, id);
    expect(ev.lastIndexOf('healthy: health check passed')).toBeGreaterThan(ev.indexOf('re-attached after a server restart'));
    const res = await fetch(`${t.url}/runs/${id}/proxy/8000/a`, { headers: auth });
    expect(await res.text()).toBe(`web /runs/${id}/proxy/8000/a`);

    // It crashes: the restart policy starts attempt 2.
    process.kill(pid, 'SIGKILL');
    const pid2 = await readPidFile(join(t.dir, 'web-2'));
    await waitFor('attempt 2 healthy', async () => { const r = await t.api.getRun(id); return r.attempt === 2 && r.health === 'healthy'; }, 30_000);
    expect((await t.api.getRun(id)).attempts[0]).toMatchObject({ status: 'failed', reason: 'killed by SIGKILL' });
    await t.api.cancel(id);
    expect((await t.api.waitForRun(id, { intervalMs: 50 })).status).toBe('canceled');
    await waitFor('the service to be stopped', async () => !isAlive(pid2));
  });
});

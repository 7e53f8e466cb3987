/** Runs with services on the process runtime: ordering, health gating, discovery, cleanup, failures. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiError, RunDetail } from '@regatta/sdk';
import { TOKEN, readAll, runCli, startTestServer, waitFor, type TestServer } from '../helpers.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ node: { cpus: 8 } });
});
afterAll(async () => {
  await t.close();
});

// A tiny HTTP server in Node, answering every GET with its service name and the path asked for.
const httpServer = `exec node -e 'require("http").createServer((q,s)=>s.end(process.env.REGATTA_SERVICE_NAME+" "+q.url)).listen(+process.env.REGATTA_PORT,"127.0.0.1")'`;

async function events(id: string): Promise<string[]> {
  const res = await fetch(`${t.url}/api/v1/runs/${id}/events`, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { items: { from: string | null; to: string; reason: string | null }[] };
  return body.items.map((e) => `${e.from ?? '-'}>${e.to}${e.reason ? `: ${e.reason}` : ''}`);
}

describe('services (process runtime)', () => {
  it('fails the run, naming the service, when a service never becomes healthy; what depends on it never starts', async () => {
    const { id } = await t.api.submit({
      name: 'with-services',
      command: 'echo "main sees $REGATTA_SERVICE_API_HOST:$REGATTA_SERVICE_API_PORT"; node -e \'fetch(`http://${process.env.REGATTA_SERVICE_API_HOST}:${process.env.REGATTA_SERVICE_API_PORT}/x`).then(r=>r.text()).then(console.log)\'',
      services: {
        api: {
          command: `sleep 0.3; ${httpServer}`,
          ports: [8080],
          health: { http: { port: 8080, path: '/health' }, interval: 0.1 },
          depends_on: ['db'],
        },
        db: {
          command: 'echo db up; echo "$REGATTA_SERVICE_NAME" > "$REGATTA_OUTPUTS/name.txt"; exec sleep 60',
          ports: [5432],
          health: { tcp: 5432, interval: 0.1, start_period: 1 },
        },
      },
    }).catch((e: unknown) => { throw new Error(JSON.stringify((e as ApiError).problem)); });
    await expect(t.api.submit({ command: 'true', services: { db: { command: 'x', depends_on: ['nope'] } } })).rejects.toMatchObject({
      status: 400, problem: { errors: [{ path: 'services.db.depends_on[0]', message: "no service named 'nope' (services: db)" }] },
    });
    const run = await t.api.waitForRun(id, { intervalMs: 50 });
    // db has a tcp check on a port nobody listens on: it never becomes healthy within its start period.
    expect(run.status).toBe('failed');
    expect(run.reason).toBe("service 'db' did not become healthy within 1s");
    expect(await readAll(await t.api.logs(id, { service: 'db' }))).toBe('db up\n');
  });

  it('runs the main task once services are healthy, and shows cleanup before the end', async () => {
    const { id } = await t.api.submit({
      name: 'svc-ok',
      command: 'node -e \'fetch(`http://${process.env.REGATTA_SERVICE_API_HOST}:${process.env.REGATTA_SERVICE_API_PORT_8080}/x`).then(r=>r.text()).then(console.log)\'',
      services: {
        db: { command: 'echo db up; exec sleep 60', health: { command: 'test -n "$REGATTA_SERVICE_NAME"', interval: 0.1 } },
        api: { command: `sleep 0.2; ${httpServer}`, ports: [8080], health: { http: { port: 8080 }, interval: 0.1 }, depends_on: ['db'] },
      },
    });
    const run = await t.api.waitForRun(id, { intervalMs: 50 });
    expect(run.status).toBe('succeeded');
    expect(run.services).toEqual(['db', 'api']);
    expect(await readAll(await t.api.logs(id))).toBe('api /x\n');
    const ev = await events(id);
    const at = (s: string) => ev.findIndex((e) => e.includes(s));
    expect(at('service db healthy')).toBeGreaterThan(-1);
    expect(at('service db healthy')).toBeLessThan(at('service api healthy'));
    expect(at('service api healthy')).toBeLessThan(at('>running'));
    expect(ev).toContain('running>cleanup');
    expect(ev.at(-1)).toBe('cleanup>succeeded: exit code 0');
  });

  it('fails the run, naming the service, when a service dies while the main task runs', async () => {
    const { id } = await t.api.submit({
      command: 'sleep 30',
      services: { flaky: { command: 'sleep 0.5; echo bye; exit 3' } },
    });
    const run = await t.api.waitForRun(id, { intervalMs: 50 });
    expect(run.status).toBe('failed');
    expect(run.reason).toBe("service 'flaky' exited (exit code 3)");
    expect(await readAll(await t.api.logs(id, { service: 'flaky' }))).toBe('bye\n');
    const err = await t.api.logs(id, { service: 'nope' }).catch((e: unknown) => e);
    expect((err as ApiError).problem.errors).toEqual([{ path: 'query.service', message: 'one of: flaky' }]);
  });

  it("runs health-check commands with the job's environment, not the server's (no admin token)", async () => {
    process.env.REGATTA_TOKEN = 'server-secret-token';
    try {
      const { id } = await t.api.submit({
        command: 'true',
        services: { side: { command: 'exec sleep 60', health: { command: '[ -z "$REGATTA_TOKEN" ] && [ -n "$REGATTA_RUN_TOKEN" ]', interval: 0.1, start_period: 5 } } },
      });
      const run = await t.api.waitForRun(id, { intervalMs: 50 });
      expect(run.status, run.reason).toBe('succeeded');
    } finally {
      delete process.env.REGATTA_TOKEN;
    }
  });

  it('finishes a stuck run on request (CLI), with its result, through cleanup', async () => {
    const { id } = await t.api.submit({ command: 'sleep 60', services: { side: { command: 'exec sleep 60' } } });
    await waitFor('running', async () => ((await t.api.getRun(id)).status === 'running' ? true : undefined));
    const out = await runCli(['finish', id, '--result', '-'], { url: t.url, input: '{"passed": 3}' });
    expect(out.code).toBe(0);
    const run: RunDetail = await t.api.waitForRun(id, { intervalMs: 50 });
    expect(run.status).toBe('succeeded');
    expect(run.reason).toBe('finished by admin');
    expect(run.result).toEqual({ passed: 3 });
    expect(await events(id)).toContain('running>cleanup');
    const again = await runCli(['finish', id], { url: t.url });
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/already ended \(succeeded\)/);
  });

  it('ends a finish_on_result run as soon as its result is posted', async () => {
    const { id } = await t.api.submit({
      finish_on_result: true,
      command: 'node -e \'fetch(process.env.REGATTA_API_URL+"/api/v1/runs/"+process.env.REGATTA_RUN_ID+"/result",{method:"PUT",headers:{authorization:"Bearer "+process.env.REGATTA_RUN_TOKEN,"content-type":"application/json"},body:JSON.stringify({evaluations:{passed:true}})}).then(r=>console.log(r.status))\'; sleep 60',
    });
    const run = await t.api.waitForRun(id, { intervalMs: 50 });
    expect(run.status).toBe('succeeded');
    expect(run.reason).toBe('finished: its result was posted');
    expect(run.result).toEqual({ evaluations: { passed: true } });
  });
});

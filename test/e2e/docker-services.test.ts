/**
 * Runs with services on the Docker runtime, against real private daemons (scripts/docker-test-env.sh):
 * a per-attempt network where the main task reaches services by name, Docker health checks gating
 * the start order, cleanup, per-service logs, template overrides of services, published ports of a
 * `kind: service` run, and an engine without networking refusing services.
 */
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { connectDocker } from '@regatta/runtimes';
import { RegattaClient } from '@regatta/sdk';
import { DOCKER_ENV_TIMEOUT_MS, TEST_IMAGE, startDockerEnv, type DockerEnv } from '../docker-env.js';
import { commitTestImage } from '../docker-images.js';
import { TOKEN, freePort, readAll, runCli, spawnServer, startTestServer, tempDir, waitFor, waitForStatus, type TestServer } from '../helpers.js';

let env: DockerEnv;
let t: TestServer;

beforeAll(async () => {
  // Services need daemon a's bridge, which it lacks while another test file's env holds one.
  env = await startDockerEnv({ waitForBridgeMs: 150_000 });
  t = await startTestServer({ docker: { host: env.hostA }, node: { cpus: 8 } });
}, DOCKER_ENV_TIMEOUT_MS);

afterAll(async () => {
  await t?.close();
  await env?.stop();
}, 120_000);

const docker = (spec: Record<string, unknown>) => ({ runtime: 'docker', image: TEST_IMAGE, ...spec });

/** Containers and networks the attempts of a run left on an engine. */
async function leftovers(host: string, runId: string): Promise<string[]> {
  const d = connectDocker({ url: host });
  const containers = await d.listContainers({ all: true, filters: { label: [`dev.regatta.run=${runId}`] } });
  const networks = await d.listNetworks({ filters: { label: [`dev.regatta.run=${runId}`] } });
  return [...containers.flatMap((c) => c.Names), ...networks.map((n) => n.Name)];
}

/** Containers go while the run's outcome is recorded, so a moment after it ends. */
async function noLeftovers(host: string, runId: string): Promise<void> {
  await waitFor(`nothing left of run ${runId}`, async () => (await leftovers(host, runId)).length === 0, 30_000);
}

async function events(id: string): Promise<string[]> {
  return (await t.api.events(id)).items.map((e) => `${e.from ?? '-'}>${e.to}${e.reason ? `: ${e.reason}` : ''}`);
}

// busybox httpd serving one file; its health check is Docker's own (wget inside the container).
const web = {
  image: TEST_IMAGE,
  command: 'mkdir -p /www && echo "hello from web" > /www/index.html && echo web up && exec httpd -f -p 80 -h /www',
  ports: [80],
  health: { http: { port: 80, path: '/index.html' }, interval: 0.1 },
};

describe('services on docker', () => {
  // Still no bridge after waiting (other bridged daemons on this machine the whole time): nothing to test.
  beforeEach((ctx) => { if (env.networkA !== 'bridge') ctx.skip(); });

  it('starts services in dependency order once each is healthy; the main task reaches them by name; cleanup removes everything', async () => {
    const { id } = await t.api.submit(docker({
      command: 'wget -q -O - http://web/index.html; wget -q -O - http://$REGATTA_SERVICE_API_HOST:$REGATTA_SERVICE_API_PORT/copy.html',
      services: {
        // api fetches from web while starting: it only starts once web answers.
        api: {
          image: TEST_IMAGE,
          command: 'mkdir -p /www && wget -q -O /www/copy.html http://web/index.html && cp /www/copy.html $REGATTA_OUTPUTS/ && exec httpd -f -p 8080 -h /www',
          ports: [8080],
          health: { tcp: 8080, interval: 0.1 },
          depends_on: ['web'],
        },
        web,
      },
    }));
    const run = await t.api.waitForRun(id, { intervalMs: 100 });
    expect(run).toMatchObject({ status: 'succeeded', services: ['web', 'api'] });
    expect(await readAll(await t.api.logs(id))).toBe('hello from web\nhello from web\n');
    const ev = await events(id);
    const at = (s: string) => ev.findIndex((e) => e.includes(s));
    expect(at('service web healthy')).toBeGreaterThan(-1);
    expect(at('service web healthy')).toBeLessThan(at('service api healthy'));
    expect(at('service api healthy')).toBeLessThan(at('>running'));
    expect(ev).toContain('running>cleanup');
    expect(ev.at(-1)).toBe('cleanup>succeeded: exit code 0');
    expect(run.artifacts.map((a) => a.path)).toContain('services/api/copy.html');
    const logs = await runCli(['logs', id, '--service', 'web'], { url: t.url });
    expect(logs.stdout).toBe('web up\n');
    await noLeftovers(env.hostA, id);
  });

  it('fails the run naming a service that dies, with everything it wrote in its log', async () => {
    const { id } = await t.api.submit(docker({ command: 'sleep 30', services: { flaky: { image: TEST_IMAGE, command: 'sleep 0.5; echo bye; exit 3' } } }));
    const run = await t.api.waitForRun(id, { intervalMs: 100 });
    expect(run).toMatchObject({ status: 'failed', reason: "service 'flaky' exited (exit code 3)" });
    expect(await events(id)).toContain('running>cleanup');
    expect(await readAll(await t.api.logs(id, { service: 'flaky' }))).toBe('bye\n');
    await noLeftovers(env.hostA, id);
  });

  it('takes service overrides from a template run: image and env changed, one added, one removed', async () => {
    await connectDocker({ url: env.hostA }).getImage(TEST_IMAGE).tag({ repo: 'regatta-test/busybox', tag: 'alt' });
    await t.api.pushTemplate('bench', {
      spec: docker({
        command: 'wget -q -O - http://target/; echo "old=${REGATTA_SERVICE_OLD_HOST:-none} extra=${REGATTA_SERVICE_EXTRA_HOST:-none}"',
        services: {
          target: { image: TEST_IMAGE, command: 'mkdir /w && echo "v=$V" > /w/index.html && exec httpd -f -p 80 -h /w', env: { V: '1' }, ports: [80], health: { tcp: 80, interval: 0.1 } },
          old: { image: TEST_IMAGE, command: 'exec sleep 60' },
        },
      }),
    });
    const r = await runCli([
      'template', 'run', 'bench', '--wait', '--set', 'services.target.image=regatta-test/busybox:alt', '--set', 'services.target.env.V=2',
      '--set', 'services.old=null', '--set', `services.extra={image: "${TEST_IMAGE}", command: exec sleep 60}`,
    ], { url: t.url });
    expect(r.code).toBe(0);
    const id = /run ([0-9a-z]{20})/.exec(r.stderr)?.[1] ?? '';
    const run = await t.api.getRun(id);
    expect(run).toMatchObject({ status: 'succeeded', services: ['target', 'extra'] });
    expect(await readAll(await t.api.logs(id))).toBe('v=2\nold=none extra=extra\n');
    expect((run.resolved.services as { name: string; image: string }[]).find((s) => s.name === 'target')?.image).toBe('regatta-test/busybox:alt');
  });

  it('publishes the ports of a kind: service run and reports its health from the Docker check', async () => {
    const { id } = await t.api.submit(docker({ ...web, kind: 'service', restart: { policy: 'never' } }));
    await waitFor('healthy', async () => (await t.api.getRun(id)).health === 'healthy');
    const endpoint = t.server.engine.endpoint(id, 80);
    expect(endpoint).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(await (await fetch(`http://${endpoint}/index.html`)).text()).toBe('hello from web\n');
    await t.api.cancel(id);
    expect((await t.api.waitForRun(id, { intervalMs: 100 })).status).toBe('canceled');
    await noLeftovers(env.hostA, id);
  });

  it('after kill -9 of the server, re-attaches a run with services as a whole, and a kind: service run with its health', async () => {
    const data = tempDir();
    const config = join(data, 'config.yaml');
    writeFileSync(config, `docker: {host: "${env.hostA}"}\nstopGrace: 1s\n`);
    const port = await freePort();
    const api = new RegattaClient({ url: `http://127.0.0.1:${port}`, token: TOKEN });
    const s1 = await spawnServer(data, port, ['--config', config]);
    let s2: ChildProcess | undefined;
    try {
      const { id } = await api.submit(docker({
        command: 'echo start; sleep 6; wget -qO- http://side:8080/ || echo unreachable', services: { side: { image: TEST_IMAGE, command: 'mkdir -p /www && echo side-ok > /www/index.html && exec httpd -f -p 8080 -h /www', ports: [8080] } },
      }));
      const { id: svc } = await api.submit(docker({
        kind: 'service', command: 'exec sleep 600', health: { command: 'true', interval: 0.2 }, restart: { policy: 'never' },
      }));
      await waitForStatus(api, id, 'running');
      await waitFor('healthy', async () => (await api.getRun(svc)).health === 'healthy');
      s1.kill('SIGKILL');
      await new Promise((r) => s1.once('exit', r));
      expect((await leftovers(env.hostA, id)).length).toBe(3); // main, side, the network: they outlive the server
      s2 = await spawnServer(data, port, ['--config', config]);
      expect(await api.getRun(id)).toMatchObject({ status: 'running', attempt: 1 });
      const run = await api.waitForRun(id, { intervalMs: 100, timeoutMs: 60_000 });
      expect(run).toMatchObject({ status: 'succeeded', attempt: 1 });
      expect(await readAll(await api.logs(id))).toBe('start\nside-ok\n');
      await noLeftovers(env.hostA, id);
      // The service run is the same attempt, and its health is watched again.
      const after = await waitFor('healthy again', async () => { const r = await api.getRun(svc); return r.health === 'healthy' ? r : undefined; });
      expect(after).toMatchObject({ status: 'running', attempt: 1 });
      const reasons = (await api.events(svc)).items.map((e) => e.reason ?? '');
      expect(reasons.lastIndexOf('healthy: health check passed')).toBeGreaterThan(reasons.indexOf('re-attached after a server restart'));
      await api.cancel(svc);
      expect((await api.waitForRun(svc, { intervalMs: 100 })).status).toBe('canceled');
      await noLeftovers(env.hostA, svc);
    } finally {
      if (s1.exitCode === null) s1.kill('SIGKILL');
      if (s2) {
        s2.kill('SIGTERM');
        await new Promise((r) => s2?.once('exit', r));
      }
    }
  }, 120_000);
});

describe('an engine without networking', () => {
  it('refuses a run with services, without retrying', async () => {
    const b = await startTestServer({ docker: { host: env.hostB }, node: { cpus: 2 } });
    try {
      const { id } = await b.api.submit(docker({ command: 'true', retries: 2, services: { side: { image: TEST_IMAGE, command: 'exec sleep 60' } } }));
      const run = await b.api.waitForRun(id, { intervalMs: 100 });
      expect(run).toMatchObject({ status: 'failed', attempt: 1 });
      expect(run.reason).toMatch(/has no container networking \(dockerd --bridge none\): a run with services needs a network of its own/);
      await noLeftovers(env.hostB, id);
    } finally {
      await b.close();
    }
  });
});

describe('the benchmark controller facade (seed 003) on docker services', () => {
  let c: TestServer | undefined;
  afterAll(async () => { await c?.close(); });
  beforeEach((ctx) => { if (env.networkA !== 'bridge') ctx.skip(); });

  it('runs a benchmark with a service image override; the result the task posts to its webhook is returned', async () => {
    const d = connectDocker({ url: env.hostA });
    // A second image for the override: the test image with a /version file (docker commit).
    await commitTestImage(env.hostA, 'regatta-test/forwarder', 'other-tag', 'echo other-tag > /version');
    // Containers reach the API through daemon a's bridge address (the server listens on all addresses).
    const gateway = ((await d.getNetwork('bridge').inspect()) as { IPAM: { Config: { Gateway: string }[] } }).IPAM.Config[0]?.Gateway;
    const port = await freePort();
    c = await startTestServer({
      docker: { host: env.hostA }, node: { cpus: 8 }, host: '0.0.0.0', port, publicUrl: `http://${gateway}:${port}`,
      compat: { benchmark: { template: 'mps-docker' } },
    });
    await c.api.pushTemplate('mps-docker', {
      spec: docker({
        // The benchmark tools: read the target, post the result to the webhook with the run token, linger.
        command: 'v=$(wget -q -O - http://forwarder/index.html); '
          + 'wget -q -O /dev/null --header "Authorization: Bearer $REGATTA_RUN_TOKEN" --header "Content-Type: application/json" '
          + '--post-data "{\\"evaluations\\": {\\"passed\\": true, \\"forwarder\\": \\"$v\\"}}" "$RESULT_WEBHOOK"; sleep 60',
        services: {
          forwarder: {
            image: TEST_IMAGE,
            command: 'mkdir -p /www && (cat /version 2>/dev/null || echo base) > /www/index.html && exec httpd -f -p 80 -h /www',
            ports: [80], health: { http: { port: 80, path: '/index.html' }, interval: 0.1 },
          },
        },
      }),
    });
    const base = `${c.url}/compat/benchmark/api/v1.0`;
    const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
    const submitted = await fetch(`${base}/run_benchmark`, {
      method: 'POST', headers, body: JSON.stringify({ override_services: { forwarder: { image: 'regatta-test/forwarder:other-tag' } } }),
    });
    expect(submitted.status).toBe(200);
    const { result_id: resultId } = (await submitted.json()) as { result_id: string };
    const done = await waitFor('FINISHED', async () => {
      const r = (await (await fetch(`${base}/get_result/${resultId}`, { headers })).json()) as { status: string; result: unknown; run_id: string };
      return r.status === 'FINISHED' ? r : undefined;
    }, 90_000);
    expect(done.result).toEqual({ evaluations: { passed: true, forwarder: 'other-tag' } });
    const run = await c.api.getRun(done.run_id);
    expect(run).toMatchObject({ status: 'succeeded', reason: 'finished: its result was posted' });
    await noLeftovers(env.hostA, run.id);
  }, 120_000);
});


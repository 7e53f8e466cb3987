/**
 * The pool of Docker engines across separate hosts (scripts/docker-hosts-test-env.sh): three network
 * namespaces, each with its own dockerd on tcp://<ip>:2376 behind mutual TLS. The server runs in
 * this process's namespace and reaches the engines only over the veth links; a host is cut off by
 * taking its side of the link down (packets dropped, not refused).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDocker, outputsStamp } from '@regatta/runtimes';
import { RegattaClient } from '@regatta/sdk';
import { DOCKER_ENV_TIMEOUT_MS, TEST_IMAGE, dockerSpec } from '../docker-env.js';
import { startDockerHostsEnv, type DockerHostsEnv } from '../docker-hosts-env.js';
import { TOKEN, freePort, readAll, runCli, sleep, spawnServer, startTestServer, tempDir, waitFor, waitForStatus, type TestServer } from '../helpers.js';

let env: DockerHostsEnv;
let t: TestServer;

beforeAll(async () => {
  env = await startDockerHostsEnv(3);
  t = await startTestServer({
    // No local engine: `runtime: docker` runs can only go to the pool.
    docker: { host: 'unix:///nonexistent/regatta-test-docker.sock' }, nodeHealthInterval: '200ms', nodeLostAfter: '3s',
  });
}, DOCKER_ENV_TIMEOUT_MS);

afterAll(async () => {
  await t?.close();
  await env?.stop();
}, 120_000);

const docker = dockerSpec;
/** Containers of a run on host i, asked over the network with the client certificate. */
const containersOn = async (i: number, runId: string) =>
  connectDocker({ url: env.hosts[i - 1]!.url, tlsDir: env.tlsDir }).listContainers({ all: true, filters: { label: [`dev.regatta.run=${runId}`] } });
const hostOf = (node: string): number => Number(node.replace('lab-', ''));

describe('engines on other hosts, over mutual TLS', () => {
  it('refuses a missing, plain or foreign client certificate with an error naming the node', async () => {
    const url = env.hosts[0]!.url;
    const plain = await runCli(['nodes', 'add', 'lab-1', '--docker', url], { url: t.url });
    expect(plain.code).not.toBe(0);
    expect(plain.stderr).toMatch(/node 'lab-1' \(tcp:\/\/10\.214\.\d+\.\d+:2376\): the engine expects TLS: give its client certificates \(--tls-dir\)/);
    const rogue = await runCli(['nodes', 'add', 'lab-1', '--docker', url, '--tls-dir', env.rogueTlsDir], { url: t.url });
    expect(rogue.stderr).toMatch(new RegExp(`node 'lab-1' .*the engine refused this server's client certificate .*cert\\.pem in ${env.rogueTlsDir}`));
    const none = await runCli(['nodes', 'add', 'lab-1', '--docker', url, '--tls-dir', env.noCertTlsDir], { url: t.url });
    expect(none.stderr).toMatch(new RegExp(`node 'lab-1' .*cannot read ${env.noCertTlsDir}/cert\\.pem`));
    expect((await t.api.nodes()).items.map((n) => n.name)).not.toContain('lab-1');
  });

  it('registers three TLS engines and spreads runs over them; logs and outputs come back', async () => {
    for (const [i, h] of env.hosts.entries()) {
      const add = await runCli(['nodes', 'add', `lab-${i + 1}`, '--docker', h.url, '--tls-dir', env.tlsDir], { url: t.url });
      expect(add.stderr).toBe('');
      expect(add.stdout).toMatch(new RegExp(`^lab-${i + 1}: \\d+ CPUs`));
    }
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      ids.push((await t.api.submit(docker({ command: `sleep 2; echo run ${i}; echo ${i} > $REGATTA_OUTPUTS/n.txt`, resources: { cpus: 1 } }))).id);
    }
    const runs = await Promise.all(ids.map((id) => t.api.waitForRun(id, { intervalMs: 200, timeoutMs: 60_000 })));
    expect(runs.map((r) => r.status)).toEqual(Array(6).fill('succeeded'));
    expect(new Set(runs.map((r) => r.node))).toEqual(new Set(['lab-1', 'lab-2', 'lab-3']));
    for (const [i, id] of ids.entries()) {
      expect(await readAll(await t.api.logs(id))).toBe(`run ${i}\n`);
      expect(await readAll(await t.api.downloadArtifact(id, 'n.txt'))).toBe(`${i}\n`);
    }
    const nodes = (await runCli(['nodes'], { url: t.url })).stdout;
    for (const n of ['lab-1', 'lab-2', 'lab-3']) expect(nodes).toMatch(new RegExp(`${n}\\s+docker-pool\\s+ready\\s+0/\\d+`));
  }, 120_000);
});

describe('data paths from a remote engine', () => {
  it('copies outputs back when the container ends, streamed (a 200 MB file); logs stream while it runs', async () => {
    const { id } = await t.api.submit(docker({
      command: 'dd if=/dev/zero of=$REGATTA_OUTPUTS/big.bin bs=1M count=200 2>/dev/null; mkdir $REGATTA_OUTPUTS/sub; echo hi > $REGATTA_OUTPUTS/sub/x.txt; echo written; sleep 4',
    }));
    await waitFor('the log line, while the run is still running', async () => (await readAll(await t.api.logs(id))).includes('written'), 60_000);
    // Not a bind mount of the server's directory: nothing is there until the container ends.
    expect((await t.api.getRun(id)).status).toBe('running');
    expect((await t.api.artifacts(id)).items).toEqual([]);
    const run = await t.api.waitForRun(id, { intervalMs: 200, timeoutMs: 120_000 });
    expect(run.status).toBe('succeeded');
    const items = (await t.api.artifacts(id)).items;
    expect(items).toContainEqual({ path: 'big.bin', size: 200 * 1024 * 1024 });
    expect(items).toContainEqual({ path: 'sub/x.txt', size: 3 });
    expect(await readAll(await t.api.downloadArtifact(id, 'sub/x.txt'))).toBe('hi\n');
  }, 180_000);
});

describe('outputs copied back only when there are any', () => {
  it('reads the outputs directory stamp before the start (nanoseconds) and sees any entry added', async () => {
    const d = connectDocker({ url: env.hosts[0]!.url, tlsDir: env.tlsDir });
    const c = await d.createContainer({ Image: TEST_IMAGE, Cmd: ['sh', '-c', 'mkdir /regatta/outputs/sub'], Volumes: { '/regatta/outputs': {} } });
    try {
      const before = await outputsStamp(c);
      expect(before).toMatch(/T\d\d:\d\d:\d\d\.\d+/);
      expect(await outputsStamp(c)).toBe(before);
      await c.start();
      await c.wait();
      expect(await outputsStamp(c)).not.toBe(before);
    } finally {
      await c.remove({ force: true, v: true });
    }
  });

  it('a file written the moment the container starts comes back; a run that writes none has no artifacts', async () => {
    const fast = await t.api.submit(docker({ command: 'echo at once > $REGATTA_OUTPUTS/first.txt' }));
    const none = await t.api.submit(docker({ command: 'echo no outputs' }));
    const gone = await t.api.submit(docker({ command: 'touch $REGATTA_OUTPUTS/tmp; rm $REGATTA_OUTPUTS/tmp' }));
    for (const { id } of [fast, none, gone]) expect((await t.api.waitForRun(id, { intervalMs: 200, timeoutMs: 60_000 })).status).toBe('succeeded');
    expect(await readAll(await t.api.downloadArtifact(fast.id, 'first.txt'))).toBe('at once\n');
    expect((await t.api.artifacts(none.id)).items).toEqual([]);
    expect((await t.api.artifacts(gone.id)).items).toEqual([]);
    expect(await readAll(await t.api.logs(none.id))).toBe('no outputs\n');
  }, 120_000);
});

describe('datasets that only some hosts have', () => {
  it('places runs needing a dataset on the node that declares it; fails with the reason when none has it', async () => {
    const datasets = tempDir('regatta-datasets-');
    for (const d of ['scenes', 'imagenet']) mkdirSync(join(datasets, d));
    writeFileSync(join(datasets, 'scenes', 'a.txt'), 'scene a\n');
    const s = await startTestServer({
      docker: { host: 'unix:///nonexistent/regatta-test-docker.sock', allowedHostPaths: [datasets] },
      nodes: [
        { name: 'ds-1', docker: env.hosts[0]!.url, tlsDir: env.tlsDir, datasets: ['scenes'] },
        { name: 'ds-2', docker: env.hosts[1]!.url, tlsDir: env.tlsDir, datasets: [] },
      ],
    });
    try {
      await s.api.putDataset('scenes', { path: join(datasets, 'scenes') });
      await s.api.putDataset('imagenet', { path: join(datasets, 'imagenet') });
      const ids = [];
      for (let i = 0; i < 3; i++) ids.push((await s.api.submit(docker({ command: 'cat /datasets/scenes/a.txt', datasets: ['scenes'], resources: { cpus: 0.5 } }))).id);
      const plain = await s.api.submit(docker({ command: 'sleep 1', resources: { cpus: 2 } }));
      for (const id of ids) {
        const run = await s.api.waitForRun(id, { intervalMs: 200, timeoutMs: 60_000 });
        expect(run).toMatchObject({ status: 'succeeded', node: 'ds-1' });
        expect(await readAll(await s.api.logs(id))).toBe('scene a\n');
      }
      expect((await s.api.waitForRun(plain.id, { intervalMs: 200, timeoutMs: 60_000 })).status).toBe('succeeded');
      const none = await s.api.waitForRun((await s.api.submit(docker({ command: 'true', datasets: ['imagenet'] }))).id, { intervalMs: 200 });
      expect(none).toMatchObject({ status: 'failed', reason: "unschedulable: no node that runs 'docker' has dataset(s) 'imagenet' (nodes declare the datasets they have)" });
    } finally {
      await s.close();
    }
  }, 120_000);
});

describe('placement over hosts of different capacities (declared in config)', () => {
  it('fills each host to its CPUs, spreads, honours memory and GPUs; `regatta nodes` shows capacity, usage, reachability, last error', async () => {
    const h = env.hosts;
    const s = await startTestServer({
      docker: { host: 'unix:///nonexistent/regatta-test-docker.sock' }, nodeHealthInterval: '200ms',
      nodes: [
        { name: 'cap-a', docker: h[0]!.url, tlsDir: env.tlsDir, cpus: 3, memory: '1Gi' },
        { name: 'cap-b', docker: h[1]!.url, tlsDir: env.tlsDir, cpus: 2, memory: '2Gi' },
        { name: 'cap-c', docker: h[2]!.url, tlsDir: env.tlsDir, cpus: 1, memory: '512Mi', gpus: 1 },
        // Nothing listens there: a node that does not answer.
        { name: 'cap-off', docker: `tcp://${h[0]!.addr}:2399`, tlsDir: env.tlsDir, cpus: 64 },
      ],
    });
    const ids: string[] = [];
    try {
      const before = (await runCli(['nodes'], { url: s.url })).stdout;
      expect(before).toMatch(/cap-a\s+docker-pool\s+ready\s+0\/3\s+0B\/1\.0GiB\s+0\/0\s+0\s*\n/);
      expect(before).toMatch(/cap-b\s+docker-pool\s+ready\s+0\/2\s+0B\/2\.0GiB\s+0\/0/);
      expect(before).toMatch(/cap-c\s+docker-pool\s+ready\s+0\/1\s+0B\/512\.0MiB\s+0\/1/);
      expect(before).toMatch(/cap-off\s+docker-pool\s+down\s+0\/64.*\d\d:\d\d:\d\d does not answer: connect ECONNREFUSED/);

      // Six 1-CPU runs fill the three hosts exactly; a seventh waits.
      for (let i = 0; i < 7; i++) ids.push((await s.api.submit(docker({ command: 'sleep 120', resources: { cpus: 1, memory: '128Mi' } }))).id);
      await waitFor('six runs running', async () => (await Promise.all(ids.map((id) => s.api.getRun(id)))).filter((r) => r.status === 'running').length === 6, 90_000);
      const runs = await Promise.all(ids.map((id) => s.api.getRun(id)));
      const perNode = (n: string) => runs.filter((r) => r.status === 'running' && r.node === n).length;
      expect([perNode('cap-a'), perNode('cap-b'), perNode('cap-c'), perNode('cap-off')]).toEqual([3, 2, 1, 0]);
      expect(runs.filter((r) => r.status === 'queued')).toHaveLength(1);
      const during = (await runCli(['nodes'], { url: s.url })).stdout;
      expect(during).toMatch(/cap-a\s+docker-pool\s+ready\s+3\/3\s+384\.0MiB\/1\.0GiB\s+0\/0\s+3/);
      expect(during).toMatch(/cap-b\s+docker-pool\s+ready\s+2\/2\s+256\.0MiB\/2\.0GiB\s+0\/0\s+2/);
      expect(during).toMatch(/cap-c\s+docker-pool\s+ready\s+1\/1\s+128\.0MiB\/512\.0MiB\s+0\/1\s+1/);
      for (const id of ids) await s.api.cancel(id);
      for (const id of ids) await s.api.waitForRun(id, { intervalMs: 200, timeoutMs: 60_000 });

      // Memory only one host has; a GPU only one host declares.
      const big = await s.api.submit(docker({ command: 'true', resources: { cpus: 1, memory: '1536Mi' } }));
      expect(await s.api.waitForRun(big.id, { intervalMs: 200, timeoutMs: 60_000 })).toMatchObject({ status: 'succeeded', node: 'cap-b' });
      // No NVIDIA runtime on these hosts: the container cannot start, but it was placed on cap-c with GPU 0.
      const gpu = await s.api.waitForRun((await s.api.submit(docker({ command: 'true', resources: { gpus: 1 } }))).id, { intervalMs: 200, timeoutMs: 60_000 });
      expect(gpu.attempts[0]).toMatchObject({ node: 'cap-c', gpus: [0] });
      // Two 2-CPU runs on an idle pool go to different hosts (the one with the most free CPUs first).
      const light = [];
      for (let i = 0; i < 2; i++) light.push((await s.api.submit(docker({ command: 'sleep 3', resources: { cpus: 2 } }))).id);
      const placed = await Promise.all(light.map((id) => s.api.waitForRun(id, { intervalMs: 200, timeoutMs: 60_000 })));
      expect(placed.map((r) => r.status)).toEqual(['succeeded', 'succeeded']);
      expect(new Set(placed.map((r) => r.node)).size).toBe(2);
    } finally {
      for (const id of ids) await s.api.cancel(id).catch(() => undefined);
      await s.close();
    }
  }, 240_000);
});

describe('network faults', () => {
  it('a host cut off mid-run: its run ends lost after nodeLostAfter and retries elsewhere; back, its stray container goes', async () => {
    const { id } = await t.api.submit(docker({ command: 'echo "attempt $REGATTA_ATTEMPT"; [ "$REGATTA_ATTEMPT" -ge 2 ] || sleep 300', retries: 1 }));
    const running = await waitForStatus(t.api, id, 'running');
    const node = running.node ?? '';
    const host = hostOf(node);
    expect((await containersOn(host, id)).map((c) => c.State)).toEqual(['running']);
    const cutAt = Date.now();
    await env.cut(host);
    try {
      await waitFor(`${node} to be down`, async () => (await t.api.nodes()).items.find((n) => n.name === node && !n.ready), 30_000);
      const run = await t.api.waitForRun(id, { intervalMs: 100, timeoutMs: 60_000 });
      const retriedAfterMs = Date.now() - cutAt;
      expect(run).toMatchObject({ status: 'succeeded', attempt: 2 });
      expect(run.attempts[0]).toMatchObject({ status: 'lost', node, reason: expect.stringMatching(new RegExp(`${node} stopped answering`)) as string });
      expect(run.node).not.toBe(node);
      // nodeLostAfter is 3s: not given up before that.
      expect(retriedAfterMs).toBeGreaterThanOrEqual(3000);
      console.log(`cut-off ${node} → run retried elsewhere and done in ${retriedAfterMs} ms (nodeLostAfter 3s, health interval 200ms)`);
      const listed = (await runCli(['nodes'], { url: t.url })).stdout;
      expect(listed).toMatch(new RegExp(`${node}\\s+docker-pool\\s+down.*does not answer`));
    } finally {
      await env.restore(host);
    }
    await waitFor(`${node} to rejoin`, async () => (await t.api.nodes()).items.find((n) => n.name === node && n.ready), 30_000);
    // The first attempt's container ran on while the host was cut off (nothing can reach it then);
    // on return it is removed, and the attempt is not followed again.
    await waitFor('the stray container to go', async () => (await containersOn(host, id)).length === 0, 30_000);
    expect((await t.api.getRun(id)).attempts.map((a) => a.status)).toEqual(['lost', 'succeeded']);
    expect((await t.api.nodes()).items.find((n) => n.name === node)?.lastError?.message).toMatch(/does not answer/);
  }, 180_000);

  it('a slow link does not mark a healthy node lost (netem delay where the kernel has it, else a tbf rate limit)', async (ctx) => {
    const all = env.hosts.map((_, i) => i + 1);
    let how = 'netem delay 300 ms each way';
    try {
      for (const i of all) await env.delay(i, 300);
    } catch (e) {
      // This kernel lacks sch_netem ("Specified qdisc kind is unknown"); a token bucket narrows the link instead.
      try {
        for (const i of all) await env.throttle(i, 1000);
        how = `tbf 1 Mbit/s each way (no netem: ${(e as Error).message.split('\n').filter(Boolean).at(-1) ?? ''})`;
      } catch (e2) {
        for (const i of all) await env.restore(i);
        ctx.skip(`neither tc netem nor tbf is available here: ${(e2 as Error).message.split('\n').slice(-2).join(' ')}`);
      }
    }
    try {
      let downs = 0;
      let watching = true;
      const watch = (async () => {
        for (; watching; await sleep(200)) downs += (await t.api.nodes()).items.filter((n) => n.backend === 'docker-pool' && !n.ready).length;
      })();
      // Logs all along and 512 KiB of outputs (about 4 s at 1 Mbit/s) at the end.
      const { id } = await t.api.submit(docker({
        command: 'i=0; while [ $i -lt 20 ]; do echo "line $i"; i=$((i+1)); sleep 0.2; done; dd if=/dev/zero of=$REGATTA_OUTPUTS/half.bin bs=64k count=8 2>/dev/null',
      }));
      const t0 = Date.now();
      const run = await t.api.waitForRun(id, { intervalMs: 200, timeoutMs: 120_000 });
      watching = false;
      await watch;
      expect(run).toMatchObject({ status: 'succeeded', attempt: 1 });
      expect((await t.api.artifacts(id)).items).toEqual([{ path: 'half.bin', size: 512 * 1024 }]);
      expect((await readAll(await t.api.logs(id))).split('\n')).toHaveLength(21);
      expect((await t.api.nodes()).items.every((n) => n.ready)).toBe(true);
      console.log(`slow link (${how}): run done in ${Date.now() - t0} ms; pool nodes seen not ready ${downs} times (probes every 200 ms, nodeLostAfter 3s)`);
    } finally {
      for (const i of all) await env.restore(i);
    }
  }, 180_000);
});

describe('an engine over ssh://', () => {
  it('checks the host key against known_hosts, then runs containers through it', async () => {
    const wrong = await runCli(['nodes', 'add', 'lab-ssh', '--docker', env.sshUrl, '--ssh-dir', env.sshWrongHostDir], { url: t.url });
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(new RegExp(`node 'lab-ssh' \\(ssh://root@[0-9.]+\\): its SSH host key is not the one in ${env.sshWrongHostDir}/known_hosts`));
    const add = await runCli(['nodes', 'add', 'lab-ssh', '--docker', env.sshUrl, '--ssh-dir', env.sshDir], { url: t.url });
    expect(add.stderr).toBe('');
    expect(add.stdout).toMatch(/^lab-ssh: \d+ CPUs/);
    // Only the ssh node is left for docker runs.
    for (const n of ['lab-1', 'lab-2', 'lab-3']) expect((await runCli(['nodes', 'rm', n], { url: t.url })).stdout).toBe(`${n} removed\n`);
    const { id } = await t.api.submit(docker({ command: 'echo over ssh; echo 42 > $REGATTA_OUTPUTS/answer.txt' }));
    const run = await t.api.waitForRun(id, { intervalMs: 200, timeoutMs: 60_000 });
    expect(run).toMatchObject({ status: 'succeeded', node: 'lab-ssh' });
    expect(await readAll(await t.api.logs(id))).toBe('over ssh\n');
    expect(await readAll(await t.api.downloadArtifact(id, 'answer.txt'))).toBe('42\n');
  }, 120_000);
});

describe('what a job on another host can reach', () => {
  it('reports metrics live through the API when the server listens where the hosts can route to', async () => {
    // The server on this machine's end of host 1's link; containers on the host's own network
    // (these engines have no bridge). REGATTA_API_URL is then that address.
    const s = await startTestServer({
      host: env.hosts[0]!.gateway,
      docker: { host: 'unix:///nonexistent/regatta-test-docker.sock', network: 'host' },
      nodes: [{ name: 'far-1', docker: env.hosts[0]!.url, tlsDir: env.tlsDir }],
    });
    try {
      const post = (body: string) =>
        `wget -q -O- --header "Authorization: Bearer $REGATTA_RUN_TOKEN" --header "Content-Type: application/json" --post-data '${body}' "$REGATTA_API_URL/api/v1/runs/$REGATTA_RUN_ID/metrics"`;
      const { id } = await s.api.submit(docker({
        command: `echo "api $REGATTA_API_URL"; ${post('{"name":"loss","value":0.5,"step":1}')} && sleep 30`,
      }));
      await waitFor('the metric, while the run is still running', async () => (await s.api.metrics(id)).items.length > 0, 60_000);
      // The job posts before it sleeps; the server may not have recorded `running` yet when it lands.
      await waitForStatus(s.api, id, 'running');
      expect((await s.api.metrics(id)).items).toMatchObject([{ name: 'loss', value: 0.5, step: 1, attempt: 1 }]);
      expect(await readAll(await s.api.logs(id))).toMatch(new RegExp(`^api http://${env.hosts[0]!.gateway.replace(/\./g, '\\.')}:\\d+`));
      await s.api.cancel(id);
      expect((await s.api.waitForRun(id, { intervalMs: 200, timeoutMs: 60_000 })).status).toBe('canceled');
    } finally {
      await s.close();
    }
  }, 120_000);
});

describe('server restart with containers on remote engines', () => {
  it('re-attaches to a TLS engine after kill -9: logs resume without gaps or duplicates', async () => {
    const data = tempDir();
    const config = join(data, 'config.yaml');
    writeFileSync(config, [
      'docker: {host: "unix:///nonexistent/regatta-test-docker.sock"}', 'stopGrace: 1s',
      'nodes:', `  - {name: lab-2, docker: "${env.hosts[1]!.url}", tlsDir: "${env.tlsDir}"}`, '',
    ].join('\n'));
    const port = await freePort();
    const api = new RegattaClient({ url: `http://127.0.0.1:${port}`, token: TOKEN });
    const s1 = await spawnServer(data, port, ['--config', config]);
    try {
      const { id } = await api.submit(docker({ command: 'i=1; while [ $i -le 40 ]; do echo "line $i"; i=$((i+1)); sleep 0.1; done' }));
      await waitFor('some lines', async () => (await readAll(await api.logs(id))).includes('line 5'));
      s1.kill('SIGKILL');
      await new Promise((r) => s1.once('exit', r));
      // Left on the engine by attempts that are not active: one of this server's runs (an attempt it
      // never had), and one of a run this server does not know (another server's).
      const engine = connectDocker({ url: env.hosts[1]!.url, tlsDir: env.tlsDir });
      const plant = async (runId: string) => engine.createContainer({ Image: TEST_IMAGE, Cmd: ['true'], Labels: { 'dev.regatta.run': runId, 'dev.regatta.attempt': '7' } });
      const ours = await plant(id);
      const theirs = await plant('01otherserverrun0000000');
      await sleep(1000);
      const s2 = await spawnServer(data, port, ['--config', config]);
      try {
        const run = await api.waitForRun(id, { intervalMs: 100, timeoutMs: 30_000 });
        expect(run).toMatchObject({ status: 'succeeded', attempt: 1, exitCode: 0, node: 'lab-2' });
        expect((await readAll(await api.logs(id))).trimEnd().split('\n')).toEqual(Array.from({ length: 40 }, (_, i) => `line ${i + 1}`));
        await waitFor("this server's stray to go", async () => !(await containersOn(2, id)).some((c) => c.Id === ours.id));
        expect((await theirs.inspect()).Id).toBe(theirs.id);
        await theirs.remove({ force: true });
      } finally {
        s2.kill('SIGTERM');
        await new Promise((r) => s2.once('exit', r));
      }
    } finally {
      if (s1.exitCode === null) s1.kill('SIGKILL');
    }
  }, 90_000);
});

/**
 * The Docker runtime and the pool of engines against two real, private Docker daemons
 * (scripts/docker-test-env.sh): daemon A is this machine's engine, daemon B acts as another machine.
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDocker } from '@regatta/runtimes';
import { RegattaClient } from '@regatta/sdk';
import { DOCKER_ENV_TIMEOUT_MS, TEST_IMAGE, startDockerEnv, type DockerEnv } from '../docker-env.js';
import { TOKEN, freePort, readAll, runCli, sleep, spawnServer, startTestServer, tempDir, waitFor, waitForStatus, type TestServer } from '../helpers.js';

let env: DockerEnv;
let t: TestServer;
const datasets = tempDir('regatta-datasets-');

beforeAll(async () => {
  env = await startDockerEnv();
  t = await startTestServer({
    docker: { host: env.hostA, allowedHostPaths: [datasets] }, node: { cpus: 2 }, nodeHealthInterval: '200ms', nodeLostAfter: '2s',
  });
}, DOCKER_ENV_TIMEOUT_MS);

afterAll(async () => {
  await t?.close();
  await env?.stop();
}, 120_000);

const docker = (spec: Record<string, unknown>) => ({ runtime: 'docker', image: TEST_IMAGE, ...spec });
const containersOf = async (host: string, runId: string) =>
  connectDocker({ url: host }).listContainers({ all: true, filters: { label: [`dev.regatta.run=${runId}`] } });

describe('docker runtime', () => {
  it('runs a container: logs in order, exit code, outputs and metrics through the mounted outputs dir', async () => {
    const { id } = await t.api.submit(docker({
      command: 'echo hello; echo oops >&2; echo "{\\"name\\":\\"acc\\",\\"value\\":0.5}" > $REGATTA_OUTPUTS/metrics.jsonl; echo 42 > $REGATTA_OUTPUTS/answer; exit 3',
    }));
    const run = await t.api.waitForRun(id, { intervalMs: 100 });
    expect(run).toMatchObject({ status: 'failed', exitCode: 3, reason: 'exit code 3' });
    // Each stream keeps its order; how the engine interleaves stdout and stderr is its own.
    expect((await readAll(await t.api.logs(id))).split('\n').sort()).toEqual(['', 'hello', 'oops']);
    expect(run.metrics.acc?.value).toBe(0.5);
    expect(run.artifacts.map((a) => a.path)).toEqual(['answer', 'metrics.jsonl']);
    // Removed once collected, while the outcome is recorded.
    await waitFor('the container to be removed', async () => (await containersOf(env.hostA, id)).length === 0);
  });

  it('enforces CPUs through the engine and ends an OOM-killed container failed with reason oom', async () => {
    const cpu = await t.api.submit(docker({
      command: 'cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us 2>/dev/null || cut -d" " -f1 /sys/fs/cgroup/cpu.max', resources: { cpus: 0.5 },
    }));
    await t.api.waitForRun(cpu.id, { intervalMs: 100 });
    expect((await readAll(await t.api.logs(cpu.id))).trim()).toBe('50000');
    const oom = await t.api.submit(docker({ command: 'dd if=/dev/zero bs=1M count=256 | tail', resources: { memory: '32Mi' } }));
    const run = await t.api.waitForRun(oom.id, { intervalMs: 100 });
    expect(run).toMatchObject({ status: 'failed', reason: 'oom' });
  });

  it('cancel and timeout stop the container (grace, then kill) and remove it', async () => {
    const { id } = await t.api.submit(docker({ command: 'echo up; sleep 60' }));
    await waitForStatus(t.api, id, 'running');
    await t.api.cancel(id);
    expect((await t.api.waitForRun(id, { intervalMs: 100 })).status).toBe('canceled');
    expect(await containersOf(env.hostA, id)).toEqual([]);
    const started = Date.now();
    const slow = await t.api.submit(docker({ command: "trap '' TERM; sleep 60", timeout: '1s' }));
    expect((await t.api.waitForRun(slow.id, { intervalMs: 100 })).status).toBe('timed_out');
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('mounts allowed host paths read-only, and refuses any other host path', async () => {
    mkdirSync(join(datasets, 'ais', '2011'), { recursive: true });
    writeFileSync(join(datasets, 'ais', '2011', 'msgs.cdv'), 'msg\n');
    const { id } = await t.api.submit(docker({
      command: 'cat /data/2011/msgs.cdv; touch /data/x 2>/dev/null && echo writable || echo read-only',
      mounts: [{ source: join(datasets, 'ais'), target: '/data' }],
    }));
    await t.api.waitForRun(id, { intervalMs: 100 });
    expect(await readAll(await t.api.logs(id))).toBe('msg\nread-only\n');
    const err = await t.api.submit(docker({ command: 'true', mounts: [{ source: '/etc', target: '/etc2' }] })).catch((e: unknown) => e);
    expect((err as { status: number }).status).toBe(400);
    expect((err as { problem: { errors: unknown[] } }).problem.errors).toEqual([
      { path: 'mounts[0].source', message: `/etc is not under a host path the admin allows (${datasets})` },
    ]);
  });

  it('mounts a named dataset read-only at /datasets/<name>', async () => {
    mkdirSync(join(datasets, 'scenes'), { recursive: true });
    writeFileSync(join(datasets, 'scenes', 'a.json'), '{"scene":"a"}');
    await t.api.putDataset('scenes', { path: join(datasets, 'scenes') });
    const { id } = await t.api.submit(docker({
      command: 'cat $REGATTA_DATASET_SCENES/a.json; echo; touch /datasets/scenes/x 2>/dev/null && echo writable || echo read-only', datasets: ['scenes'],
    }));
    await t.api.waitForRun(id, { intervalMs: 100 });
    expect(await readAll(await t.api.logs(id))).toBe('{"scene":"a"}\nread-only\n');
  });

  it('refuses an image the engine does not have, without retrying', async () => {
    const run = await t.api.waitForRun((await t.api.submit(docker({ image: 'no/such:image', command: 'true', retries: 2 }))).id);
    expect(run).toMatchObject({ status: 'failed', attempt: 1 });
    expect(run.reason).toMatch(/image 'no\/such:image' is not on the Docker engine/);
  });
});

describe('image builds', () => {
  it('builds from an uploaded context with the build output in the logs, and does not rebuild an unchanged context', async () => {
    const ctx = tempDir('regatta-build-');
    writeFileSync(join(ctx, 'Dockerfile'), `FROM ${TEST_IMAGE}\nCOPY algo.sh /algo.sh\n`);
    writeFileSync(join(ctx, 'algo.sh'), 'echo "trained with lr=$1"\n');
    writeFileSync(join(ctx, 'job.yaml'), 'runtime: docker\nbuild:\n  context: .\ncommand: sh /algo.sh ${params.lr}\nparams:\n  lr: 0.1\n');
    const first = await runCli(['run', '-f', join(ctx, 'job.yaml'), '--follow'], { url: t.url });
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/Step 1\/2 : FROM/);
    expect(first.stdout).toMatch(/trained with lr=0.1\n$/);
    const id = /run ([0-9a-z]{20})/.exec(first.stderr)?.[1] ?? '';
    expect((await t.api.events(id)).items.map((e) => e.to)).toEqual(['queued', 'starting', 'building', 'running', 'succeeded']);
    const second = await runCli(['run', '-f', join(ctx, 'job.yaml'), '--follow', '--set', 'params.lr=0.2'], { url: t.url });
    expect(second.stdout).toMatch(/using cached image regatta-build:/);
    expect(second.stdout).not.toMatch(/Step 1\/2/);
    expect(second.stdout).toMatch(/trained with lr=0.2/);
  });

  it('runs a template with an uploaded Dockerfile and script: built, then run with overrides', async () => {
    const d = tempDir('regatta-tpl-');
    writeFileSync(join(d, 'Dockerfile'), `FROM ${TEST_IMAGE}\nCOPY algo.sh /algo.sh\n`);
    writeFileSync(join(d, 'algo.sh'), 'echo "epochs=$1"; echo "{\\"name\\":\\"test_loss\\",\\"value\\":0.25}" >> $REGATTA_OUTPUTS/metrics.jsonl\n');
    writeFileSync(join(d, 'spec.yaml'), 'runtime: docker\nbuild: {context: .}\ncommand: sh /algo.sh ${params.epochs}\nparams: {epochs: 1}\n');
    const push = await runCli(['template', 'push', 'trainer', '-f', join(d, 'spec.yaml'), '--file', join(d, 'Dockerfile'), '--file', join(d, 'algo.sh')], { url: t.url });
    expect(push.stdout).toMatch(/^trainer v1/);
    const r = await runCli(['template', 'run', 'trainer', '--set', 'params.epochs=3', '--follow'], { url: t.url });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Step 2\/2 : COPY algo.sh/);
    expect(r.stdout).toMatch(/epochs=3\n$/);
    const id = /run ([0-9a-z]{20})/.exec(r.stderr)?.[1] ?? '';
    const run = await t.api.getRun(id);
    expect(run.template).toEqual({ name: 'trainer', version: 1 });
    expect(run.metrics.test_loss?.value).toBe(0.25);
  });

  it('ends a broken build failed, with the build error in the logs', async () => {
    const ctx = tempDir('regatta-build-');
    writeFileSync(join(ctx, 'Dockerfile'), `FROM ${TEST_IMAGE}\nCOPY missing.txt /\n`);
    writeFileSync(join(ctx, 'job.yaml'), 'runtime: docker\nbuild:\n  context: .\ncommand: "true"\nretries: 2\n');
    const r = await runCli(['run', '-f', join(ctx, 'job.yaml'), '--follow'], { url: t.url });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/missing.txt/);
    const id = /run ([0-9a-z]{20})/.exec(r.stderr)?.[1] ?? '';
    const run = await t.api.getRun(id);
    expect(run).toMatchObject({ status: 'failed', attempt: 1 });
    expect(run.reason).toMatch(/^image build failed: .*missing.txt/);
  });
});

describe('a pool of engines', () => {
  it('registers an engine, spreads runs across machines and shows which node ran each', async () => {
    const add = await runCli(['nodes', 'add', 'lab-b', '--docker', env.hostB, '--gpus', '0'], { url: t.url });
    expect(add.stderr).toBe('');
    expect(add.stdout).toMatch(/^lab-b: \d+ CPUs/);
    expect((await runCli(['nodes', 'add', 'lab-b', '--docker', env.hostB], { url: t.url })).stderr).toMatch(/already exists/);
    expect((await runCli(['nodes', 'add', 'nowhere', '--docker', 'unix:///nonexistent.sock'], { url: t.url })).stderr).toMatch(/does not answer/);
    const ids = [];
    for (let i = 0; i < 4; i++) ids.push((await t.api.submit(docker({ command: 'sleep 1; echo done', resources: { cpus: 1 } }))).id);
    const runs = await Promise.all(ids.map((id) => t.api.waitForRun(id, { intervalMs: 100 })));
    expect(runs.every((r) => r.status === 'succeeded')).toBe(true);
    expect(new Set(runs.map((r) => r.node))).toEqual(new Set([t.server.engine.nodes()[0]!.name, 'lab-b']));
    expect((await runCli(['nodes'], { url: t.url })).stdout).toMatch(/lab-b\s+docker-pool\s+ready/);
  });

  it('an engine that stops answering takes no new runs; its runs end lost and retry elsewhere; it rejoins', async () => {
    const pid = Number(readFileSync(join(env.dir, 'b', 'dockerd.pid'), 'utf8'));
    // Fill this machine so that the next run lands on lab-b.
    const blocker = await t.api.submit(docker({ command: 'sleep 60', resources: { cpus: 2 } }));
    await waitForStatus(t.api, blocker.id, 'running');
    const onB = await t.api.submit(docker({ command: '[ "$REGATTA_ATTEMPT" -ge 2 ] || sleep 60', resources: { cpus: 1 }, retries: 1 }));
    await waitForStatus(t.api, onB.id, 'running');
    expect((await t.api.getRun(onB.id)).node).toBe('lab-b');
    process.kill(pid, 'SIGSTOP'); // a machine that hangs, not one that says no
    try {
      await waitFor('lab-b to be down', async () => (await t.api.nodes()).items.find((n) => n.name === 'lab-b' && !n.ready));
      await waitFor('the run on lab-b to be given up', async () => (await t.api.getRun(onB.id)).attempts[0]?.status === 'lost');
      await t.api.cancel(blocker.id);
      const run = await t.api.waitForRun(onB.id, { intervalMs: 100 });
      expect(run).toMatchObject({ status: 'succeeded', attempt: 2 });
      expect(run.attempts[0]).toMatchObject({ status: 'lost', node: 'lab-b', reason: expect.stringMatching(/lab-b stopped answering/) as string });
      expect(run.node).not.toBe('lab-b');
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await waitFor('lab-b to rejoin', async () => (await t.api.nodes()).items.find((n) => n.name === 'lab-b' && n.ready));
    // The container of the attempt given up is removed, not left running.
    await waitFor('the stray container to go', async () => (await containersOf(env.hostB, onB.id)).length === 0);
    expect((await runCli(['nodes', 'rm', 'lab-b'], { url: t.url })).stdout).toBe('lab-b removed\n');
  }, 60_000);
});

describe('server restart with containers', () => {
  it('re-attaches containers after kill -9: logs resume without gaps or duplicates; one that ended meanwhile is collected; strays of this server go, others stay', async () => {
    const data = tempDir();
    mkdirSync(data, { recursive: true });
    const config = join(data, 'config.yaml');
    writeFileSync(config, `docker: {host: "${env.hostA}"}\nstopGrace: 1s\n`);
    const port = await freePort();
    const api = new RegattaClient({ url: `http://127.0.0.1:${port}`, token: TOKEN });
    const s1 = await spawnServer(data, port, ['--config', config]);
    try {
      const { id } = await api.submit(docker({ command: 'i=1; while [ $i -le 40 ]; do echo "line $i"; i=$((i+1)); sleep 0.1; done' }));
      const quick = await api.submit(docker({ command: 'echo a; sleep 1; echo b; exit 5' }));
      await waitFor('some lines', async () => (await readAll(await api.logs(id))).includes('line 5'));
      s1.kill('SIGKILL');
      await new Promise((r) => s1.once('exit', r));
      // Leftovers on the engine: one of an attempt this server gave up (a run it knows, an attempt
      // that is not active), one of a run it never had (another server sharing the engine).
      const engine = connectDocker({ url: env.hostA });
      const label = (run: string) => ({ Image: TEST_IMAGE, Cmd: ['sleep', '60'], Labels: { 'dev.regatta.run': run, 'dev.regatta.attempt': '7' } });
      await (await engine.createContainer(label(quick.id))).start();
      const foreign = await engine.createContainer(label('01notarunofthisserver'));
      await foreign.start();
      await sleep(1500); // the containers keep running meanwhile; `quick` ends while the server is down
      const s2 = await spawnServer(data, port, ['--config', config]);
      try {
        expect((await containersOf(env.hostA, quick.id)).filter((c) => c.Labels['dev.regatta.attempt'] === '7')).toEqual([]);
        expect(await containersOf(env.hostA, '01notarunofthisserver')).toHaveLength(1);
        await foreign.remove({ force: true });
        const run = await api.waitForRun(id, { intervalMs: 100, timeoutMs: 30_000 });
        expect(run).toMatchObject({ status: 'succeeded', attempt: 1, exitCode: 0 });
        expect((await readAll(await api.logs(id))).trimEnd().split('\n')).toEqual(Array.from({ length: 40 }, (_, i) => `line ${i + 1}`));
        const ended = await api.waitForRun(quick.id, { intervalMs: 100 });
        expect(ended).toMatchObject({ status: 'failed', attempt: 1, exitCode: 5 });
        expect(await readAll(await api.logs(quick.id))).toBe('a\nb\n');
      } finally {
        s2.kill('SIGTERM');
        await new Promise((r) => s2.once('exit', r));
      }
    } finally {
      if (s1.exitCode === null) s1.kill('SIGKILL');
    }
  }, 60_000);
});

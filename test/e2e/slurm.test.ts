/**
 * The Slurm backend against a real, private two-node Slurm cluster on this host (scripts/slurm-test-env.sh):
 * the backend contract, then what only Slurm does (arrays, pending reasons, memory limits, restarts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendContract } from '../backend-contract.js';
import { readAll, runCli, sleep, startTestServer, tempDir, waitFor, type TestServer } from '../helpers.js';
import { SLURM_ENV_TIMEOUT_MS, startSlurmEnv, type SlurmEnv } from '../slurm-env.js';

let env: SlurmEnv;
let t: TestServer;
const data = tempDir();
const shared = tempDir('regatta-shared-');
const config = () => ({
  data, node: { cpus: 1 }, slurm: { sharedDir: shared, conf: env.conf, pollInterval: '200ms' }, queues: { hpc: { backend: 'slurm' } },
});

beforeAll(async () => {
  env = await startSlurmEnv();
  t = await startTestServer(config());
}, SLURM_ENV_TIMEOUT_MS);

afterAll(async () => {
  await t?.close();
  await env?.stop();
}, 120_000);

const slurm = (s: Record<string, unknown>) => ({ ...s, backend: 'slurm' });
const nproc = async () => Number((await env.client('nproc', [])).trim());
const jobOf = async (id: string) => (await t.api.getRun(id)).attempts.at(-1)?.externalId ?? '';

backendContract('slurm', () => ({ api: t.api, spec: slurm }));

describe('slurm backend', () => {
  it('runs a queue mapped to Slurm as Slurm jobs, names the node, and sets the rendezvous variables', async () => {
    const { id } = await t.api.submit({ queue: 'hpc', command: 'sleep 0.5; echo "$MASTER_ADDR $MASTER_PORT $WORLD_SIZE $RANK $SLURM_JOB_ID"' });
    const run = await t.api.waitForRun(id, { intervalMs: 100 });
    expect(run).toMatchObject({ status: 'succeeded', node: 'slurm' });
    const job = await jobOf(id);
    expect(job).toMatch(/^\d+$/);
    const [addr, port, world, rank, slurmJob] = (await readAll(await t.api.logs(id))).trim().split(' ');
    expect(env.nodes).toContain(addr);
    expect({ world, rank, slurmJob }).toEqual({ world: '1', rank: '0', slurmJob: job });
    expect(Number(port)).toBe(20000 + (Number(job) % 20000));
    const events = (await t.api.events(id)).items.map((e) => e.reason);
    expect(events).toContain(`running in Slurm job ${job} on ${addr}`);
  });

  it('submits a group as one job array whose %max_parallel Slurm observes', async () => {
    const marks = tempDir('regatta-marks-');
    const { groupId } = await t.api.submitGroup(slurm({
      command: `echo "start $(date +%s%N)" >> ${marks}/\${params.i}; sleep 1; echo "end $(date +%s%N)" >> ${marks}/\${params.i}`,
      matrix: { i: [0, 1, 2, 3, 4] }, max_parallel: 2,
    }));
    const runs = (await t.api.groupRuns(groupId)).items;
    // Items waiting behind the limit show Slurm's reason.
    await waitFor('a pending reason', async () => {
      for (const r of runs) if ((await t.api.getRun(r.id)).reason?.includes('JobArrayTaskLimit')) return true;
      return false;
    });
    const done = await Promise.all(runs.map((r) => t.api.waitForRun(r.id, { intervalMs: 200 })));
    expect(done.map((r) => r.status)).toEqual(Array(5).fill('succeeded'));
    const jobs = await Promise.all(runs.map((r) => jobOf(r.id)));
    const arrayId = jobs[0]?.split('_')[0];
    expect(new Set(jobs.map((j) => j.split('_')[0]))).toEqual(new Set([arrayId]));
    expect(jobs.map((j) => j.split('_')[1]).sort()).toEqual(['0', '1', '2', '3', '4']);
    // At no moment did more than two items run.
    const edges = [0, 1, 2, 3, 4].flatMap((i) => readFileSync(join(marks, String(i)), 'utf8').trim().split('\n').map((l) => {
      const [kind, ns] = l.split(' ');
      return { at: BigInt(ns ?? '0'), d: kind === 'start' ? 1 : -1 };
    })).sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.d - b.d));
    let now = 0;
    let most = 0;
    for (const e of edges) most = Math.max(most, (now += e.d));
    expect(most).toBe(2);
    expect((await t.api.getGroup(groupId)).counts).toMatchObject({ succeeded: 5 });
  });

  it('shows why a job is pending while the partition is full, and counts its timeout from its start', async () => {
    const big = await t.api.submit(slurm({ command: 'sleep 30', resources: { cpus: await nproc(), nodes: env.nodes.length } }));
    await waitFor('the big job to run', async () => (await t.api.getRun(big.id)).status === 'running');
    const { id } = await t.api.submit(slurm({ command: 'echo ran', timeout: '2s' }));
    const pending = await waitFor('a pending reason', async () => {
      const r = await t.api.getRun(id);
      return r.reason?.includes('Resources') ? r : undefined;
    });
    expect(pending).toMatchObject({ status: 'starting', reason: `queued in Slurm (job ${await jobOf(id)}): Resources` });
    await sleep(2500); // longer than its timeout, while pending
    expect((await t.api.getRun(id)).status).toBe('starting');
    await t.api.cancel(big.id);
    expect((await t.api.waitForRun(big.id, { intervalMs: 100 })).status).toBe('canceled');
    expect(await env.client('squeue', ['-h', '-t', 'all', '-j', await jobOf(big.id), '-o', '%T'])).toBe('CANCELLED\n');
    expect(await t.api.waitForRun(id, { intervalMs: 100 })).toMatchObject({ status: 'succeeded', exitCode: 0 });
  });

  it('ends a job over its memory limit failed with reason oom', async () => {
    const { id } = await t.api.submit(slurm({
      command: ['python3', '-c', 'import time\na=[]\nfor i in range(100):\n  a.append(bytearray(20 << 20)); time.sleep(0.05)'],
      resources: { memory: '50Mi' },
    }));
    const run = await t.api.waitForRun(id, { intervalMs: 100 });
    expect(run.status).toBe('failed');
    expect(run.reason).toMatch(/^oom: Slurm job \d+ exceeded its memory limit/);
  });

  it('shows the running step and the node of a job that ends between two polls', async () => {
    // Polling every 4 s, a job of `true` starts and ends unseen; its timeline still says it ran, where.
    const slow = await startTestServer({ node: { cpus: 1 }, slurm: { sharedDir: tempDir('regatta-shared-'), conf: env.conf, pollInterval: '4s' } });
    try {
      const { id } = await slow.api.submit(slurm({ command: 'true' }));
      expect((await slow.api.waitForRun(id, { intervalMs: 200, timeoutMs: 60_000 })).status).toBe('succeeded');
      const running = (await slow.api.events(id)).items.find((e) => e.to === 'running');
      expect(running?.reason).toMatch(new RegExp(`Slurm job \\d+ on (${env.nodes.join('|')})`));
    } finally {
      await slow.close();
    }
  });

  it('runs a job over several nodes: one task per node, with the rendezvous variables', async () => {
    const { id } = await t.api.submit(slurm({
      command: 'echo "$RANK/$WORLD_SIZE $LOCAL_RANK $MASTER_ADDR $MASTER_PORT $SLURMD_NODENAME $REGATTA_RANK"', resources: { nodes: 2 },
    }));
    const run = await t.api.waitForRun(id, { intervalMs: 100 });
    expect(run).toMatchObject({ status: 'succeeded', exitCode: 0 });
    const port = 20000 + (Number(await jobOf(id)) % 20000);
    const [first, second] = env.nodes;
    // Each line carries its rank (srun --label), and `regatta logs --rank` picks one node's lines.
    expect((await readAll(await t.api.logs(id))).trim().split('\n').sort()).toEqual([
      `0: 0/2 0 ${first} ${port} ${first} 0`, `1: 1/2 0 ${first} ${port} ${second} 1`,
    ]);
    expect((await runCli(['logs', id, '--rank', '1'], { url: t.url })).stdout).toBe(`1/2 0 ${first} ${port} ${second} 1\n`);
  });

  it('shows why Slurm holds a job that asks for more nodes than the partition has', async () => {
    const { id } = await t.api.submit(slurm({ command: 'true', resources: { nodes: env.nodes.length + 1 } }));
    const held = await waitFor('a pending reason', async () => {
      const r = await t.api.getRun(id);
      return r.reason?.includes('PartitionNodeLimit') ? r : undefined;
    });
    expect(held.status).toBe('starting');
    expect(await env.client('squeue', ['-h', '-j', await jobOf(id), '-o', '%D %r'])).toBe(`${env.nodes.length + 1} PartitionNodeLimit\n`);
    await t.api.cancel(id);
    expect((await t.api.waitForRun(id, { intervalMs: 100 })).status).toBe('canceled');
  });

  it('fails a run Slurm refuses, with sbatch\'s answer', async () => {
    const run = await t.api.waitForRun((await t.api.submit(slurm({ command: 'true', resources: { memory: '4000Gi' } }))).id, { intervalMs: 100 });
    expect(run.status).toBe('failed');
    expect(run.reason).toMatch(/^could not start: sbatch.*(Memory specification can not be satisfied|node configuration is not available)/i);
  });

  it('refuses an unknown backend, several nodes without Slurm and service runs on Slurm, naming the field', async () => {
    await expect(t.api.submit({ command: 'true', backend: 'nope' })).rejects.toMatchObject({ status: 400, message: expect.stringContaining("backend: no backend named 'nope'") });
    await expect(t.api.submit({ command: 'true', resources: { nodes: 2 } })).rejects.toMatchObject({ status: 400, message: expect.stringContaining('resources.nodes') });
    await expect(t.api.submit(slurm({ command: 'true', kind: 'service' }))).rejects.toMatchObject({ status: 400, message: expect.stringContaining('kind: service runs are not supported') });
  });

  it('finds its jobs again after a server restart, by Slurm job id: one running, one pending', async () => {
    const cpus = await nproc();
    // One job fills each node; the third waits.
    const { id } = await t.api.submit(slurm({ command: 'echo before; sleep 2; echo after', resources: { cpus } }));
    const filler = await t.api.submit(slurm({ command: 'sleep 2', resources: { cpus } }));
    await waitFor('the job to log', async () => (await readAll(await t.api.logs(id))).includes('before'));
    const waiting = await t.api.submit(slurm({ command: 'sleep 1; echo later' }));
    await waitFor('the second job to wait', async () => (await t.api.getRun(waiting.id)).reason?.includes('Resources'));
    const job = await jobOf(id);
    await t.close();
    t = await startTestServer(config());
    const run = await t.api.waitForRun(id, { intervalMs: 100 });
    expect(run).toMatchObject({ status: 'succeeded', exitCode: 0 });
    expect(await jobOf(id)).toBe(job);
    expect((await readAll(await t.api.logs(id))).trim().split('\n')).toEqual(['before', 'after']);
    expect(await t.api.waitForRun(waiting.id, { intervalMs: 100 })).toMatchObject({ status: 'succeeded', exitCode: 0 });
    const events = (await t.api.events(waiting.id)).items;
    // It started after the restart, and the new server saw it start.
    expect(events.slice(-2).map((e) => [e.from, e.to])).toEqual([['starting', 'running'], ['running', 'succeeded']]);
    expect(events.at(-2)?.reason).toMatch(new RegExp(`^running in Slurm job ${await jobOf(waiting.id)} on (${env.nodes.join('|')})$`));
    expect((await readAll(await t.api.logs(waiting.id))).trim()).toBe('later');
    expect((await t.api.waitForRun(filler.id, { intervalMs: 100 })).status).toBe('succeeded');
  });
});

/**
 * `runtime: docker` on the Slurm backend: the batch job runs the container on the allocated node,
 * here a real private dockerd (scripts/docker-test-env.sh) next to a real private Slurm cluster.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDocker } from '@regatta/runtimes';
import { DOCKER_ENV_TIMEOUT_MS, TEST_IMAGE, startDockerEnv, type DockerEnv } from '../docker-env.js';
import { readAll, startTestServer, tempDir, waitFor, type TestServer } from '../helpers.js';
import { startSlurmEnv, type SlurmEnv } from '../slurm-env.js';

let slurm: SlurmEnv;
let docker: DockerEnv;
let t: TestServer;

beforeAll(async () => {
  // Both start at once; if one fails, the other is still kept so that afterAll stops it.
  const [s, d] = await Promise.allSettled([startSlurmEnv(), startDockerEnv()]);
  if (s.status === 'fulfilled') slurm = s.value;
  if (d.status === 'fulfilled') docker = d.value;
  if (s.status === 'rejected') throw s.reason;
  if (d.status === 'rejected') throw d.reason;
  t = await startTestServer({
    node: { cpus: 1 }, slurm: { sharedDir: tempDir('regatta-shared-'), conf: slurm.conf, pollInterval: '200ms', docker: { host: docker.hostA } },
  });
}, DOCKER_ENV_TIMEOUT_MS);

afterAll(async () => {
  await t?.close();
  await Promise.all([slurm?.stop(), docker?.stop()]);
}, 120_000);

const containersOf = async (runId: string) =>
  connectDocker({ url: docker.hostA }).listContainers({ all: true, filters: { label: [`dev.regatta.run=${runId}`] } });

describe('docker runs on Slurm', () => {
  it('runs the container in the Slurm job: log, exit code and outputs', async () => {
    const { id } = await t.api.submit({
      backend: 'slurm', runtime: 'docker', image: TEST_IMAGE,
      command: 'echo "in $REGATTA_RUN_ID"; echo 42 > $REGATTA_OUTPUTS/answer; exit 4',
    });
    const run = await t.api.waitForRun(id, { intervalMs: 100 });
    expect(run).toMatchObject({ status: 'failed', exitCode: 4, node: 'slurm' });
    expect((await readAll(await t.api.logs(id))).trim()).toBe(`in ${id}`);
    expect(run.artifacts.map((a) => a.path)).toEqual(['answer']);
    expect(await containersOf(id)).toEqual([]);
  });

  it('removes the container when the run is canceled (scancel)', async () => {
    const { id } = await t.api.submit({ backend: 'slurm', runtime: 'docker', image: TEST_IMAGE, command: 'echo up; sleep 60' });
    await waitFor('the container to log', async () => (await readAll(await t.api.logs(id))).includes('up'), 30_000);
    await t.api.cancel(id);
    expect((await t.api.waitForRun(id, { intervalMs: 100 })).status).toBe('canceled');
    await waitFor('the container to be removed', async () => (await containersOf(id)).length === 0, 15_000);
  });
});

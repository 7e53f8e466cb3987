/**
 * The training API facade (seed 002), played with the original's curl command lines against a real
 * server and a real, private Docker daemon (scripts/docker-test-env.sh): create a training, upload
 * its Dockerfile and script, run it (the image is built from them), poll the task to `complete`
 * with test_loss and test_accuracy; abort another task.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCKER_ENV_TIMEOUT_MS, TEST_IMAGE, startDockerEnv, type DockerEnv } from '../docker-env.js';
import { TOKEN, readAll, startTestServer, tempDir, waitFor, type TestServer } from '../helpers.js';

const exec = promisify(execFile);
let env: DockerEnv;
let t: TestServer;
let base: string;

beforeAll(async () => {
  env = await startDockerEnv();
  t = await startTestServer({ docker: { host: env.hostA }, node: { cpus: 2 }, compat: { training: {} } });
  base = `${t.url}/compat/training`;
}, DOCKER_ENV_TIMEOUT_MS);
afterAll(async () => {
  await t?.close();
  await env?.stop();
}, 120_000);

/** curl as the original's README calls it, with the token added; answers status and JSON. */
async function curl(args: string[]): Promise<{ status: number; body: Record<string, unknown> & { [k: string]: unknown } }> {
  const { stdout } = await exec('curl', ['-s', '-w', '\n%{http_code}', '-H', `Authorization: Bearer ${TOKEN}`, ...args]);
  const i = stdout.lastIndexOf('\n');
  return { status: Number(stdout.slice(i + 1)), body: JSON.parse(stdout.slice(0, i)) as Record<string, unknown> };
}

/** A training with its two files, uploaded one by one as the original did. */
async function training(script: string): Promise<number> {
  const dir = tempDir('regatta-training-');
  writeFileSync(join(dir, 'algo.py'), script); // a busybox sh script here: the test image has no Python
  writeFileSync(join(dir, 'Dockerfile.dms'), `FROM ${TEST_IMAGE}\nCOPY algo.py /app/algo.py\nWORKDIR /app\nCMD ["sh", "/app/algo.py"]\n`);
  const created = await curl(['-X', 'POST', `${base}/api/trainings`, '-H', 'content-type: application/json', '-d', '{"name": "mnist"}']);
  expect(created.status).toBe(201);
  const id = Number(created.body.id);
  const notReady = await curl(['-X', 'POST', `${base}/api/training/${id}/run`]);
  expect(notReady.status).toBe(400);
  for (const f of ['algo.py', 'Dockerfile.dms']) {
    const up = await curl(['-X', 'PUT', `${base}/api/training/${id}/upload`, '-F', `file=@${join(dir, f)}`, '-H', `Content-Disposition:attachment; filename=${f}`]);
    expect(up.status).toBe(200);
  }
  return id;
}

const task = async (id: string) => (await curl([`${base}/api/task/${id}`])).body;

describe('training API facade (docker runtime)', () => {
  it('creates, uploads, runs, and reports the task complete with test_loss and test_accuracy', async () => {
    const id = await training([
      'echo training',
      'echo \'{"name": "test_loss", "value": 0.25}\' > "$REGATTA_OUTPUTS/metrics.jsonl"',
      'echo \'{"test_accuracy": 0.93}\' > "$REGATTA_OUTPUTS/score.json"',
    ].join('\n'));
    const view = await curl([`${base}/api/training/${id}`]);
    expect(view.body).toMatchObject({
      id, name: 'mnist', files: ['Dockerfile.dms', 'algo.py'], dockerfile: 'Dockerfile.dms', script: 'algo.py',
      command: ['sh', '/app/algo.py'], ready: true, missing: [],
    });
    expect((await curl([`${base}/api/trainings`])).body).toEqual(expect.arrayContaining([expect.objectContaining({ id })]));

    const started = await curl(['-X', 'POST', `${base}/api/training/${id}/run`]);
    expect(started.status).toBe(201);
    const taskId = String(started.body.id);
    expect(['created', 'building', 'training', 'complete']).toContain((await task(taskId)).status);
    const done = await waitFor('the task to end', async () => {
      const v = await task(taskId);
      return ['complete', 'failure', 'aborted'].includes(String(v.status)) ? v : undefined;
    }, 60_000);
    expect(done).toMatchObject({ id: taskId, training: id, status: 'complete', failure_message: null, test_loss: 0.25, test_accuracy: 0.93 });
    expect(Date.parse(String(done.terminated_on))).toBeGreaterThanOrEqual(Date.parse(String(done.created_on)));
    // An ordinary run of the training's template, with the build in its log.
    const run = await t.api.getRun(taskId);
    expect(run.template).toEqual({ name: 'training-1', version: 3 });
    expect(await readAll(await t.api.logs(taskId))).toMatch(/training\n$/);
    const list = (await curl([`${base}/api/tasks`])).body as unknown as { id: string }[];
    expect(list.map((x) => x.id)).toContain(taskId);
  }, 120_000);

  it('aborts a running task (202), and refuses to abort it again (400)', async () => {
    const id = await training('echo started; sleep 60');
    const taskId = String((await curl(['-X', 'POST', `${base}/api/training/${id}/run`])).body.id);
    await waitFor('training', async () => (await task(taskId)).status === 'training', 60_000);
    const abort = await curl(['-X', 'POST', `${base}/api/task/${taskId}/abort`]);
    expect(abort).toEqual({ status: 202, body: { id: taskId, status: 'aborted' } });
    const v = await waitFor('aborted', async () => { const x = await task(taskId); return x.status === 'aborted' ? x : undefined; }, 30_000);
    expect(v).toMatchObject({ test_loss: null, test_accuracy: null, failure_message: null });
    expect((await curl(['-X', 'POST', `${base}/api/task/${taskId}/abort`])).status).toBe(400);
    expect((await curl([`${base}/api/task/00000000000000000000`])).status).toBe(404);
    expect((await curl([`${base}/api/training/999`])).status).toBe(404);
    const anonymous = await fetch(`${base}/api/tasks`);
    expect(anonymous.status).toBe(401);
  }, 120_000);
});

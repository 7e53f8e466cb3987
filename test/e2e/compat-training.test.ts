/**
 * The training API facade (seed 002), played as the original's README and api/tests do, against a
 * real server and a real, private Docker daemon (scripts/docker-test-env.sh), with no credentials
 * (127.0.0.0/8 is let in anonymously): create a training, upload its algorithm and Dockerfile.dms
 * with curl, run it (the image is built from them and run as `IMAGE -V /training_output/`), poll
 * the task to `complete` with the scores its score.json gave, in the original's shapes; abort
 * another, which is killed at once.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCKER_ENV_TIMEOUT_MS, TEST_IMAGE, startDockerEnv, type DockerEnv } from '../docker-env.js';
import { readAll, startTestServer, tempDir, waitFor, type TestServer } from '../helpers.js';

const exec = promisify(execFile);
let env: DockerEnv;
let t: TestServer;
let base: string;

beforeAll(async () => {
  env = await startDockerEnv();
  // A long stop grace: an abort that waited for it would be seen.
  t = await startTestServer({ docker: { host: env.hostA }, node: { cpus: 2 }, stopGrace: '60s', compat: { training: { allowAnonymousFrom: ['127.0.0.0/8'] } } });
  base = `${t.url}/compat/training`;
}, DOCKER_ENV_TIMEOUT_MS);
afterAll(async () => {
  await t?.close();
  await env?.stop();
}, 120_000);

const DATE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+0000$/;

/** curl as the original's README calls it (no credentials); answers status and body (JSON when there is one). */
async function curl(args: string[]): Promise<{ status: number; body: unknown }> {
  const { stdout } = await exec('curl', ['-s', '-w', '\n%{http_code}', ...args]);
  const i = stdout.lastIndexOf('\n');
  const text = stdout.slice(0, i);
  return { status: Number(stdout.slice(i + 1)), body: text ? (JSON.parse(text) as unknown) : undefined };
}
const obj = (r: { body: unknown }) => r.body as Record<string, unknown>;

/**
 * The original's algorithm contract, in busybox sh (the test image has no Python): read `-V DIR`
 * as its getopt did, and write score.json there.
 */
const algorithm = (body: string) => `while getopts hV: o; do [ "$o" = V ] && volume="$OPTARG"; done\necho "training into $volume"\n${body}\n`;

/** A training with its two files, uploaded one by one as the README does. */
async function training(script: string): Promise<number> {
  const dir = tempDir('regatta-training-');
  writeFileSync(join(dir, 'algo.py'), algorithm(script));
  writeFileSync(join(dir, 'Dockerfile.dms'), `FROM ${TEST_IMAGE}\nADD ./algo.py /\nRUN chmod +x /algo.py\nENTRYPOINT ["sh", "/algo.py"]\n`);
  const created = await curl(['-X', 'POST', `${base}/api/trainings`]);
  expect(created.status).toBe(201);
  const id = Number(obj(created).id);
  expect(created.body).toEqual({ id, algorithm: null, dockerfile: null, created_on: expect.stringMatching(DATE) as unknown });
  expect(await curl(['-X', 'POST', `${base}/api/training/${id}/run`])).toEqual({
    status: 400, body: { error: expect.stringMatching(/^Make sure docker file and algorithm are set\./) as unknown },
  });
  for (const f of ['algo.py', 'Dockerfile.dms']) {
    const up = await curl(['-X', 'PUT', `${base}/api/training/${id}/upload`, '-F', `file=@${join(dir, f)}`, '-H', `Content-Disposition:attachment; filename=${f}`]);
    expect(up).toEqual({ status: 204, body: undefined });
  }
  return id;
}

const task = async (id: number) => obj(await curl([`${base}/api/task/${id}`]));
const ended = (id: number, timeoutMs = 90_000) => waitFor(`task ${id} to end`, async () => {
  const v = await task(id);
  return ['complete', 'failure', 'aborted'].includes(String(v.status)) ? v : undefined;
}, timeoutMs);

describe('training API facade, no credentials (docker runtime)', () => {
  it("creates, uploads, runs IMAGE -V /training_output/, and reports the score.json in the serializers' shapes", async () => {
    const id = await training('echo \'{"test_loss": 0.05867586990906857, "test_accuracy": 0.9822}\' > "$volume/score.json"');
    const view = await curl([`${base}/api/training/${id}`]);
    expect(view).toEqual({ status: 200, body: { id, algorithm: 'algo.py', dockerfile: 'Dockerfile.dms', created_on: expect.stringMatching(DATE) as unknown } });
    expect(await curl([`${base}/api/training/${id}.json`])).toEqual(view);
    expect(obj(await curl([`${base}/api/trainings`]))).toEqual(expect.arrayContaining([view.body]));

    const started = await curl(['-X', 'POST', `${base}/api/training/${id}/run`]);
    expect(started.status).toBe(201);
    const taskId = Number(obj(started).id);
    expect(Object.keys(obj(started))).toEqual(['id']);
    expect(Number.isInteger(taskId)).toBe(true);
    expect(['created', 'building', 'training', 'complete']).toContain((await task(taskId)).status);
    const done = await ended(taskId);
    expect(Object.keys(done)).toEqual(['training_configuration', 'id', 'status', 'created_on', 'started_on', 'terminated_on', 'failure_message', 'test_loss', 'test_accuracy', 'docker_id']);
    expect(done).toMatchObject({ training_configuration: id, id: taskId, status: 'complete', failure_message: null, test_loss: '0.058676', test_accuracy: '0.982200' });
    for (const k of ['created_on', 'started_on', 'terminated_on']) expect(done[k]).toMatch(DATE);
    expect(typeof done.docker_id).toBe('string');
    expect(obj(await curl([`${base}/api/task/${taskId}.json`]))).toEqual(done);
    expect(obj(await curl([`${base}/api/tasks.json`]))).toEqual(expect.arrayContaining([done]));
    // An ordinary run, labelled with its task number, the argument in its log.
    const { items } = await t.api.listRuns({ label: [`regatta.compat/task=${taskId}`] });
    expect(await readAll(await t.api.logs(items[0]?.id ?? ''))).toMatch(/training into \/training_output\/\n$/);
    expect(items[0]?.createdBy).toBeNull(); // let in by network, without credentials: nobody in particular
  }, 180_000);

  it('aborts a training task at once (202 ""), after which it has no scores; aborting again is 202, a complete one 400', async () => {
    const id = await training('echo \'{"test_loss": 0.5, "test_accuracy": 0.5}\' > "$volume/score.json"; trap "" TERM; sleep 120');
    const taskId = Number(obj(await curl(['-X', 'POST', `${base}/api/training/${id}/run`])).id);
    await waitFor('training', async () => (await task(taskId)).status === 'training', 90_000);
    const t0 = Date.now();
    expect(await curl(['-X', 'POST', `${base}/api/task/${taskId}/abort`])).toEqual({ status: 202, body: '' });
    const v = await task(taskId);
    // The script ignores SIGTERM and the stop grace is 60 s: only a kill ends it this soon.
    expect(Date.now() - t0).toBeLessThan(45_000);
    expect(v).toMatchObject({ status: 'aborted', test_loss: null, test_accuracy: null, failure_message: null });
    expect((await curl(['-X', 'POST', `${base}/api/task/${taskId}/abort`])).status).toBe(202);
    // The first test's task completed.
    const complete = ((await curl([`${base}/api/tasks`])).body as { id: number; status: string }[]).find((x) => x.status === 'complete');
    expect(complete).toBeDefined();
    expect(await curl(['-X', 'POST', `${base}/api/task/${complete?.id ?? 0}/abort`])).toEqual({ status: 400, body: { error: 'Current status does not allow it.' } });
  }, 180_000);

  it('fails a task that ended without a score.json, as the original did', async () => {
    const id = await training('echo no score');
    const taskId = Number(obj(await curl(['-X', 'POST', `${base}/api/training/${id}/run`])).id);
    expect(await ended(taskId)).toMatchObject({ status: 'failure', test_loss: null, failure_message: expect.stringMatching(/^Could not find task_results/) as unknown });
  }, 180_000);

  it('answers bad requests as the original: only *.py and Dockerfile.dms, DRF error bodies, 405s, any create body', async () => {
    for (const args of [[], ['-H', 'content-type: application/json', '-d', '{"algorithm": null, "dockerfile": null}'], ['-d', ''], ['-d', 'name=x&algorithm=']]) {
      const r = await curl(['-X', 'POST', `${base}/api/trainings`, ...args]);
      expect(r.status, args.join(' ')).toBe(201);
      expect(Object.keys(obj(r))).toEqual(['id', 'algorithm', 'dockerfile', 'created_on']);
    }
    const id = Number(obj(await curl(['-X', 'POST', `${base}/api/trainings.json`])).id);
    const dir = tempDir('regatta-training-bad-');
    for (const f of ['notes.txt', 'readme.md', 'Dockerfile']) {
      writeFileSync(join(dir, f), 'FROM x\n');
      expect(await curl(['-X', 'PUT', `${base}/api/training/${id}/upload`, '-F', `file=@${join(dir, f)}`, '-H', `Content-Disposition:attachment; filename=${f}`]))
        .toEqual({ status: 400, body: { error: 'Invalid file extension. Only `*.py` and `Dockerfile.dms` files accepted.' } });
    }
    expect(obj(await curl([`${base}/api/training/${id}`]))).toMatchObject({ algorithm: null, dockerfile: null });
    expect(await curl(['-H', 'content-type: application/json', '-X', 'POST', `${base}/api/trainings`, '-d', '{bad'])).toMatchObject({ status: 400, body: { detail: expect.stringMatching(/^JSON parse error/) as unknown } });
    for (const path of ['task/99999', 'training/99999', 'training/abc', 'task/1.xml']) expect(await curl([`${base}/api/${path}`]), path).toEqual({ status: 404, body: { detail: 'Not found.' } });
    expect(await curl(['-X', 'DELETE', `${base}/api/trainings`])).toEqual({ status: 405, body: { detail: 'Method "DELETE" not allowed.' } });
    expect(await curl([`${base}/api/training/${id}/run`])).toEqual({ status: 405, body: { detail: 'Method "GET" not allowed.' } });
    expect((await curl(['-X', 'POST', `${base}/api/task/1`])).status).toBe(405);
    // Anonymous access reaches the training routes only.
    expect((await fetch(`${t.url}/api/v1/runs`)).status).toBe(401);
  });
});

/** The `regatta` CLI as a child process against a real server. */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli, startTestServer, tempDir, waitForStatus, type TestServer } from '../helpers.js';

let t: TestServer;
let dir: string;
const cli = (args: string[], opts: Parameters<typeof runCli>[1] = {}) => runCli(args, { url: t.url, ...opts });

beforeAll(async () => {
  t = await startTestServer({ node: { cpus: 4 } });
  dir = tempDir('regatta-cli-');
  writeFileSync(join(dir, 'job.yaml'), [
    'name: train',
    'command: echo "lr=${params.lr}"; echo "{\\"name\\":\\"loss\\",\\"value\\":0.25,\\"step\\":5}" >> "$REGATTA_OUTPUTS/metrics.jsonl"; exit ${params.code}',
    'params:',
    '  lr: 0.1',
    '  code: 0',
    'labels:',
    '  team: vision',
    '',
  ].join('\n'));
});
afterAll(async () => {
  await t.close();
});

describe('regatta run', () => {
  it('--follow streams the logs and exits with the run exit code', async () => {
    const r = await cli(['run', '-f', join(dir, 'job.yaml'), '--set', 'params.lr=0.01', '--set', 'params.code=3', '--follow']);
    expect(r.stdout).toBe('lr=0.01\n');
    expect(r.stderr).toMatch(/run [0-9a-z]{20} submitted/);
    expect(r.stderr).toMatch(/failed \(exit code 3\)/);
    expect(r.code).toBe(3);
  });

  it('--wait waits without streaming; --detach prints only the id', async () => {
    const waited = await cli(['run', '-f', join(dir, 'job.yaml'), '--wait']);
    expect(waited.code).toBe(0);
    expect(waited.stdout).toBe('');
    const detached = await cli(['run', '-f', join(dir, 'job.yaml'), '--detach']);
    expect(detached.code).toBe(0);
    expect(detached.stdout).toMatch(/^[0-9a-z]{20}\n$/);
  });

  it('runs an inline command and resolves a relative workdir against the spec file', async () => {
    const inline = await cli(['run', '--follow', '--', 'sh', '-c', 'echo inline && pwd']);
    expect(inline.code).toBe(0);
    expect(inline.stdout.split('\n')[0]).toBe('inline');
    mkdirSync(join(dir, 'src'), { recursive: true });
    writeFileSync(join(dir, 'src', 'data.txt'), 'from-workdir\n');
    writeFileSync(join(dir, 'wd.yaml'), 'command: cat data.txt\nworkdir: src\n');
    const wd = await cli(['run', '-f', join(dir, 'wd.yaml'), '--follow']);
    expect(wd.stdout).toBe('from-workdir\n');
  });

  it('maps cancellation and timeouts to conventional exit codes', async () => {
    const timedOut = await cli(['run', '--wait', '--set', 'timeout=1s', '--', 'sleep', '30']);
    expect(timedOut.code).toBe(124);
  });

  it('refuses a bad spec with the field and reason, and exits 2', async () => {
    writeFileSync(join(dir, 'bad.yaml'), 'command: x\nresources:\n  memroy: 4Gi\n');
    const r = await cli(['run', '-f', join(dir, 'bad.yaml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("resources.memroy: unknown field 'memroy' (did you mean 'memory'?)");
    writeFileSync(join(dir, 'broken.yaml'), 'command: [x\n');
    const broken = await cli(['run', '-f', join(dir, 'broken.yaml')]);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/broken.yaml is not valid YAML or JSON/);
    const missing = await cli(['run', '-f', join(dir, 'missing.yaml')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no such file: .*missing.yaml/);
    const badSet = await cli(['run', '-f', join(dir, 'job.yaml'), '--set', 'nonsense']);
    expect(badSet.code).toBe(2);
    expect(badSet.stderr).toMatch(/must look like path.to.field=value/);
  });

  it('says clearly when the server cannot be reached or the token is wrong', async () => {
    const down = await runCli(['ls'], { url: 'http://127.0.0.1:9' });
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/cannot reach Regatta at http:\/\/127.0.0.1:9/);
    const denied = await cli(['ls'], { token: 'nope' });
    expect(denied.code).toBe(2);
    expect(denied.stderr).toMatch(/token is not valid/);
  });
});

describe('watching and managing runs', () => {
  it('ls filters by status, queue and label; show prints timeline, metrics and artifacts', async () => {
    const run = await cli(['run', '-f', join(dir, 'job.yaml'), '--set', 'queue=cli', '--detach']);
    const id = run.stdout.trim();
    await t.api.waitForRun(id, { intervalMs: 50 });
    const ls = await cli(['ls', '--queue', 'cli', '--label', 'team=vision', '--status', 'succeeded']);
    expect(ls.code).toBe(0);
    expect(ls.stdout.split('\n')[0]).toMatch(/^ID\s+NAME\s+STATUS\s+QUEUE/);
    expect(ls.stdout).toContain(id);
    expect((await cli(['ls', '--queue', 'cli', '--status', 'failed'])).stdout).not.toContain(id);
    const show = await cli(['show', id]);
    expect(show.stdout).toMatch(/Status:\s+succeeded/);
    expect(show.stdout).toMatch(/queued -> starting/);
    expect(show.stdout).toMatch(/running -> succeeded/);
    expect(show.stdout).toMatch(/loss\s+0.25\s+5/);
    expect(show.stdout).toContain('metrics.jsonl');
    const json = JSON.parse((await cli(['show', id, '--json'])).stdout) as { status: string; events: unknown[] };
    expect(json.status).toBe('succeeded');
    expect(json.events).toHaveLength(4);
  });

  it('logs -f follows a running job; cancel stops it', async () => {
    const id = (await cli(['run', '--detach', '--', 'sh', '-c', 'echo started; sleep 30'])).stdout.trim();
    await waitForStatus(t.api, id, 'running');
    const follow = cli(['logs', id, '-f']);
    const cancel = await cli(['cancel', id, '--wait']);
    expect(cancel.stdout).toBe(`${id} canceled\n`);
    const followed = await follow;
    expect(followed.code).toBe(0);
    expect(followed.stdout).toBe('started\n');
    expect((await cli(['logs', id])).stdout).toBe('started\n');
  });

  it('artifacts lists and downloads every file', async () => {
    const id = (await cli(['run', '--detach', '--', 'sh', '-c', 'mkdir -p "$REGATTA_OUTPUTS/sub" && echo a > "$REGATTA_OUTPUTS/a.txt" && echo b > "$REGATTA_OUTPUTS/sub/b.txt"'])).stdout.trim();
    await t.api.waitForRun(id, { intervalMs: 50 });
    const list = await cli(['artifacts', id]);
    expect(list.stdout).toMatch(/a.txt\s+2B/);
    const out = join(dir, 'downloaded');
    const dl = await cli(['artifacts', id, '--out', out]);
    expect(dl.code).toBe(0);
    expect(readFileSync(join(out, 'a.txt'), 'utf8')).toBe('a\n');
    expect(readFileSync(join(out, 'sub', 'b.txt'), 'utf8')).toBe('b\n');
  });

  it('queues set/ls, nodes, and schema', async () => {
    expect((await cli(['queues', 'set', 'bench', '--concurrency', '1'])).stdout).toBe('bench: concurrency 1\n');
    expect((await cli(['queues'])).stdout).toMatch(/bench\s+1\s+0\s+0/);
    expect((await cli(['nodes'])).stdout).toMatch(/local\s+ready\s+\S+\/4/);
    const schema = await cli(['schema']);
    const parsed = JSON.parse(schema.stdout) as { properties: Record<string, unknown> };
    expect(Object.keys(parsed.properties)).toContain('command');
    writeFileSync(join(dir, 'regatta.schema.json'), schema.stdout);
    expect(existsSync(join(dir, 'regatta.schema.json'))).toBe(true);
  });

  it('metric and result report from inside a job with its run token', async () => {
    const id = (await cli(['run', '--detach', '--', 'sh', '-c',
      `node ${join(import.meta.dirname, '../../packages/cli/bin/regatta.js')} metric acc 0.75 --step 2 && echo '{"f1": 0.5}' | node ${join(import.meta.dirname, '../../packages/cli/bin/regatta.js')} result -`])).stdout.trim();
    const run = await t.api.waitForRun(id, { intervalMs: 50 });
    expect(run.status).toBe('succeeded');
    expect(run.metrics.acc).toMatchObject({ value: 0.75, step: 2 });
    expect(run.result).toEqual({ f1: 0.5 });
  });
});

/**
 * The example's job file. As root (CI), jobs run as the owner of their workdir, or as the
 * unprivileged job user when root owns it, which may not write into a root-owned checkout: the
 * example then runs from a copy owned by `nobody`, as a user's own checkout would be, with the
 * repository's packages and node_modules beside it.
 */
function exampleJob(name: string): string {
  const original = join(ROOT, 'examples', name);
  if (process.getuid?.() !== 0) return join(original, 'job.yaml');
  const root = tempDir('regatta-example-');
  for (const d of ['node_modules', 'packages']) symlinkSync(join(ROOT, d), join(root, d));
  const copy = join(root, 'examples', name);
  cpSync(original, copy, { recursive: true });
  execFileSync('chown', ['-R', 'nobody:', join(root, 'examples')]);
  return join(copy, 'job.yaml');
}

describe('examples', () => {
  it.each(['hello', 'python'])('examples/%s runs to success on the embedded default', async (name) => {
    const r = await cli(['run', '-f', exampleJob(name), '--follow']);
    expect(r.stderr).toMatch(/succeeded/);
    expect(r.code).toBe(0);
    const id = /run ([0-9a-z]{20})/.exec(r.stderr)?.[1] ?? '';
    const run = await t.api.getRun(id);
    expect(run.metrics.loss?.count).toBeGreaterThan(1);
    expect(run.result).toMatchObject({ test_accuracy: expect.any(Number) as number });
  });
});

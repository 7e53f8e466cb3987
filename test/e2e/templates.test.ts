/** Templates: versioned specs with files, runs with deep-merged overrides, through the CLI and the API. */
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '@regatta/sdk';
import { TOKEN, readAll, runCli, startTestServer, tempDir, waitFor, type TestServer } from '../helpers.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ node: { cpus: 4 }, docker: { host: 'unix:///nonexistent/docker.sock' } });
});
afterAll(async () => {
  await t.close();
});
const cli = (args: string[]) => runCli(args, { url: t.url });

describe('templates', () => {
  it('push with files, run with overrides; each run records its version and gets its own copy of the files', async () => {
    const d = tempDir('regatta-tpl-');
    writeFileSync(join(d, 'algo.sh'), 'echo "v1 lr=$1"; echo scratch > scratch.txt\n');
    writeFileSync(join(d, 'spec.yaml'), 'name: train\ncommand: sh algo.sh ${params.lr}\nparams: {lr: 0.1}\n');
    const p1 = await cli(['template', 'push', 'train', '-f', join(d, 'spec.yaml'), '--file', join(d, 'algo.sh')]);
    expect(p1.stderr).toBe('');
    expect(p1.stdout).toMatch(/^train v1 \(files [0-9a-f]{12}\)\n$/);
    const r1 = await cli(['template', 'run', 'train', '--set', 'params.lr=0.5', '--follow']);
    expect(r1.code).toBe(0);
    expect(r1.stdout).toBe('v1 lr=0.5\n');
    const v1 = await t.api.getTemplate('train', 1);
    expect(readdirSync(join(t.dataDir, 'uploads', (v1.files ?? '').slice('upload:'.length)))).toEqual(['algo.sh']); // the run wrote to its copy
    writeFileSync(join(d, 'algo.sh'), 'echo "v2 lr=$1"\n');
    expect((await cli(['template', 'push', 'train', '-f', join(d, 'spec.yaml'), '--dir', d])).stdout).toMatch(/^train v2/);
    expect((await cli(['template', 'run', 'train', '--follow'])).stdout).toBe('v2 lr=0.1\n');
    const old = await cli(['template', 'run', 'train', '--at', '1', '--follow']);
    expect(old.stdout).toBe('v1 lr=0.1\n');
    const id = /run ([0-9a-z]{20})/.exec(old.stderr)?.[1] ?? '';
    expect((await t.api.getRun(id)).template).toEqual({ name: 'train', version: 1 });
    expect((await cli(['template', 'ls'])).stdout).toMatch(/train\s+v2\s+yes/);
  });

  it('deep-merges overrides (objects merge, arrays replace, null deletes) and validates the result', async () => {
    await t.api.pushTemplate('envs', { spec: { command: 'echo "A=$A B=$B C=$C"; echo ${params.x}', env: { A: 'a', B: 'b' }, params: { x: 'one' }, outputs: ['x'] } });
    const sub = await t.api.runTemplate('envs', { env: { B: null, C: 'c' }, params: { x: 'two' } });
    if (!('id' in sub)) throw new Error('expected a run');
    await t.api.waitForRun(sub.id, { intervalMs: 50 });
    expect(await readAll(await t.api.logs(sub.id))).toBe('A=a B= C=c\ntwo\n');
    const err = await t.api.runTemplate('envs', { resources: { cpus: 'lots' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).problem.errors?.[0]?.path).toBe('resources.cpus');
    const missing = await t.api.runTemplate('nope').catch((e: unknown) => e);
    expect((missing as ApiError).status).toBe(404);
  });

  it('refuses a template that would not run, and keeps the previous version', async () => {
    await t.api.pushTemplate('keep', { spec: { command: 'echo kept' } });
    const bad = await t.api.pushTemplate('keep', { spec: { comand: 'x' } }).catch((e: unknown) => e);
    expect((bad as ApiError).status).toBe(400);
    expect((bad as ApiError).problem.errors).toEqual(expect.arrayContaining([{ path: 'comand', message: "unknown field 'comand' (did you mean 'command'?)" }]));
    expect((await t.api.getTemplate('keep')).version).toBe(1);
  });

  it('accepts multipart pushes (a spec field and files), and refuses unsafe file names whole', async () => {
    const form = new FormData();
    form.set('spec', 'command: sh run.sh\n');
    form.set('run.sh', new Blob(['echo from-multipart\n']), 'run.sh');
    const res = await fetch(`${t.url}/api/v1/templates/mp`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, body: form });
    expect(res.status).toBe(201);
    const sub = await t.api.runTemplate('mp');
    if (!('id' in sub)) throw new Error('expected a run');
    await t.api.waitForRun(sub.id, { intervalMs: 50 });
    expect(await readAll(await t.api.logs(sub.id))).toBe('from-multipart\n');
    const evil = new FormData();
    evil.set('spec', 'command: "true"\n');
    evil.set('f', new Blob(['x']), '../../escape.sh');
    const bad = await fetch(`${t.url}/api/v1/templates/mp`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, body: evil });
    expect(bad.status).toBe(400);
    expect((await bad.json() as { detail: string }).detail).toMatch(/not allowed/);
    expect((await t.api.getTemplate('mp')).versions).toHaveLength(1);
  });

  it('a template with files fans out over them: foreach.files is relative to the files', async () => {
    const d = tempDir('regatta-tpl-');
    for (const n of ['s1', 's2']) writeFileSync(join(d, `${n}.scene`), n);
    writeFileSync(join(d, 'spec.yaml'), 'command: cat ${params.scene}\nforeach: {param: scene, files: "*.scene"}\n');
    await cli(['template', 'push', 'scenes', '-f', join(d, 'spec.yaml'), '--dir', d]);
    const r = await cli(['template', 'run', 'scenes']);
    expect(r.stderr).toMatch(/submitted: 2 runs/);
    expect(r.code).toBe(0);
  });

  it('a template with a matrix runs as a group', async () => {
    await t.api.pushTemplate('sweep', { spec: { command: 'echo ${params.lr}', matrix: { lr: [1, 2, 3] } } });
    const sub = await t.api.runTemplate('sweep', { matrix: { lr: [4, 5] } });
    if (!('groupId' in sub)) throw new Error('expected a group');
    expect(sub.total).toBe(2);
    const g = await waitFor('the group', async () => { const x = await t.api.getGroup(sub.groupId); return x.status !== 'running' ? x : undefined; });
    expect(g.status).toBe('succeeded');
  });
});

/** Uploading directories: stored by content, and refused whole when any entry is unsafe. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '@regatta/sdk';
import { runCli, startTestServer, tempDir, type TestServer } from '../helpers.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ uploadLimit: '64Ki', docker: { host: 'unix:///nonexistent/docker.sock' } });
});
afterAll(async () => {
  await t.close();
});

/** GNU tar, so tests can craft archives a careful client would never produce. */
function tarOf(dir: string, args: string[]): Buffer {
  const out = join(tempDir('regatta-tar-'), 'a.tar');
  execFileSync('tar', ['-cf', out, ...args], { cwd: dir });
  return readFileSync(out);
}

function ctxDir(): string {
  const d = tempDir('regatta-ctx-');
  mkdirSync(join(d, 'src'));
  writeFileSync(join(d, 'Dockerfile'), 'FROM scratch\n');
  writeFileSync(join(d, 'src', 'algo.py'), 'print(1)\n');
  return d;
}

const uploadsDir = () => join(t.dataDir, 'uploads');

describe('uploads', () => {
  it('stores a directory under its content hash, once', async () => {
    const d = ctxDir();
    const a = await t.api.upload(tarOf(d, ['.']));
    expect(a).toMatchObject({ files: 2, ref: `upload:${a.id}` });
    expect(a.id).toMatch(/^[0-9a-f]{64}$/);
    // Same content, new mtimes, gzip instead of plain tar: same id.
    execFileSync('touch', [join(d, 'Dockerfile')]);
    const gz = join(tempDir(), 'c.tgz');
    execFileSync('tar', ['-czf', gz, '.'], { cwd: d });
    const b = await t.api.upload(readFileSync(gz));
    expect(b.id).toBe(a.id);
    expect(readFileSync(join(uploadsDir(), a.id, 'src', 'algo.py'), 'utf8')).toBe('print(1)\n');
  });

  it.each([
    ['path traversal', (d: string) => { writeFileSync(join(d, '..', 'escape.txt'), 'x'); return ['-P', '../escape.txt', 'Dockerfile']; }, /leaves the upload directory/],
    ['absolute path', () => ['-P', '/etc/hostname'], /leaves the upload directory/],
    ['symlink out of the upload', (d: string) => { symlinkSync('/etc/passwd', join(d, 'evil')); return ['evil', 'Dockerfile']; }, /links outside the upload/],
    ['device file', () => ['-C', '/', 'dev/null'], /is a CharacterDevice entry/],
    ['oversized content', (d: string) => { writeFileSync(join(d, 'big.bin'), Buffer.alloc(100 * 1024)); return ['big.bin']; }, /exceeds the limit/, 413],
  ])('refuses %s whole, and stores nothing', async (_name, make, why, status = 400) => {
    const d = ctxDir();
    const before = readdirSync(uploadsDir()).length;
    const err = await t.api.upload(tarOf(d, make(d))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(status);
    expect((err as ApiError).message).toMatch(why);
    expect(readdirSync(uploadsDir()).length).toBe(before);
  });

  it('refuses what is not an archive', async () => {
    const err = await t.api.upload(Buffer.from('definitely not a tarball, no no')).catch((e: unknown) => e);
    expect((err as ApiError).status).toBe(400);
  });

  it('the CLI uploads a local build context and names it in the spec', async () => {
    const d = ctxDir();
    writeFileSync(join(d, 'job.yaml'), 'runtime: docker\ncommand: "true"\nbuild:\n  context: .\n');
    // No Docker engine answers in this test server, so the run is refused, but only after the upload.
    const r = await runCli(['run', '-f', join(d, 'job.yaml')], { url: t.url });
    expect(r.stderr).toMatch(/no node runs 'docker'/);
    expect(readdirSync(uploadsDir()).some((f) => !f.startsWith('.'))).toBe(true);
  });
});

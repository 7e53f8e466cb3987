import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readLogTail } from './log-tail.js';

describe('readLogTail', () => {
  const dirs: string[] = [];
  afterAll(async () => { await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))); });
  it('reads only the end of a large log', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'regatta-tail-'));
    dirs.push(dir);
    const log = join(dir, 'log');
    await writeFile(log, `${'early OutOfMemoryError\n'}${'x'.repeat(3 * 1024 * 1024)}\nlast line\n`);
    const tail = await readLogTail(log);
    expect(tail.length).toBe(1024 * 1024);
    expect(tail.endsWith('last line\n')).toBe(true);
    expect(tail).not.toContain('OutOfMemoryError');
    expect(await readLogTail(log, 5)).toBe('line\n');
  });
  it('reads a small log whole, and a missing one as empty', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'regatta-tail-'));
    dirs.push(dir);
    await writeFile(join(dir, 'log'), 'short\n');
    expect(await readLogTail(join(dir, 'log'))).toBe('short\n');
    expect(await readLogTail(join(dir, 'missing'))).toBe('');
  });
});

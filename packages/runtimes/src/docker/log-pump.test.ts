import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { LogPump, timestampNs } from './log-pump.js';

function frame(stream: 1 | 2, text: string): Buffer {
  const payload = Buffer.from(text);
  const h = Buffer.alloc(8);
  h[0] = stream;
  h.writeUInt32BE(payload.length, 4);
  return Buffer.concat([h, payload]);
}

const dirs: string[] = [];
const tmp = () => { const d = mkdtempSync(join(tmpdir(), 'regatta-pump-')); dirs.push(d); return d; };
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

describe('LogPump', () => {
  it('parses nanosecond timestamps', () => {
    expect(timestampNs('2026-11-21T20:00:00.000000001Z')! - timestampNs('2026-11-21T20:00:00Z')!).toBe(1n);
    expect(timestampNs('2026-11-21T20:00:00.5Z')! - timestampNs('2026-11-21T20:00:00Z')!).toBe(500_000_000n);
    expect(timestampNs('nope')).toBeUndefined();
  });

  it('writes frames in order across split chunks, and skips what was written before a restart', async () => {
    const dir = tmp();
    const log = join(dir, 'log');
    const cursor = join(dir, 'log.cursor');
    const all = Buffer.concat([
      frame(1, '2026-11-21T20:00:00.1Z out 1\n'),
      frame(2, '2026-11-21T20:00:00.2Z err 2\n'),
      frame(1, '2026-11-21T20:00:01.3Z out 3\n'),
    ]);
    const s1 = new PassThrough();
    const p1 = new LogPump(log, cursor).pump(s1);
    s1.write(all.subarray(0, 5));
    s1.write(all.subarray(5, 40));
    s1.end(all.subarray(40, all.length - frame(1, '2026-11-21T20:00:01.3Z out 3\n').length));
    await p1;
    expect(readFileSync(log, 'utf8')).toBe('out 1\nerr 2\n');
    // After a restart the engine replays from the cursor's second: earlier lines are skipped.
    const pump2 = new LogPump(log, cursor);
    expect(pump2.since()).toBe(Math.floor(Date.parse('2026-11-21T20:00:00Z') / 1000));
    const s2 = new PassThrough();
    const p2 = pump2.pump(s2);
    s2.end(all);
    await p2;
    expect(readFileSync(log, 'utf8')).toBe('out 1\nerr 2\nout 3\n');
  });

  it('keeps what the log held before the first start (the build output)', async () => {
    const dir = tmp();
    const log = join(dir, 'log');
    writeFileSync(log, 'Step 1/1 : FROM x\n');
    const s = new PassThrough();
    const p = new LogPump(log, join(dir, 'log.cursor')).pump(s);
    s.end(frame(1, '2026-11-21T20:00:00.1Z ran\n'));
    await p;
    expect(readFileSync(log, 'utf8')).toBe('Step 1/1 : FROM x\nran\n');
  });

  it('cuts the log back to its last checkpoint, so lines written after it are not duplicated', async () => {
    const dir = tmp();
    const log = join(dir, 'log');
    const cursor = join(dir, 'log.cursor');
    const s1 = new PassThrough();
    const p1 = new LogPump(log, cursor).pump(s1);
    s1.end(frame(1, '2026-11-21T20:00:00.1Z a\n'));
    await p1;
    // A line reached the file after the checkpoint, then the server died.
    writeFileSync(log, 'a\nb\n');
    const s2 = new PassThrough();
    const p2 = new LogPump(log, cursor).pump(s2);
    s2.end(Buffer.concat([frame(1, '2026-11-21T20:00:00.1Z a\n'), frame(1, '2026-11-21T20:00:00.2Z b\n'), frame(1, '2026-11-21T20:00:00.3Z c\n')]));
    await p2;
    expect(readFileSync(log, 'utf8')).toBe('a\nb\nc\n');
  });

  it('after a restart that came before any line was checkpointed, keeps the build output and takes the lines again', async () => {
    const dir = tmp();
    const log = join(dir, 'log');
    const cursor = join(dir, 'log.cursor');
    writeFileSync(log, 'built\n');
    const first = new PassThrough();
    void new LogPump(log, cursor).pump(first);
    await new Promise((r) => setTimeout(r, 20));
    writeFileSync(log, 'built\nstart\n'); // reached the file; the server died before checkpointing it
    const again = new LogPump(log, cursor);
    expect(again.since()).toBe(0);
    const s = new PassThrough();
    const done = again.pump(s);
    s.end(frame(1, '2026-11-21T20:00:00.1Z start\n'));
    await done;
    expect(readFileSync(log, 'utf8')).toBe('built\nstart\n');
  });
});

/**
 * Streams a run's log file: what is there now, then, when following, what the job appends, across
 * retries, until the run ends. Reads the file the runtime appends to, so order is the job's order.
 */
import { open, type FileHandle } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { isTerminal, type RunStatus } from '@regatta/core';

export interface FollowOptions {
  attempt: number;
  offset: number;
  follow: boolean;
  /** Most bytes to send (not following): a byte range, so a page can read a huge log piece by piece. */
  limit?: number;
  logPath(attempt: number): string;
  /** The run's current status and attempt number. */
  state(): Promise<{ status: RunStatus; attempt: number }>;
  out: Writable;
  /** Resolves when the client went away. */
  closed: Promise<void>;
  pollMs?: number;
}

const CHUNK = 64 * 1024;

async function openIfExists(path: string): Promise<FileHandle | undefined> {
  try {
    return await open(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

export async function streamLog(o: FollowOptions): Promise<void> {
  let gone = false;
  void o.closed.then(() => { gone = true; });
  const write = (chunk: Buffer) =>
    new Promise<void>((resolve) => {
      if (o.out.write(chunk)) resolve();
      else o.out.once('drain', () => resolve());
    });
  let attempt = o.attempt;
  let offset = o.offset;
  let fh: FileHandle | undefined;
  const buf = Buffer.alloc(CHUNK);
  const end = o.follow || o.limit === undefined ? Infinity : o.offset + o.limit;
  const drain = async () => {
    fh ??= await openIfExists(o.logPath(attempt));
    if (!fh) return;
    while (!gone && offset < end) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(CHUNK, end - offset), offset);
      if (!bytesRead) return;
      offset += bytesRead;
      await write(Buffer.from(buf.subarray(0, bytesRead)));
    }
  };
  try {
    for (;;) {
      await drain();
      if (!o.follow || gone) return;
      const s = await o.state();
      if (s.attempt > attempt && attempt > 0) {
        // A later attempt exists, so this one has ended: take its last bytes, then go on.
        await drain();
        await fh?.close();
        fh = undefined;
        attempt++;
        offset = 0;
        await write(Buffer.from(`--- regatta: attempt ${attempt} ---\n`));
        continue;
      }
      if (attempt === 0 && s.attempt > 0) {
        attempt = 1; // followed from before the first start
        continue;
      }
      if (isTerminal(s.status)) {
        await drain();
        return;
      }
      await Promise.race([new Promise((r) => setTimeout(r, o.pollMs ?? 100)), o.closed]);
      if (gone) return;
    }
  } finally {
    await fh?.close();
  }
}

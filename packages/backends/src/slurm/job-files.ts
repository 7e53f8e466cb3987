/** Reading what a Slurm job left on the shared directory: its log (tailed), exit status and outputs. */
import { appendFile, cp, open, readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';

function missing(e: unknown): boolean {
  return (e as NodeJS.ErrnoException).code === 'ENOENT';
}

/** Appends what `src` holds past `offset` to `dst`; returns the new offset. */
export async function tailInto(src: string, dst: string, offset: number): Promise<number> {
  let fh;
  try {
    fh = await open(src, 'r');
  } catch (e) {
    if (missing(e)) return offset;
    throw e;
  }
  try {
    const buf = Buffer.alloc(1 << 16);
    let at = offset;
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, at);
      if (!bytesRead) return at;
      await appendFile(dst, buf.subarray(0, bytesRead));
      at += bytesRead;
    }
  } finally {
    await fh.close();
  }
}

export async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (e) {
    if (missing(e)) return 0;
    throw e;
  }
}

/** The exit status the task script recorded, when it got to record one. */
export async function readExitCode(path: string): Promise<number | undefined> {
  try {
    const n = Number((await readFile(path, 'utf8')).trim());
    return Number.isInteger(n) ? n : undefined;
  } catch (e) {
    if (missing(e)) return undefined;
    throw e;
  }
}

/** Copies the job's outputs next to the run on the server (nothing to do when they are one directory). */
export async function copyOutputs(from: string, to: string): Promise<void> {
  if (resolve(from) === resolve(to)) return;
  try {
    await cp(from, to, { recursive: true, force: true });
  } catch (e) {
    if (!missing(e)) throw e;
  }
}

/** The last bytes of a file, to find Slurm's own messages (memory limit kills) in a job's log. */
export async function readTail(path: string, bytes = 8192): Promise<string> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    if (missing(e)) return '';
    throw e;
  }
  try {
    const size = (await fh.stat()).size;
    const buf = Buffer.alloc(Math.min(bytes, size));
    await fh.read(buf, 0, buf.length, size - buf.length);
    return buf.toString('utf8');
  } finally {
    await fh.close();
  }
}

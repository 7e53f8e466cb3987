/** The end of an attempt's log, for retry rules that look at it: a bounded read, never the whole file. */
import { open } from 'node:fs/promises';
import { RETRY_LOG_TAIL_BYTES, hasLogRules, type ResolvedSpec } from '@regatta/core';

/** The last `maxBytes` of the file at `path` as text; '' when it is missing. */
export async function readLogTail(path: string, maxBytes = RETRY_LOG_TAIL_BYTES): Promise<string> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch {
    return '';
  }
  try {
    const { size } = await fh.stat();
    const length = Math.min(size, maxBytes);
    const buf = Buffer.alloc(length);
    let read = 0;
    while (read < length) {
      const { bytesRead } = await fh.read(buf, read, length - read, size - length + read);
      if (bytesRead === 0) break;
      read += bytesRead;
    }
    // A cut through a multi-byte character decodes as one replacement character: harmless to a regex.
    return buf.subarray(0, read).toString('utf8');
  } finally {
    await fh.close();
  }
}

/** The log tail a job's retry rules need, or undefined when none of them looks at the log. */
export async function retryLogTail(spec: ResolvedSpec, logPath: string): Promise<string | undefined> {
  return spec.kind === 'job' && hasLogRules(spec.retry) ? readLogTail(logPath) : undefined;
}

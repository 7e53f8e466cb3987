/**
 * Copies a container's log stream (Docker's multiplexed frames, requested with timestamps) into the
 * attempt's log file, in order. Every so often it checkpoints, in a cursor file, the timestamp of the
 * last line on disk and the log's size at that point. After a server restart the log is cut back to
 * the checkpoint and the stream is requested again from its timestamp, skipping lines at or before
 * it: the log ends up with no duplicates and no gaps.
 */
import { createWriteStream, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';

/** RFC 3339 with nanoseconds → nanoseconds since the epoch (BigInt keeps every digit). */
export function timestampNs(ts: string): bigint | undefined {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(ts);
  if (!m) return undefined;
  const secs = Date.parse(`${m[1]}Z`);
  if (Number.isNaN(secs)) return undefined;
  return BigInt(secs) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}

/** Cursor of a log whose container has not written a line yet. */
const FIRST = 'first';

export class LogPump {
  /** Last line on disk: its timestamp, and the log's size just after it. */
  private last: bigint = -1n;
  private lastText: string | undefined;
  private size = 0;
  private lastSaved = 0;

  constructor(private readonly logPath: string, private readonly cursorPath: string) {
    let cursor: string[] = [];
    try {
      cursor = readFileSync(cursorPath, 'utf8').trim().split(' ');
    } catch {
      cursor = [];
    }
    const [tsText, sizeText] = cursor;
    const ts = tsText ? timestampNs(tsText) : undefined;
    let onDisk = 0;
    try {
      onDisk = statSync(logPath).size;
    } catch {
      // no log yet
    }
    if (tsText === FIRST && sizeText !== undefined && /^\d+$/.test(sizeText)) {
      // Followed before, but no line was checkpointed: everything after the build output comes again.
      this.size = Number(sizeText);
      if (onDisk > this.size) truncateSync(logPath, this.size);
    } else if (ts !== undefined && sizeText !== undefined && /^\d+$/.test(sizeText)) {
      this.last = ts;
      this.lastText = tsText;
      this.size = Number(sizeText);
      // Whatever was written after the checkpoint is written again from the engine's copy.
      if (onDisk > this.size) truncateSync(logPath, this.size);
    } else {
      this.size = onDisk; // a first start: keep what is there (the image build's output)
    }
  }

  /** Seconds to pass as `since` when asking the engine for logs again (0: from the start). */
  since(): number {
    return this.last < 0n ? 0 : Number(this.last / 1_000_000_000n);
  }

  private saveCursor(force: boolean): void {
    const now = Date.now();
    if (!this.lastText || (!force && now - this.lastSaved < 250)) return;
    this.lastSaved = now;
    writeFileSync(this.cursorPath, `${this.lastText} ${this.size}`);
  }

  /** Resolves when the stream ends (the container stopped, or the connection closed). */
  pump(stream: NodeJS.ReadableStream): Promise<void> {
    // Before the first line, the checkpoint names where the container's lines begin, so a server
    // killed before it checkpoints a line does not keep lines the engine sends again.
    if (!this.lastText) writeFileSync(this.cursorPath, `${FIRST} ${this.size}`);
    const out = createWriteStream(this.logPath, { flags: 'a' });
    let buf: Buffer = Buffer.alloc(0);
    const onFrame = (payload: Buffer) => {
      const sp = payload.indexOf(0x20);
      const tsText = sp > 0 ? payload.subarray(0, sp).toString('latin1') : '';
      const ts = timestampNs(tsText);
      if (ts !== undefined && ts <= this.last) return; // on disk before a restart
      const line = ts !== undefined ? payload.subarray(sp + 1) : payload;
      // The checkpoint only ever names bytes that reached the file.
      out.write(line, () => {
        this.size += line.length;
        if (ts !== undefined && ts > this.last) {
          this.last = ts;
          this.lastText = tsText;
        }
        this.saveCursor(false);
      });
    };
    return new Promise((resolve) => {
      stream.on('data', (chunk: Buffer) => {
        buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
        while (buf.length >= 8) {
          const size = buf.readUInt32BE(4);
          if (buf.length < 8 + size) break;
          onFrame(buf.subarray(8, 8 + size));
          buf = buf.subarray(8 + size);
        }
      });
      const end = () => {
        out.end(() => {
          this.saveCursor(true);
          resolve();
        });
      };
      stream.once('end', end);
      stream.once('error', end);
    });
  }
}

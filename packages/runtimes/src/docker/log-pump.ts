/**
 * Copies a container's log stream (Docker's multiplexed frames, requested with timestamps) into the
 * attempt's log file, in order, and remembers the timestamp of the last line written. After a server
 * restart, the stream is requested again from that time and lines already written are skipped, so
 * the log has no duplicates and no gaps.
 */
import { createWriteStream, readFileSync, writeFileSync } from 'node:fs';

/** RFC 3339 with nanoseconds → nanoseconds since the epoch (BigInt keeps every digit). */
export function timestampNs(ts: string): bigint | undefined {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(ts);
  if (!m) return undefined;
  const secs = Date.parse(`${m[1]}Z`);
  if (Number.isNaN(secs)) return undefined;
  return BigInt(secs) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}

export class LogPump {
  private last: bigint;
  private lastText: string | undefined;
  private lastSaved = 0;

  constructor(private readonly logPath: string, private readonly cursorPath: string) {
    let cursor: string | undefined;
    try {
      cursor = readFileSync(cursorPath, 'utf8').trim();
    } catch {
      cursor = undefined;
    }
    this.lastText = cursor || undefined;
    this.last = (cursor && timestampNs(cursor)) || -1n;
  }

  /** Seconds to pass as `since` when asking the engine for logs again (0: from the start). */
  since(): number {
    return this.last < 0n ? 0 : Number(this.last / 1_000_000_000n);
  }

  private saveCursor(force: boolean): void {
    const now = Date.now();
    if (!this.lastText || (!force && now - this.lastSaved < 250)) return;
    this.lastSaved = now;
    writeFileSync(this.cursorPath, this.lastText);
  }

  /** Resolves when the stream ends (the container stopped, or the connection closed). */
  pump(stream: NodeJS.ReadableStream): Promise<void> {
    const out = createWriteStream(this.logPath, { flags: 'a' });
    let buf: Buffer = Buffer.alloc(0);
    const onFrame = (payload: Buffer) => {
      const text = payload.toString('utf8');
      const sp = text.indexOf(' ');
      const tsText = sp > 0 ? text.slice(0, sp) : '';
      const ts = timestampNs(tsText);
      if (ts !== undefined && ts <= this.last) return; // written before a restart
      if (ts !== undefined) {
        this.last = ts;
        this.lastText = tsText;
      }
      out.write(ts !== undefined ? text.slice(sp + 1) : text);
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
        this.saveCursor(false);
      });
      const end = () => {
        this.saveCursor(true);
        out.end(() => resolve());
      };
      stream.once('end', end);
      stream.once('error', end);
    });
  }
}

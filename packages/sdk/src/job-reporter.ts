/**
 * The job side's report buffer: metric points and timeline events are appended in memory and sent
 * in the background, in one request per kind and flush over a kept-alive connection, so reporting
 * never waits for the server. Each report carries an id (the server stores an id once), so a report
 * retried or also spooled is never counted twice.
 *
 * When the server cannot be reached (refused, hung, 5xx), what waits is appended to
 * $REGATTA_OUTPUTS/metrics.jsonl and events.jsonl (the server reads them when the attempt ends) and
 * retried with backoff until the server answers. At exit what is still unconfirmed is in those files.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { appendFile, mkdir } from 'node:fs/promises';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

/** The job's variables as the environment holds them: each may be unset. */
export interface JobEnv {
  runId?: string | undefined;
  apiUrl?: string | undefined;
  token?: string | undefined;
  outputs?: string | undefined;
  attempt?: string | undefined;
}

export function jobEnv(env: NodeJS.ProcessEnv = process.env): JobEnv {
  return { runId: env.REGATTA_RUN_ID, apiUrl: env.REGATTA_API_URL, token: env.REGATTA_RUN_TOKEN, outputs: env.REGATTA_OUTPUTS, attempt: env.REGATTA_ATTEMPT };
}

export interface MetricReport {
  name: string;
  value: number;
  step?: number;
  ts: number;
  id?: string;
}

export interface EventReport {
  message: string;
  ts: number;
  id?: string;
}

export type NewReport = { kind: 'metrics'; report: MetricReport } | { kind: 'events'; report: EventReport };
/** `set`: the reports of one call, sent in the same request so a reader sees all of them or none. */
type Entry = NewReport & { spooled: boolean; set: number };

export interface ReporterOptions {
  flushIntervalMs: number;
  batchSize: number;
  requestTimeoutMs: number;
  maxBackoffMs: number;
  /** Beyond this many unconfirmed reports, the oldest live only in the spool files. */
  maxBacklog: number;
}

export const DEFAULT_REPORTER_OPTIONS: ReporterOptions = {
  flushIntervalMs: 500, batchSize: 1000, requestTimeoutMs: 3000, maxBackoffMs: 30_000, maxBacklog: 200_000,
};

/** The server refused the reports for good (bad token, attempt over): retrying cannot help. */
class PermanentRefusal extends Error {}

const SPOOL_FILES = { metrics: 'metrics.jsonl', events: 'events.jsonl' } as const;

export class JobReporter {
  private incoming: Entry[] = [];
  private backlog: Entry[] = [];
  private timer: NodeJS.Timeout | undefined;
  private cycling: Promise<void> | undefined;
  private failures = 0;
  private nextTry = 0;
  private seq = 0;
  private sets = 0;
  private readonly prefix: string;
  private readonly agent: HttpAgent;
  private readonly target: URL | undefined;

  constructor(private readonly env: JobEnv, private readonly o: ReporterOptions = DEFAULT_REPORTER_OPTIONS) {
    this.prefix = `a${env.attempt ?? '0'}-${randomBytes(5).toString('hex')}-`;
    this.target = env.apiUrl && env.token && env.runId ? new URL(env.apiUrl) : undefined;
    this.agent = this.target?.protocol === 'https:' ? new HttpsAgent({ keepAlive: true, maxSockets: 1 }) : new HttpAgent({ keepAlive: true, maxSockets: 1 });
  }

  /** Buffers the reports of one call (sent together); returns at once. */
  add(reports: readonly NewReport[]): void {
    const set = this.sets++;
    for (const r of reports) {
      r.report.id = this.prefix + String(this.seq++);
      this.incoming.push({ ...r, spooled: false, set });
    }
    if (this.incoming.length >= this.o.batchSize) this.kick();
    else if (!this.timer) {
      this.timer = setTimeout(() => this.kick(), this.o.flushIntervalMs);
      this.timer.unref(); // a pending flush never keeps a finished job alive; beforeExit flushes
    }
  }

  /** How many reports were added so far. */
  get reported(): number {
    return this.seq;
  }

  /** Whether anything is still unconfirmed. */
  get pending(): boolean {
    return this.incoming.length + this.backlog.length > 0;
  }

  private kick(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.cycling ??= this.cycle().finally(() => {
      this.cycling = undefined;
      if (this.incoming.length) this.kick();
    });
  }

  private drain(): void {
    if (this.incoming.length) {
      this.backlog.push(...this.incoming);
      this.incoming = [];
    }
    const over = this.backlog.length - this.o.maxBacklog;
    if (over > 0) {
      this.spoolSync(this.backlog.slice(0, over));
      this.backlog.splice(0, over);
    }
  }

  private async cycle(): Promise<void> {
    this.drain();
    if (!this.backlog.length) return;
    if (Date.now() < this.nextTry) {
      await this.spool(this.backlog); // an outage: keep what arrives safe on disk meanwhile
      this.arm(this.nextTry - Date.now());
      return;
    }
    while (this.backlog.length) {
      let end = Math.min(this.o.batchSize, this.backlog.length);
      while (end < this.backlog.length && this.backlog[end]?.set === this.backlog[end - 1]?.set) end++;
      const chunk = this.backlog.slice(0, end);
      try {
        await this.send(chunk);
        this.failures = 0;
      } catch (e) {
        if (!(e instanceof PermanentRefusal)) {
          // Refused, hung, 5xx: back off, keep it on disk, try again later.
          this.failures++;
          this.nextTry = Date.now() + Math.min(this.o.maxBackoffMs, 250 * 2 ** (this.failures - 1));
          await this.spool(this.backlog);
          this.arm(this.nextTry - Date.now());
          return;
        }
        await this.spool(chunk); // the files are the record; the server reads them at attempt end
      }
      const done = new Set(chunk);
      this.backlog = this.backlog.filter((e) => !done.has(e));
      this.drain();
    }
  }

  /** The next cycle: the retry, but no later than the flush interval, so new reports reach the spool. */
  private arm(ms: number): void {
    if (this.timer) return;
    this.timer = setTimeout(() => this.kick(), Math.max(Math.min(ms, this.o.flushIntervalMs), 0));
    this.timer.unref();
  }

  private async send(chunk: Entry[]): Promise<void> {
    const metrics = chunk.flatMap((e) => (e.kind === 'metrics' ? [e.report] : []));
    const events = chunk.flatMap((e) => (e.kind === 'events' ? [e.report] : []));
    if (metrics.length) await this.post('/metrics', { metrics });
    if (events.length) await this.post('/events', { events });
  }

  private post(path: string, body: unknown): Promise<void> {
    const target = this.target;
    if (!target) return Promise.reject(new PermanentRefusal('not inside a Regatta job'));
    const url = new URL(`${target.pathname.replace(/\/$/, '')}/api/v1/runs/${this.env.runId}${path}`, target);
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(url, {
        method: 'POST', agent: this.agent, timeout: this.o.requestTimeoutMs,
        headers: { authorization: `Bearer ${this.env.token}`, 'content-type': 'application/json' },
      }, (res: IncomingMessage) => {
        res.resume();
        res.on('error', reject);
        res.on('end', () => {
          const s = res.statusCode ?? 0;
          if (s >= 200 && s < 300) resolve();
          else if (s >= 500 || s === 408 || s === 429) reject(new Error(`server answered ${s}`));
          else reject(new PermanentRefusal(`server refused the reports: ${s}`));
        });
      });
      req.on('timeout', () => req.destroy(new Error('the server did not answer in time')));
      req.on('error', reject);
      req.end(JSON.stringify(body));
    });
  }

  private spoolLines(entries: Entry[]): Map<string, string> {
    const out = new Map<string, string>();
    for (const e of entries) {
      if (e.spooled) continue;
      e.spooled = true;
      const file = SPOOL_FILES[e.kind];
      out.set(file, `${out.get(file) ?? ''}${JSON.stringify(e.report)}\n`);
    }
    return out;
  }

  private async spool(entries: Entry[]): Promise<void> {
    const dir = this.env.outputs ?? 'outputs';
    try {
      await mkdir(dir, { recursive: true });
      for (const [file, text] of this.spoolLines(entries)) await appendFile(join(dir, file), text);
    } catch (e) {
      process.stderr.write(`@regatta/sdk: cannot spool reports to ${dir}: ${String(e)}\n`);
    }
  }

  /** Writes everything not yet on disk now (at exit, when nothing asynchronous runs any more). */
  spoolSync(entries: Entry[] = [...this.backlog, ...this.incoming]): void {
    const dir = this.env.outputs ?? 'outputs';
    try {
      const lines = this.spoolLines(entries);
      if (lines.size) mkdirSync(dir, { recursive: true });
      for (const [file, text] of lines) appendFileSync(join(dir, file), text);
    } catch (e) {
      process.stderr.write(`@regatta/sdk: cannot spool reports to ${dir}: ${String(e)}\n`);
    }
  }

  /**
   * Sends what is buffered now; true once the server confirmed all of it, false where some of it is
   * only in the spool files after `timeoutMs` (it is still retried in the background).
   */
  async flush(timeoutMs = 5000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.pending && Date.now() < deadline && Date.now() >= this.nextTry) {
      this.kick();
      const cycling = this.cycling;
      if (!cycling) break;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([cycling, new Promise((r) => { timer = setTimeout(r, Math.max(deadline - Date.now(), 0)); })]);
      clearTimeout(timer);
      if (this.failures > 0) break;
    }
    if (!this.pending) return true;
    this.drain();
    await this.spool(this.backlog);
    return false;
  }
}

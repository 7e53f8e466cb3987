/**
 * Helpers for code running inside a Regatta job: report metrics, timeline events and the result
 * JSON. Metrics and events return at once: they are buffered and sent in the background (see
 * job-reporter.ts), spooled to $REGATTA_OUTPUTS/metrics.jsonl and events.jsonl while the server
 * cannot be reached, and flushed when the process is about to exit.
 *
 * @example
 * import { reportMetric, reportMetrics, reportEvent, reportResult } from '@regatta/sdk';
 * reportMetric('loss', 0.42, 10);
 * reportMetrics({ loss: 0.42, accuracy: 0.9 }, 10);
 * reportEvent('alert: vessel 228946000 off its lane');
 * await reportResult({ test_accuracy: 0.93 });
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { JobReporter, jobEnv, type JobEnv } from './job-reporter.js';

let reporter: JobReporter | undefined;

function getReporter(): JobReporter {
  if (reporter) return reporter;
  const r = new JobReporter(jobEnv());
  reporter = r;
  // The loop is about to empty: one last send (bounded by the request timeout), then exit. Once per
  // batch of new reports: an outage must not turn beforeExit into a loop.
  let flushedAt = -1;
  process.on('beforeExit', () => {
    if (!r.pending || flushedAt === r.reported) return;
    flushedAt = r.reported;
    void r.flush();
  });
  // process.exit() or the end after beforeExit: only synchronous work runs, so spool what is left.
  process.on('exit', () => r.spoolSync());
  return r;
}

/**
 * Records one metric point (`step` is optional). Returns at once: the point is sent in the
 * background. Non-finite values (NaN, Infinity) are skipped: JSON cannot carry them.
 *
 * @example
 * reportMetric('loss', 0.42, 10);
 */
export function reportMetric(name: string, value: number, step?: number): Promise<void> {
  if (Number.isFinite(value)) getReporter().add([{ kind: 'metrics', report: { name, value, ...(step !== undefined ? { step } : {}), ts: Date.now() } }]);
  return Promise.resolve();
}

/**
 * Records several metrics with one step and time. Returns at once; they are sent in the background
 * in the same request, so a reader sees the whole set or none of it.
 *
 * @example
 * reportMetrics({ messages: 1200, alerts: 3, latency_ms_p50: 28 }, 7);
 */
export function reportMetrics(values: Record<string, number>, step?: number): Promise<void> {
  const ts = Date.now();
  getReporter().add(Object.entries(values).filter(([, value]) => Number.isFinite(value))
    .map(([name, value]) => ({ kind: 'metrics', report: { name, value, ...(step !== undefined ? { step } : {}), ts } })));
  return Promise.resolve();
}

/**
 * Adds a line to the run's timeline (`regatta show`, GET /api/v1/runs/{id}/events), for what a person
 * should notice: an alert, a milestone. Resolves true at once (the event is buffered); an event raised
 * while the server is away reaches the timeline once it is back, or when the attempt ends (from
 * events.jsonl).
 *
 * @example
 * reportEvent('ALERT vessel 228946000: abnormal track');
 */
export function reportEvent(message: string): Promise<boolean> {
  getReporter().add([{ kind: 'events', report: { message: message.slice(0, 2000) || '(empty)', ts: Date.now() } }]);
  return Promise.resolve(true);
}

/**
 * Sends what is buffered now. Resolves true once nothing waits (the server confirmed it, or refused
 * it for good and it is in the spool files), false where some of it is only in the spool files after
 * `timeoutMs` (still retried in the background).
 *
 * @example
 * if (!(await flushReports(2000))) console.warn('reports spooled to $REGATTA_OUTPUTS');
 */
export function flushReports(timeoutMs = 5000): Promise<boolean> {
  return getReporter().flush(timeoutMs);
}

async function put(e: JobEnv, path: string, body: unknown): Promise<boolean> {
  if (!e.apiUrl || !e.token || !e.runId) return false;
  try {
    const res = await fetch(`${e.apiUrl}/api/v1/runs/${e.runId}${path}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${e.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(3000),
    });
    return res.ok;
  } catch {
    return false;
  }
}

/** Sets the run's result JSON (the last call wins); waits at most 3 s, else writes $REGATTA_OUTPUTS/result.json. */
export async function reportResult(result: unknown): Promise<void> {
  const e = jobEnv();
  if (await put(e, '/result', result)) return;
  const dir = e.outputs ?? 'outputs';
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'result.json'), JSON.stringify(result));
}

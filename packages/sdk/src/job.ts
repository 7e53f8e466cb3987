/**
 * Helpers for code running inside a Regatta job: report metrics and the result JSON. They post to
 * the API with the run's own token, and fall back to $REGATTA_OUTPUTS/metrics.jsonl and
 * result.json (read by the server when the run ends) where the server cannot be reached.
 *
 * @example
 * import { reportMetric, reportResult } from '@regatta/sdk';
 * await reportMetric('loss', 0.42, 10);
 * await reportMetrics({ loss: 0.42, accuracy: 0.9 }, 10);
 * await reportResult({ test_accuracy: 0.93 });
 * await reportEvent('alert: vessel 228946000 off its lane');
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

interface JobEnv {
  runId?: string;
  apiUrl?: string;
  token?: string;
  outputs?: string;
}

function jobEnv(env: NodeJS.ProcessEnv = process.env): JobEnv {
  return { runId: env.REGATTA_RUN_ID, apiUrl: env.REGATTA_API_URL, token: env.REGATTA_RUN_TOKEN, outputs: env.REGATTA_OUTPUTS };
}

async function post(e: JobEnv, method: string, path: string, body: unknown): Promise<boolean> {
  if (!e.apiUrl || !e.token || !e.runId) return false;
  try {
    const res = await fetch(`${e.apiUrl}/api/v1/runs/${e.runId}${path}`, {
      method,
      headers: { authorization: `Bearer ${e.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    return res.ok;
  } catch {
    return false;
  }
}

function outputsDir(e: JobEnv): string {
  const dir = e.outputs ?? 'outputs';
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Records one metric point (`step` is optional). Never throws for a reporting failure. */
export async function reportMetric(name: string, value: number, step?: number): Promise<void> {
  const e = jobEnv();
  const point = { name, value, ...(step !== undefined ? { step } : {}), ts: Date.now() };
  if (await post(e, 'POST', '/metrics', point)) return;
  appendFileSync(join(outputsDir(e), 'metrics.jsonl'), `${JSON.stringify(point)}\n`);
}

/**
 * Records several metrics at once, in one request (they land together, so a reader never sees half
 * of a set). Never throws for a reporting failure.
 *
 * @example
 * await reportMetrics({ messages: 1200, alerts: 3, latency_ms_p50: 28 }, 7);
 */
export async function reportMetrics(values: Record<string, number>, step?: number): Promise<void> {
  const e = jobEnv();
  const ts = Date.now();
  const points = Object.entries(values).map(([name, value]) => ({ name, value, ...(step !== undefined ? { step } : {}), ts }));
  if (!points.length || (await post(e, 'POST', '/metrics', { metrics: points }))) return;
  appendFileSync(join(outputsDir(e), 'metrics.jsonl'), points.map((p) => `${JSON.stringify(p)}\n`).join(''));
}

/** Sets the run's result JSON (the last call wins). */
export async function reportResult(result: unknown): Promise<void> {
  const e = jobEnv();
  if (await post(e, 'PUT', '/result', result)) return;
  writeFileSync(join(outputsDir(e), 'result.json'), JSON.stringify(result));
}

/**
 * Adds a line to the run's timeline (`regatta show`, GET /api/v1/runs/{id}/events), for what a person
 * should notice: an alert, a milestone. Returns false where the server cannot be reached (events
 * have no file fallback: they matter while the run is live). Never throws.
 *
 * @example
 * await reportEvent('ALERT vessel 228946000: abnormal track');
 */
export async function reportEvent(message: string): Promise<boolean> {
  return post(jobEnv(), 'POST', '/events', { message: message.slice(0, 2000) });
}

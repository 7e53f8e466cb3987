/**
 * What a job reports through files in $REGATTA_OUTPUTS, for jobs that cannot reach the server:
 * `metrics.jsonl` (one {name, value, step?, ts?, id?} per line), `events.jsonl` (one {message,
 * ts?, id?} per line) and `result.json`. A line whose `id` was already received over HTTP (the
 * SDKs spool what they could not confirm) is stored once.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { NUL_MESSAGE, findNulChar, type Logger, type MetricPoint } from '@regatta/core';
import { listArtifacts } from '@regatta/runtimes';
import type { Store } from '@regatta/store';

// A time a job reports: any instant a Date can hold after 1970 (larger ones could never be shown).
const epochMs = z.number().min(0).max(8_640_000_000_000_000);

export const metricInputSchema = z.strictObject({
  name: z.string().min(1).max(200),
  value: z.number(),
  step: z.number().int().min(0).optional(),
  ts: epochMs.optional().describe('Epoch milliseconds; the server time when omitted'),
  id: z.string().min(1).max(100).optional().describe("The reporter's id for this point: a point sent again with the same id is stored once"),
});
export type MetricInput = z.infer<typeof metricInputSchema>;

export const jobEventInputSchema = z.strictObject({
  message: z.string().min(1).max(2000).describe("One line, shown in the run's timeline"),
  ts: epochMs.optional().describe('Epoch milliseconds when it happened; the server time when omitted'),
  id: z.string().min(1).max(100).optional().describe("The reporter's id for this event: an event sent again with the same id is stored once"),
});
export type JobEventInput = z.infer<typeof jobEventInputSchema>;

export function toPoint(m: MetricInput, now: number): MetricPoint {
  return { name: m.name, value: m.value, ...(m.step !== undefined ? { step: m.step } : {}), ts: m.ts ?? now, ...(m.id ? { key: m.id } : {}) };
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

export interface FileReports {
  metrics: MetricPoint[];
  events: JobEventInput[];
  result?: unknown;
  /** Lines or files that could not be read, for the run's log of problems. */
  problems: string[];
}

/** Each valid line of a JSON-lines file; a bad line is a problem, not a failure. */
async function readJsonLines<T>(path: string, file: string, schema: z.ZodType<T>, problems: string[]): Promise<T[]> {
  const text = await readOptional(join(path, file));
  const out: T[] = [];
  text?.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      problems.push(`${file} line ${i + 1}: not JSON`);
      return;
    }
    // As the API refuses it in a body: a NUL in a text cannot be stored on PostgreSQL.
    const nul = findNulChar(value);
    if (nul !== undefined) {
      problems.push(`${file} line ${i + 1}: ${nul || '(root)'} ${NUL_MESSAGE}`);
      return;
    }
    const parsed = schema.safeParse(value);
    if (parsed.success) out.push(parsed.data);
    else problems.push(`${file} line ${i + 1}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  });
  return out;
}

export async function readFileReports(outputs: string, now: number): Promise<FileReports> {
  const problems: string[] = [];
  const metrics = (await readJsonLines(outputs, 'metrics.jsonl', metricInputSchema, problems)).map((m) => toPoint(m, now));
  const events = await readJsonLines(outputs, 'events.jsonl', jobEventInputSchema, problems);
  const out: FileReports = { metrics, events, problems };
  const resultText = await readOptional(join(outputs, 'result.json'));
  if (resultText !== undefined) {
    let result: unknown;
    try {
      result = JSON.parse(resultText) as unknown;
    } catch {
      out.problems.push('result.json: not valid JSON');
    }
    const nul = findNulChar(result);
    if (nul !== undefined) out.problems.push(`result.json: ${nul || '(root)'} ${NUL_MESSAGE}`);
    else if (result !== undefined) out.result = result;
  }
  return out;
}

/**
 * Once an attempt has ended: its artifacts are listed, and metrics and a result it left as files in
 * $REGATTA_OUTPUTS are recorded. A problem here is logged, never fails the attempt.
 */
export async function recordOutputs(store: Store, logger: Logger, outputs: string, runId: string, attempt: number, now: number): Promise<void> {
  try {
    const artifacts = await listArtifacts(outputs);
    if (!artifacts.length) return;
    const reports = await readFileReports(outputs, now);
    if (reports.metrics.length) await store.addMetrics(runId, attempt, reports.metrics);
    // Spooled while the server was away: the job was running when it raised them.
    for (const e of reports.events) {
      await store.addEvent(runId, { attempt, ts: e.ts ?? now, from: 'running', to: 'running', reason: e.message, ...(e.id ? { key: e.id } : {}) });
    }
    if (reports.result !== undefined) await store.setResult(runId, reports.result, now);
    for (const p of reports.problems) logger.warn({ runId, attempt }, p);
    await store.replaceArtifacts(runId, attempt, artifacts);
  } catch (e) {
    logger.error({ err: e, runId }, 'reading the outputs of an attempt failed');
  }
}

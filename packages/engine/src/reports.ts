/**
 * What a job reports through files in $REGATTA_OUTPUTS, for jobs that cannot reach the server:
 * `metrics.jsonl` (one {name, value, step?, ts?} per line) and `result.json`.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { Logger, MetricPoint } from '@regatta/core';
import { listArtifacts } from '@regatta/runtimes';
import type { Store } from '@regatta/store';

export const metricInputSchema = z.strictObject({
  name: z.string().min(1).max(200),
  value: z.number(),
  step: z.number().int().min(0).optional(),
  ts: z.number().optional().describe('Epoch milliseconds; the server time when omitted'),
});
export type MetricInput = z.infer<typeof metricInputSchema>;

export function toPoint(m: MetricInput, now: number): MetricPoint {
  return { name: m.name, value: m.value, ...(m.step !== undefined ? { step: m.step } : {}), ts: m.ts ?? now };
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
  result?: unknown;
  /** Lines or files that could not be read, for the run's log of problems. */
  problems: string[];
}

export async function readFileReports(outputs: string, now: number): Promise<FileReports> {
  const out: FileReports = { metrics: [], problems: [] };
  const metricsText = await readOptional(join(outputs, 'metrics.jsonl'));
  if (metricsText !== undefined) {
    metricsText.split('\n').forEach((line, i) => {
      if (!line.trim()) return;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        out.problems.push(`metrics.jsonl line ${i + 1}: not JSON`);
        return;
      }
      const parsed = metricInputSchema.safeParse(value);
      if (parsed.success) out.metrics.push(toPoint(parsed.data, now));
      else out.problems.push(`metrics.jsonl line ${i + 1}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    });
  }
  const resultText = await readOptional(join(outputs, 'result.json'));
  if (resultText !== undefined) {
    try {
      out.result = JSON.parse(resultText) as unknown;
    } catch {
      out.problems.push('result.json: not valid JSON');
    }
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
    if (reports.result !== undefined) await store.setResult(runId, reports.result, now);
    for (const p of reports.problems) logger.warn({ runId, attempt }, p);
    await store.replaceArtifacts(runId, attempt, artifacts);
  } catch (e) {
    logger.error({ err: e, runId }, 'reading the outputs of an attempt failed');
  }
}

/**
 * Configuration of the compatibility facades: each is off unless its block is present (and not
 * `enabled: false`), and is mounted under its own prefix.
 */
import { z } from 'zod';
import { parseDuration, type FieldIssue } from '@regatta/core';
import { cidrSchema } from './anonymous.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const anonymous = z.array(cidrSchema).max(100).optional()
  .describe('Networks whose requests need no credentials on this facade\'s routes only (default none), e.g. [127.0.0.0/8, 10.2.16.0/24]');
const prefix = z.string().regex(/^(\/[A-Za-z0-9._-]+)+$/, 'a path such as /compat/benchmark (no trailing slash)');

export const compatConfigSchema = z.strictObject({
  benchmark: z.strictObject({
    enabled: z.boolean().optional().describe('Default true when the block is present'),
    prefix: prefix.optional().describe('Where the API is mounted (default /compat/benchmark)'),
    template: z.string().regex(NAME, 'a template name').describe('Template holding the target system (services) and the benchmark task'),
    queue: z.string().regex(NAME, 'a queue name').optional().describe('Queue of the benchmark runs (default benchmark; concurrency 1 unless set)'),
    busy: z.enum(['queue', 'refuse']).optional().describe('While a benchmark runs: queue the next one (default), or refuse it with {"wait": seconds}'),
    wait: z.union([z.string(), z.number()]).optional().describe('The wait answered when no earlier benchmark gives an estimate (default 60s)'),
    datasetServices: z.array(z.string()).optional().describe('Services that get the requested datasets (default: every service and the task)'),
    allowAnonymousFrom: anonymous,
    templatesDir: z.string().startsWith('/', 'an absolute path').optional()
      .describe("Directory of <name>.json request bodies for run_benchmark_from_template (the original's benchmark_templates/)"),
  }).optional(),
  training: z.strictObject({
    enabled: z.boolean().optional().describe('Default true when the block is present'),
    prefix: prefix.optional().describe('Where the API is mounted (default /compat/training)'),
    templatePrefix: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,40}$/, 'letters, digits, dot, dash or underscore').optional()
      .describe('Training N is the template <templatePrefix>N (default training-)'),
    queue: z.string().regex(NAME, 'a queue name').optional().describe('Queue of the training runs (default: default)'),
    allowAnonymousFrom: anonymous,
  }).optional(),
}).describe('Drop-in facades of the APIs Regatta replaces (off by default)');

export type CompatConfigInput = z.infer<typeof compatConfigSchema>;

export interface BenchmarkFacadeConfig {
  prefix: string;
  template: string;
  queue: string;
  busy: 'queue' | 'refuse';
  waitMs: number;
  datasetServices?: string[];
  allowAnonymousFrom: string[];
  templatesDir?: string;
}

export interface TrainingFacadeConfig {
  prefix: string;
  templatePrefix: string;
  queue?: string;
  allowAnonymousFrom: string[];
}

export interface CompatConfig {
  benchmark?: BenchmarkFacadeConfig;
  training?: TrainingFacadeConfig;
}

export function compileCompatConfig(c: CompatConfigInput | undefined, issues: FieldIssue[]): CompatConfig {
  const out: CompatConfig = {};
  const b = c?.benchmark;
  if (b && b.enabled !== false) {
    const waitMs = parseDuration(b.wait ?? '60s');
    if (!waitMs) issues.push({ path: 'compat.benchmark.wait', message: 'expected a duration such as 60s' });
    out.benchmark = {
      prefix: b.prefix ?? '/compat/benchmark', template: b.template, queue: b.queue ?? 'benchmark', busy: b.busy ?? 'queue', waitMs: waitMs ?? 60_000,
      allowAnonymousFrom: b.allowAnonymousFrom ?? [], ...(b.templatesDir ? { templatesDir: b.templatesDir } : {}),
      ...(b.datasetServices ? { datasetServices: b.datasetServices } : {}),
    };
  }
  const t = c?.training;
  if (t && t.enabled !== false) {
    out.training = { prefix: t.prefix ?? '/compat/training', templatePrefix: t.templatePrefix ?? 'training-', allowAnonymousFrom: t.allowAnonymousFrom ?? [], ...(t.queue ? { queue: t.queue } : {}) };
  }
  if (out.benchmark && out.training && out.benchmark.prefix === out.training.prefix) {
    issues.push({ path: 'compat.training.prefix', message: `the same prefix as compat.benchmark (${out.training.prefix})` });
  }
  return out;
}

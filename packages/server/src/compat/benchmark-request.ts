/**
 * The benchmark controller's request (seed 003) as overrides of a Regatta template: pure functions,
 * so how a compose-style `override_services` entry becomes a service of the run is tested alone.
 */
import { z } from 'zod';
import { SERVICE_NAME_RE, type FieldIssue, type RunStatus } from '@regatta/core';

const DATASET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const envValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/** One entry of `override_services`: the docker-compose keys the original accepted, and `command`. */
export const overrideServiceSchema = z.strictObject({
  image: z.string().min(1).max(512).optional(),
  cpus: z.union([z.number().positive(), z.string().regex(/^\d+(\.\d+)?$/, 'a number of CPUs such as "2.5"')]).optional(),
  mem_limit: z.union([z.number().int().positive(), z.string().min(1)]).optional(),
  environment: z.union([z.array(z.string()), z.record(z.string().regex(ENV_KEY, 'not a valid environment variable name'), envValue)]).optional(),
  command: z.union([z.string().min(1), z.array(z.string()).min(1)]).optional(),
}).nullable();

export const runBenchmarkBody = z.strictObject({
  override_services: z.record(z.string().regex(SERVICE_NAME_RE, 'service names are DNS labels: lowercase letters, digits and dashes'), overrideServiceSchema)
    .optional().describe('Per service: image, cpus, mem_limit, environment (["K=V"] or a map), command; a new name adds a service; null removes one'),
  target_system: z.strictObject({
    version: z.string().min(1).max(128).optional(),
    git_repository: z.string().min(1).max(512).optional(),
  }).optional().describe('Given to the template as params.target_version and params.target_repository'),
  benchmark: z.record(z.string(), z.json()).optional().describe("The benchmark tools' configuration (default: the template's params.benchmark)"),
  datasets: z.array(z.string().regex(DATASET_NAME, 'a dataset name')).max(100).optional().describe('Named datasets to mount'),
}).describe('A benchmark request of the Benchmark Platform Controller API');

export type RunBenchmarkBody = z.infer<typeof runBenchmarkBody>;

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** docker-compose's `mem_limit` (`800mb`, `1g`, `512m`, bytes) in bytes; undefined when unreadable. */
export function composeMemory(v: string | number): number | undefined {
  if (typeof v === 'number') return v;
  const m = /^(\d+(?:\.\d+)?)\s*([bkmg]?)b?$/i.exec(v.trim());
  if (!m) return undefined;
  const bytes = Math.round(Number(m[1]) * (UNITS[(m[2] ?? '').toLowerCase()] ?? 1));
  return bytes > 0 ? bytes : undefined;
}

/** compose `environment` (a `K=V` list or a map; null unsets) as a Regatta env override. */
function envOverride(env: string[] | Record<string, string | number | boolean | null>, path: string, issues: FieldIssue[]): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  if (!Array.isArray(env)) {
    for (const [k, v] of Object.entries(env)) out[k] = v === null ? null : String(v);
    return out;
  }
  env.forEach((entry, i) => {
    const eq = entry.indexOf('=');
    const key = eq < 0 ? entry : entry.slice(0, eq);
    // Compose would copy a bare `K` from the controller's own environment: nothing to copy here.
    if (eq < 0) issues.push({ path: `${path}[${i}]`, message: 'expected KEY=VALUE' });
    else if (!ENV_KEY.test(key)) issues.push({ path: `${path}[${i}]`, message: `'${key}' is not a valid environment variable name` });
    else out[key] = entry.slice(eq + 1);
  });
  return out;
}

export interface BenchmarkRunInput {
  body: RunBenchmarkBody;
  /** The template's spec, for what a request adds to rather than replaces (datasets). */
  template: Record<string, unknown>;
  queue: string;
  resultId: string;
  resultUrl: string;
  /** Services that get the requested datasets; undefined: every service and the task. */
  datasetServices?: readonly string[];
}

export const LABEL_FACADE = 'regatta.compat';
export const LABEL_RESULT_ID = 'regatta.compat/result-id';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const datasetName = (d: unknown) => (isObject(d) ? d.name : d);

/** The overrides a benchmark request makes to the template, or the issues that refuse it. */
export function benchmarkOverrides(i: BenchmarkRunInput): { overrides: Record<string, unknown>; issues: FieldIssue[] } {
  const issues: FieldIssue[] = [];
  const tServices = isObject(i.template.services) ? i.template.services : {};
  const services: Record<string, unknown> = {};
  for (const [name, o] of Object.entries(i.body.override_services ?? {})) {
    const path = `override_services.${name}`;
    if (o === null) {
      services[name] = null;
      continue;
    }
    const s: Record<string, unknown> = {};
    if (o.image !== undefined) s.image = o.image;
    if (o.command !== undefined) s.command = o.command;
    const resources: Record<string, unknown> = {};
    if (o.cpus !== undefined) resources.cpus = Number(o.cpus);
    if (o.mem_limit !== undefined) {
      const bytes = composeMemory(o.mem_limit);
      if (bytes === undefined) issues.push({ path: `${path}.mem_limit`, message: "expected a size such as '800mb', '1g' or a number of bytes" });
      else resources.memory = bytes;
    }
    if (Object.keys(resources).length) s.resources = resources;
    if (o.environment !== undefined) s.env = envOverride(o.environment, `${path}.environment`, issues);
    services[name] = s;
  }

  // As the original: the request's benchmark configuration replaces the default whole, and
  // result_webhook is always this run's.
  const params = isObject(i.template.params) ? i.template.params : {};
  const config = { ...(i.body.benchmark ?? (isObject(params.benchmark) ? params.benchmark : {})), result_webhook: i.resultUrl };
  const overrides: Record<string, unknown> = {
    queue: i.queue,
    // The benchmark's posted result ends the run: cleanup, then finished.
    finish_on_result: true,
    labels: { [LABEL_FACADE]: 'benchmark', [LABEL_RESULT_ID]: i.resultId },
    env: { RESULT_WEBHOOK: i.resultUrl, BENCHMARK_CONFIG: JSON.stringify(config) },
  };
  const t = i.body.target_system;
  if (t?.version !== undefined || t?.git_repository !== undefined) {
    overrides.params = {
      ...(t.version !== undefined ? { target_version: t.version } : {}),
      ...(t.git_repository !== undefined ? { target_repository: t.git_repository } : {}),
    };
  }

  const wanted = i.body.datasets ?? [];
  if (wanted.length) {
    // Arrays replace in an override: add to what the template mounts instead.
    const withWanted = (current: unknown) => {
      const have = list(current);
      return [...have, ...wanted.filter((d) => !have.some((h) => datasetName(h) === d))];
    };
    const to = i.datasetServices;
    if (!to) overrides.datasets = withWanted(i.template.datasets);
    const names = to ?? [...new Set([...Object.keys(tServices), ...Object.keys(services)])];
    for (const name of names) {
      if (services[name] === null) continue;
      const base = tServices[name];
      if (!isObject(base) && services[name] === undefined) continue; // a configured name this template does not have
      const s = (services[name] ??= {}) as Record<string, unknown>;
      s.datasets = withWanted(isObject(base) ? base.datasets : undefined);
    }
  }
  if (Object.keys(services).length) overrides.services = services;
  return { overrides, issues };
}

/** A run's status as the controller reported it. */
export function benchmarkStatus(s: RunStatus): 'RUNNING' | 'CLEANUP' | 'FINISHED' {
  if (s === 'cleanup') return 'CLEANUP';
  if (s === 'queued' || s === 'starting' || s === 'building' || s === 'running') return 'RUNNING';
  return 'FINISHED';
}

/**
 * Field paths of a merged spec, as the request named them (`services.x.resources.memory` →
 * `override_services.x.mem_limit`), so a refused request points at what the client sent.
 */
export function requestPath(specPath: string, overridden: ReadonlySet<string>): string {
  const m = /^services\.([^.[]+)(.*)$/.exec(specPath);
  if (!m || !overridden.has(m[1] ?? '')) return specPath;
  const rest = (m[2] ?? '').replace(/^\.resources\.memory/, '.mem_limit').replace(/^\.resources\.cpus/, '.cpus').replace(/^\.env\b/, '.environment');
  return `override_services.${m[1] ?? ''}${rest}`;
}

/**
 * The benchmark controller's request (seed 003) as overrides of a Regatta template: pure functions,
 * so how a compose-style `override_services` entry becomes a service of the run is tested alone.
 */
import { z } from 'zod';
import { RegattaError, SERVICE_NAME_RE, type FieldIssue, type RunStatus } from '@regatta/core';
import { composeMounts } from './compose-volumes.js';

const DATASET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const envValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/**
 * One entry of `override_services`: the docker-compose keys Regatta maps, and `command`. Other
 * compose keys pass (as they did to docker-compose) and become warnings in the run's events.
 */
export const overrideServiceSchema = z.looseObject({
  image: z.string().min(1).max(512).optional(),
  cpus: z.union([z.number().positive(), z.string().regex(/^\d+(\.\d+)?$/, 'a number of CPUs such as "2.5"')]).optional(),
  mem_limit: z.union([z.number().int().positive(), z.string().min(1)]).optional(),
  environment: z.union([z.array(z.string()), z.record(z.string().regex(ENV_KEY, 'not a valid environment variable name'), envValue)]).optional(),
  command: z.union([z.string().min(1), z.array(z.string()).min(1)]).optional(),
}).nullable();

/** Seconds, as a number or the string the original passed to int(). */
const seconds = z.union([z.number().int().min(0).max(86_400), z.string().regex(/^\s*\d{1,5}\s*$/, 'a whole number of seconds')]);

export const runBenchmarkBody = z.looseObject({
  override_services: z.record(z.string().regex(SERVICE_NAME_RE, 'service names are DNS labels: lowercase letters, digits and dashes'), overrideServiceSchema)
    .nullish().describe('Per service: image, cpus, mem_limit, environment (["K=V"] or a map), command; a new name adds a service; null removes one'),
  target_system: z.looseObject({
    version: z.string().min(1).max(128).optional(),
    git_repository: z.string().min(1).max(512).optional(),
    sleep_after_target_startup: seconds.optional().describe('Seconds the benchmark task waits after the services are up'),
  }).nullish().describe('Given to the template as params.target_version and params.target_repository'),
  benchmark: z.record(z.string(), z.json()).nullish().describe("The benchmark tools' configuration (default: the template's params.benchmark)"),
  datasets: z.array(z.string().regex(DATASET_NAME, 'a dataset name')).max(100).nullish().describe('Named datasets to mount'),
}).describe('A benchmark request of the Benchmark Platform Controller API; other fields (extra_nodes, ...) are accepted and noted in the run\'s events');

/** A result id as the original took it: any path segment; an unknown one is a 404. */
export const resultParams = z.strictObject({ result_id: z.string().min(1).max(200) });

/** The original's `if not request.json: abort(400)`: a missing body, {}, [], null, false, 0 and "" are refused. */
export function requestJson(body: unknown, what: string): void {
  const empty = body === undefined || body === null || body === false || body === 0 || body === ''
    || (Array.isArray(body) && !body.length) || (typeof body === 'object' && !Array.isArray(body) && !Object.keys(body).length);
  if (empty) throw new RegattaError('invalid_request', `${what} must be a non-empty JSON body`, { issues: [{ path: 'body', message: 'expected a non-empty JSON value' }] });
}

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
function envOverride(env: string[] | Record<string, string | number | boolean | null>, path: string, issues: FieldIssue[], warnings: string[]): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  if (!Array.isArray(env)) {
    for (const [k, v] of Object.entries(env)) out[k] = v === null ? null : String(v);
    return out;
  }
  env.forEach((entry, i) => {
    const eq = entry.indexOf('=');
    const key = eq < 0 ? entry : entry.slice(0, eq);
    // Compose would copy a bare `K` from the controller's own environment: nothing to copy here.
    if (eq < 0) warnings.push(`${path}[${i}]: '${entry}' has no value (compose would copy it from the controller's environment); not set`);
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
  /** docker.allowedHostPaths, for `volumes`. */
  allowedHostPaths?: readonly string[];
}

export const LABEL_FACADE = 'regatta.compat';
export const LABEL_RESULT_ID = 'regatta.compat/result-id';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const datasetName = (d: unknown) => (isObject(d) ? d.name : d);

const KNOWN = {
  body: ['override_services', 'target_system', 'benchmark', 'datasets'],
  target: ['version', 'git_repository', 'sleep_after_target_startup'],
  service: ['image', 'cpus', 'mem_limit', 'environment', 'command'],
};
const unknownKeys = (o: object, known: readonly string[]) => Object.keys(o).filter((k) => !known.includes(k));
const isEmpty = (v: unknown) => v === null || v === undefined || (isObject(v) && !Object.keys(v).length) || (Array.isArray(v) && !v.length);

/** What the original honoured that Regatta does not: accepted, and each noted in the run's events. */
function ignoredFields(body: RunBenchmarkBody): string[] {
  const warnings: string[] = [];
  for (const k of unknownKeys(body, KNOWN.body)) {
    const v = body[k];
    if (k === 'extra_nodes') {
      if (!isEmpty(v)) warnings.push('extra_nodes: benchmarks on extra nodes (e.g. jetson) are not supported; ignored');
    } else warnings.push(`${k}: not a field Regatta maps; ignored`);
  }
  for (const k of unknownKeys(body.target_system ?? {}, KNOWN.target)) warnings.push(`target_system.${k}: not a field Regatta maps; ignored`);
  for (const [name, o] of Object.entries(body.override_services ?? {})) {
    for (const k of unknownKeys(o ?? {}, KNOWN.service)) {
      if (k !== 'volumes') warnings.push(`override_services.${name}.${k}: a compose key Regatta does not map; ignored`);
    }
  }
  return warnings;
}

/** The template's task command, started `seconds` later (after the services are up, as the original slept). */
export function delayedCommand(command: unknown, seconds: number): string | string[] | undefined {
  if (typeof command === 'string') return `sleep ${seconds}; ${command}`;
  if (Array.isArray(command) && command.length && command.every((c): c is string => typeof c === 'string')) {
    return ['/bin/sh', '-c', `sleep ${seconds}; exec "$@"`, 'sh', ...command];
  }
  return undefined;
}

/** The overrides a benchmark request makes to the template, the issues that refuse it, and what it ignores. */
export function benchmarkOverrides(i: BenchmarkRunInput): { overrides: Record<string, unknown>; issues: FieldIssue[]; warnings: string[] } {
  const issues: FieldIssue[] = [];
  const warnings = ignoredFields(i.body);
  const tServices = isObject(i.template.services) ? i.template.services : {};
  const services: Record<string, unknown> = {};
  for (const [name, o] of Object.entries(i.body.override_services ?? {})) {
    const path = `override_services.${name}`;
    if (o === null) {
      services[name] = null;
      continue;
    }
    const s: Record<string, unknown> = {};
    // A template running its services as processes has no images to swap: noted, not refused.
    if (o.image !== undefined && i.template.runtime !== 'docker') warnings.push(`${path}.image: the template runs services as processes, not images; ignored`);
    else if (o.image !== undefined) s.image = o.image;
    if (o.command !== undefined) s.command = o.command;
    const resources: Record<string, unknown> = {};
    if (o.cpus !== undefined) resources.cpus = Number(o.cpus);
    if (o.mem_limit !== undefined) {
      const bytes = composeMemory(o.mem_limit);
      if (bytes === undefined) issues.push({ path: `${path}.mem_limit`, message: "expected a size such as '800mb', '1g' or a number of bytes" });
      else resources.memory = bytes;
    }
    if (Object.keys(resources).length) s.resources = resources;
    if (o.environment !== undefined) s.env = envOverride(o.environment, `${path}.environment`, issues, warnings);
    if (o.volumes !== undefined) {
      const m = composeMounts(o.volumes, `${path}.volumes`, { allowed: i.allowedHostPaths ?? [], docker: i.template.runtime === 'docker' });
      warnings.push(...m.warnings);
      // Arrays replace in an override: add to what the template's service mounts.
      const base = tServices[name];
      if (m.mounts.length) s.mounts = [...list(isObject(base) ? base.mounts : undefined), ...m.mounts];
    }
    services[name] = s;
  }

  // As the original: the request's benchmark configuration replaces the default whole, and
  // result_webhook is always this run's.
  const params = isObject(i.template.params) ? i.template.params : {};
  const config = { ...(i.body.benchmark ?? (isObject(params.benchmark) ? params.benchmark : {})), result_webhook: i.resultUrl };
  const env: Record<string, string> = { RESULT_WEBHOOK: i.resultUrl, BENCHMARK_CONFIG: JSON.stringify(config) };
  const overrides: Record<string, unknown> = {
    queue: i.queue,
    // The benchmark's posted result ends the run: cleanup, then finished.
    finish_on_result: true,
    labels: { [LABEL_FACADE]: 'benchmark', [LABEL_RESULT_ID]: i.resultId },
    env,
  };
  const t = i.body.target_system;
  if (t?.version !== undefined || t?.git_repository !== undefined) {
    overrides.params = {
      ...(t.version !== undefined ? { target_version: t.version } : {}),
      ...(t.git_repository !== undefined ? { target_repository: t.git_repository } : {}),
    };
  }
  if (t?.sleep_after_target_startup !== undefined) {
    const sleep = Number(t.sleep_after_target_startup);
    env.SLEEP_AFTER_TARGET_STARTUP = String(sleep);
    const command = sleep > 0 ? delayedCommand(i.template.command, sleep) : undefined;
    if (command !== undefined) overrides.command = command;
    else if (sleep > 0) warnings.push('target_system.sleep_after_target_startup: the template\'s task has no command to delay (the image\'s own runs); given as $SLEEP_AFTER_TARGET_STARTUP only');
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
  return { overrides, issues, warnings };
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

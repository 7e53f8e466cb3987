/**
 * The job spec: the one schema from which validation, the exported JSON Schema and the OpenAPI
 * document are derived. `JobSpecInput` is what users write; `compileSpec()` turns it into the
 * `ResolvedSpec` the scheduler and runtimes use (units parsed, defaults filled, params substituted).
 */
import { z } from 'zod';
import { SpecError, type FieldIssue } from './errors.js';
import { MAX_DURATION_MESSAGE, parseDuration, parseMemory, withinMaxDuration } from './quantity.js';
import { parseYamlLimited } from './document-limits.js';
import { deriveRunName } from './run-name.js';
import { expandItems, foreachSchema, matrixSchema, type FanoutSpec, type Item } from './fanout.js';
import {
  healthSchema, mountsSchema, portsSchema, resolveHealth, resolveMounts, resolvePorts, resolveRestart, resolveServices, restartSchema, servicesSchema,
  type ResolvedHealth, type ResolvedPort, type ResolvedService, type RestartPolicy,
} from './services-spec.js';
import { resolveRetry, retriesSchema, type RetryPolicy } from './retry-rules.js';
import { artifactsSpecSchema } from './artifacts-spec.js';

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const LABEL_KEY_RE = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$/;
const ENV_KEY_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

const memory = z
  .union([z.string(), z.number()])
  .refine((v) => parseMemory(v) !== undefined, { message: "expected a size such as '512Mi', '4Gi' or a number of bytes" })
  .describe('Memory as bytes or with a unit: 512Mi, 4Gi, 2G');

const duration = z
  .union([z.string(), z.number()])
  .refine((v) => { const ms = parseDuration(v); return ms !== undefined && ms > 0; }, {
    message: "expected a duration such as '90s', '30m', '2h' or a number of seconds",
  })
  .refine(withinMaxDuration, { message: MAX_DURATION_MESSAGE })
  .describe('Duration: 90s, 30m, 2h, 1h30m, or a number of seconds');

const scalar = z.union([z.string(), z.number(), z.boolean()]);
const jsonValue: z.ZodType<unknown> = z.json();

export const resourcesSchema = z.strictObject({
  cpus: z.number().positive().max(4096).optional().describe('CPU cores reserved for the run (default 1; fractions allowed)'),
  memory: memory.optional(),
  gpus: z.number().int().min(0).max(64).optional().describe('Number of GPUs; the run sees exactly the devices assigned'),
  shm_size: memory.optional().describe('Size of /dev/shm for container runs (docker)'),
  nodes: z.number().int().min(1).max(1024).optional()
    .describe('Machines for a distributed run (Slurm backend): one task per node, with MASTER_ADDR, MASTER_PORT, WORLD_SIZE and RANK set (default 1)'),
});

export const jobSpecSchema = z
  .strictObject({
    name: z.string().regex(NAME_RE, 'use 1-63 letters, digits, dot, dash or underscore, starting with a letter or digit').optional(),
    command: z
      .union([z.string().min(1), z.array(z.string()).min(1)])
      .describe('A string run by `sh -c`, or an argv array run directly'),
    runtime: z.enum(['process', 'docker']).optional().describe('How the run executes: `process` (default) or `docker`'),
    image: z.string().min(1).max(512).optional().describe('Container image for runtime: docker (name:tag or id)'),
    build: z
      .strictObject({
        context: z.string().min(1).describe('Build context: a directory (the CLI uploads it), an absolute path on the server, or upload:<id>'),
        dockerfile: z.string().min(1).optional().describe('Dockerfile path inside the context (default Dockerfile)'),
        args: z.record(z.string(), z.string()).optional().describe('Build arguments'),
      })
      .optional()
      .describe('Build the image of a docker run from a Dockerfile; unchanged contexts are not rebuilt'),
    workdir: z.string().min(1).optional().describe('Absolute working directory on the node (default: a fresh per-attempt directory)'),
    files: z.string().regex(/^upload:[0-9a-f]{64}$/, 'expected upload:<id> (an uploaded directory)').optional()
      .describe('An uploaded directory the run starts from: copied into its working directory (set by templates)'),
    env: z.record(z.string().regex(ENV_KEY_RE, 'not a valid environment variable name'), scalar).optional(),
    params: z
      .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'param names are identifiers'), jsonValue)
      .optional()
      .describe('Values substituted as ${params.x} in command and env, and exported as REGATTA_PARAM_X'),
    resources: resourcesSchema.optional(),
    timeout: duration.optional(),
    retries: retriesSchema.optional(),
    queue: z.string().regex(NAME_RE, 'queue names use letters, digits, dot, dash or underscore').optional(),
    backend: z.string().regex(NAME_RE, 'a backend name').optional()
      .describe('Where the run goes: `slurm` hands it to the configured Slurm cluster (default: this server\'s nodes, or the backend its queue maps to)'),
    priority: z.number().int().min(-1000).max(1000).optional().describe('Higher runs first; FIFO within a priority'),
    datasets: z
      .array(z.union([
        z.string().regex(NAME_RE, 'a dataset name'),
        z.strictObject({ name: z.string().regex(NAME_RE, 'a dataset name'), target: z.string().min(1).optional().describe('Mount path in a container (default /datasets/<name>)') }),
      ]))
      .optional()
      .describe('Named datasets the admin registered, mounted read-only; $REGATTA_DATASET_<NAME> gives their path'),
    mounts: mountsSchema.optional().describe('Host directories mounted into a docker run (read-only unless readonly: false)'),
    labels: z.record(z.string().regex(LABEL_KEY_RE, 'not a valid label key'), z.string().max(256)).optional(),
    matrix: matrixSchema.optional(),
    foreach: foreachSchema.optional(),
    max_parallel: z.number().int().min(1).max(1_000_000).optional().describe('Most items of a fan-out running at once'),
    fail_fast: z.boolean().optional().describe('Cancel the rest of a fan-out when an item fails'),
    outputs: z
      .array(z.string().min(1))
      .optional()
      .describe('Files or globs, relative to workdir, collected as artifacts besides everything under $REGATTA_OUTPUTS'),
    kind: z.enum(['job', 'service']).optional()
      .describe('`job` (default) ends when its command exits; `service` runs until canceled and restarts per `restart`'),
    ports: portsSchema.optional(),
    health: healthSchema.optional().describe('Health check of the main task (reported for kind: service)'),
    restart: restartSchema.optional().describe('Restart policy of a kind: service run'),
    services: servicesSchema.optional(),
    artifacts: artifactsSpecSchema.optional(),
    finish_on_result: z.boolean().optional()
      .describe('End the run (through cleanup) as soon as its result is posted, as a benchmark controller does'),
  })
  .describe('A Regatta job spec');

export type JobSpecInput = z.input<typeof jobSpecSchema>;

export interface ResolvedResources {
  cpus: number;
  /** Bytes; 0 means "not accounted". */
  memory: number;
  gpus: number;
  /** Bytes of /dev/shm for containers; 0 means the engine's default. */
  shmSize?: number;
  /** Machines of a distributed run (only backends that place work themselves take more than 1). */
  nodes?: number;
}

export interface ResolvedSpec {
  name: string;
  command: string | string[];
  runtime: 'process' | 'docker';
  image?: string;
  build?: { context: string; dockerfile: string; args: Record<string, string> };
  /** upload:<id> copied into the working directory before the run starts. */
  files?: string;
  mounts: { source: string; target: string; readonly: boolean }[];
  /** Named datasets; `source` (the host path) is filled in by the server when the run is submitted. */
  datasets: { name: string; target: string; source?: string }[];
  workdir?: string;
  env: Record<string, string>;
  params: Record<string, unknown>;
  resources: ResolvedResources;
  timeoutMs?: number;
  retry: RetryPolicy;
  queue: string;
  /** The backend the run is bound to (`slurm`); undefined: any node this server schedules onto. */
  backend?: string;
  priority: number;
  labels: Record<string, string>;
  outputs: string[];
  kind: 'job' | 'service';
  ports: ResolvedPort[];
  health?: ResolvedHealth;
  /** Only for kind: service. */
  restart?: RestartPolicy;
  /** In start order (dependencies first). */
  services: ResolvedService[];
  finishOnResult: boolean;
  /** `artifacts.key`: the key template of its files in the artifact store. */
  artifactKey?: string;
}

/** What a run holds on its node: the main task plus its services. */
export function runFootprint(spec: ResolvedSpec): ResolvedResources {
  if (!spec.services.length) return spec.resources;
  let { cpus, memory } = spec.resources;
  for (const s of spec.services) {
    cpus += s.resources.cpus;
    memory += s.resources.memory;
  }
  return { ...spec.resources, cpus, memory };
}

/** The JSON Schema of the job spec, as users write it (for editors and `regatta schema`). */
export function jobSpecJsonSchema(): Record<string, unknown> {
  return {
    $id: 'https://regatta.dev/schema/job-spec.json',
    ...z.toJSONSchema(jobSpecSchema, { io: 'input', unrepresentable: 'any' }),
  };
}

/** Parses YAML or JSON text into a plain value, with the line of a syntax error. */
export function parseSpecText(text: string, source = 'spec'): unknown {
  return parseYamlLimited(text, source);
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out;
}

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j] ?? 0;
      row[j] = Math.min(cur + 1, (row[j - 1] ?? 0) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length] ?? 0;
}

function knownKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let s: z.ZodType | undefined = schema;
  for (const p of path) {
    if (!s) return [];
    s = childSchema(s, p);
  }
  return s ? objectKeys(s) : [];
}

function unwrap(s: z.ZodType): z.ZodType {
  let cur = s;
  for (;;) {
    if (cur instanceof z.ZodOptional || cur instanceof z.ZodNullable || cur instanceof z.ZodDefault) cur = cur.unwrap() as z.ZodType;
    else return cur;
  }
}

function childSchema(s: z.ZodType, key: PropertyKey): z.ZodType | undefined {
  const u = unwrap(s);
  if (u instanceof z.ZodObject) return (u.shape as Record<string, z.ZodType>)[String(key)];
  if (u instanceof z.ZodUnion) {
    for (const o of u.options as z.ZodType[]) {
      const c = childSchema(o, key);
      if (c) return c;
    }
  }
  if (u instanceof z.ZodRecord) return u.valueType as z.ZodType;
  if (u instanceof z.ZodArray) return u.element as z.ZodType;
  return undefined;
}

function objectKeys(s: z.ZodType): string[] {
  const u = unwrap(s);
  if (u instanceof z.ZodObject) return Object.keys(u.shape);
  if (u instanceof z.ZodUnion) return (u.options as z.ZodType[]).flatMap(objectKeys);
  return [];
}

const readable = (message: string): string => (message.endsWith('received undefined') ? 'is required' : message);

/** zod issues → field issues with JSON paths and, for unknown keys, a "did you mean" hint. */
export function zodIssues(error: z.ZodError, root?: z.ZodType, prefix = ''): FieldIssue[] {
  const out: FieldIssue[] = [];
  const join = (p: string) => (prefix && p ? `${prefix}.${p}` : prefix || p);
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      const known = root ? knownKeysAt(root, issue.path) : [];
      for (const key of issue.keys) {
        const best = known
          .map((k) => ({ k, d: levenshtein(key.toLowerCase(), k.toLowerCase()) }))
          .sort((x, y) => x.d - y.d)[0];
        const hint = best && best.d <= Math.max(2, Math.floor(key.length / 3))
          ? ` (did you mean '${best.k}'?)`
          : known.length ? ` (known fields: ${known.join(', ')})` : '';
        out.push({ path: join(formatPath([...issue.path, key])), message: `unknown field '${key}'${hint}` });
      }
    } else if (issue.code === 'invalid_union') {
      // Unions of a scalar and an object report every branch; the first branch's message reads best.
      // But a branch that got inside the value (an object whose field is wrong) says where.
      const deep = issue.errors.find((branch) => branch.some((i) => i.path.length > 0));
      if (deep) {
        for (const i of deep) out.push({ path: join(formatPath([...issue.path, ...i.path])), message: readable(i.message) });
        continue;
      }
      const inner = issue.errors[0]?.[0];
      out.push({ path: join(formatPath(issue.path)), message: readable(inner?.message ?? issue.message) });
    } else {
      out.push({ path: join(formatPath(issue.path)), message: readable(issue.message) });
    }
  }
  return out;
}

/** An uploaded directory, named by its content hash. */
export const UPLOAD_REF = /^upload:[0-9a-f]{64}$/;

const PARAM_REF = /\$\{params\.([A-Za-z_][A-Za-z0-9_]*)\}/g;

function paramText(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

export function paramEnvName(name: string): string {
  return `REGATTA_PARAM_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

function substitute(text: string, params: Record<string, unknown>, path: string, issues: FieldIssue[]): string {
  return text.replace(PARAM_REF, (whole, name: string) => {
    if (!(name in params)) {
      issues.push({ path, message: `refers to \${params.${name}} but params has no '${name}'` });
      return whole;
    }
    return paramText(params[name]);
  });
}

/** Whether a host path is one of the allowed ones or under one (docker.allowedHostPaths). */
export function underAllowedHostPath(p: string, allowed: readonly string[]): boolean {
  return allowed.some((a) => { const base = a.replace(/\/+$/, ''); return p === base || p.startsWith(`${base}/`); });
}

/** Host paths a run mounts that are not under any allowed prefix, as field issues. */
export function disallowedMounts(spec: ResolvedSpec, allowed: readonly string[], serverPrivate: readonly string[] = []): FieldIssue[] {
  const ok = (p: string) => underAllowedHostPath(p, allowed);
  const all = [
    ...spec.mounts.map((m, i) => ({ m, path: `mounts[${i}].source` })),
    ...spec.services.flatMap((s) => (s.mounts ?? []).map((m, i) => ({ m, path: `services.${s.name}.mounts[${i}].source` }))),
  ];
  const exposed = all.flatMap(({ m, path }) => serverPrivate.some((d) => pathsOverlap(m.source, d)) ? [{
    path, message: `${m.source} holds or is inside the server's data directory, which is never mounted into a job`,
  }] : []);
  // A workdir above the data directory is common (a project holding .regatta): its files' modes keep
  // the job out. Inside it, the job would start beside the server's own files.
  const workdir = spec.workdir?.replace(/\/+$/, '');
  if (workdir !== undefined && serverPrivate.some((d) => workdir === d || workdir.startsWith(`${d}/`))) {
    exposed.push({ path: 'workdir', message: `${workdir} is inside the server's data directory; a job never works there` });
  }
  if (exposed.length) return exposed;
  return all.flatMap(({ m, path }) => ok(m.source) ? [] : [{
    path,
    message: allowed.length
      ? `${m.source} is not under a host path the admin allows (${allowed.join(', ')})`
      : `${m.source}: this server allows no host paths (docker.allowedHostPaths)`,
  }]);
}

/** Whether one absolute path is the other, or inside it (either way round). */
export function pathsOverlap(a: string, b: string): boolean {
  const x = a.replace(/\/+$/, '') || '/';
  const y = b.replace(/\/+$/, '') || '/';
  const inside = (p: string, dir: string) => p === dir || dir === '/' || p.startsWith(`${dir}/`);
  return inside(x, y) || inside(y, x);
}

/** Validates an untrusted value and resolves it; throws SpecError naming every bad field. */
export function compileSpec(input: unknown): { spec: JobSpecInput; resolved: ResolvedSpec } {
  const spec = parseSpec(input);
  return { spec, resolved: resolveSpec(spec) };
}

/**
 * Specs this process has already checked against the schema (the HTTP layer checks a body before
 * the engine compiles it), so that a submission is parsed once.
 */
const checked = new WeakSet<object>();

/** The schema check of a job spec; a spec that passes is not checked again by compileSpec. */
export function checkJobSpec(input: unknown): ReturnType<typeof jobSpecSchema.safeParse> {
  const parsed = jobSpecSchema.safeParse(input);
  if (parsed.success) checked.add(parsed.data);
  return parsed;
}

/** Schema validation only: shape, types, unknown fields. */
function parseSpec(input: unknown): JobSpecInput {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new SpecError('a job spec must be an object', [{ path: '', message: 'expected an object' }]);
  }
  if (checked.has(input)) return input as JobSpecInput;
  const parsed = jobSpecSchema.safeParse(input);
  if (!parsed.success) {
    const issues = zodIssues(parsed.error, jobSpecSchema);
    throw new SpecError(`invalid job spec: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`, issues);
  }
  return parsed.data;
}

/** Checks across fields, units, defaults and param substitution, on a spec that passed the schema. */
function resolveSpec(s: JobSpecInput): ResolvedSpec {
  const issues: FieldIssue[] = [];
  for (const k of ['matrix', 'foreach', 'max_parallel', 'fail_fast'] as const) {
    if (s[k] !== undefined) issues.push({ path: k, message: 'belongs to a fan-out; submit the spec as a group' });
  }
  const params = s.params ?? {};
  const command = typeof s.command === 'string'
    ? substitute(s.command, params, 'command', issues)
    : s.command.map((a, i) => substitute(a, params, `command[${i}]`, issues));
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(params)) env[paramEnvName(k)] = paramText(v);
  for (const [k, v] of Object.entries(s.env ?? {})) {
    // Regatta sets these for every run (its id, token, API URL, outputs...): a spec's value would be lost.
    if (k.startsWith('REGATTA_')) issues.push({ path: `env.${k}`, message: 'REGATTA_* names are set by Regatta for every run; choose another name' });
    env[k] = substitute(String(v), params, `env.${k}`, issues);
  }
  const runtime = s.runtime ?? 'process';
  if (runtime === 'docker' && (s.image === undefined) === (s.build === undefined)) {
    issues.push({ path: 'image', message: 'runtime: docker needs exactly one of image or build' });
  }
  for (const f of ['image', 'build'] as const) {
    if (runtime !== 'docker' && s[f] !== undefined) issues.push({ path: f, message: 'only applies to runtime: docker' });
  }
  if (s.build && !s.build.context.startsWith('/') && !UPLOAD_REF.test(s.build.context)) {
    issues.push({ path: 'build.context', message: 'must be an absolute path on the server or upload:<id> (the CLI uploads a local directory for you)' });
  }
  (s.datasets ?? []).forEach((d, i) => {
    const target = typeof d === 'string' ? undefined : d.target;
    if (target !== undefined && (!target.startsWith('/') || target.split('/').includes('..'))) {
      issues.push({ path: `datasets[${i}].target`, message: 'must be an absolute path without ..' });
    }
  });
  const mounts = resolveMounts(s.mounts, runtime, 'mounts', issues);
  const kind = s.kind ?? 'job';
  if (s.restart !== undefined && kind !== 'service') issues.push({ path: 'restart', message: 'only applies to kind: service (jobs use retries)' });
  if (s.retries !== undefined && kind === 'service') issues.push({ path: 'retries', message: 'a kind: service run restarts per `restart`, not `retries`' });
  const sub = (text: string, path: string) => substitute(text, params, path, issues);
  const services = resolveServices(s.services, { runtime, substitute: sub }, issues);
  const ports = resolvePorts(s.ports, 'ports', issues);
  const health = s.health ? resolveHealth(s.health, 'health', issues) : undefined;
  const dockerfile = s.build?.dockerfile;
  if (dockerfile !== undefined && (dockerfile.startsWith('/') || dockerfile.split('/').includes('..'))) {
    issues.push({ path: 'build.dockerfile', message: 'must be a path inside the build context' });
  }
  if (runtime !== 'docker' && s.resources?.shm_size !== undefined) issues.push({ path: 'resources.shm_size', message: 'only applies to runtime: docker' });
  if (s.files !== undefined && s.workdir !== undefined && runtime === 'process') {
    issues.push({ path: 'files', message: 'a run that starts from files gets its own working directory: leave workdir out' });
  }
  if (s.workdir !== undefined && !s.workdir.startsWith('/')) {
    issues.push({ path: 'workdir', message: 'must be an absolute path on the node (the CLI resolves relative paths for you)' });
  }
  const outputs = s.outputs ?? [];
  outputs.forEach((o, i) => {
    if (o.startsWith('/') || o.split('/').includes('..')) {
      issues.push({ path: `outputs[${i}]`, message: 'must be relative to workdir and must not contain ..' });
    }
  });
  if (issues.length) {
    throw new SpecError(`invalid job spec: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
  }
  const retry = resolveRetry(s.retries);
  const timeoutMs = s.timeout !== undefined ? parseDuration(s.timeout) : undefined;
  const resolved: ResolvedSpec = {
    name: s.name ?? deriveRunName(s.command),
    command,
    runtime,
    ...(s.image !== undefined ? { image: s.image } : {}),
    ...(s.files !== undefined ? { files: s.files } : {}),
    ...(s.build ? { build: { context: s.build.context, dockerfile: s.build.dockerfile ?? 'Dockerfile', args: s.build.args ?? {} } } : {}),
    ...(s.workdir !== undefined ? { workdir: s.workdir } : {}),
    env,
    params,
    resources: {
      cpus: s.resources?.cpus ?? 1,
      memory: s.resources?.memory !== undefined ? parseMemory(s.resources.memory) ?? 0 : 0,
      gpus: s.resources?.gpus ?? 0,
      ...(s.resources?.shm_size !== undefined ? { shmSize: parseMemory(s.resources.shm_size) ?? 0 } : {}),
      ...(s.resources?.nodes !== undefined && s.resources.nodes > 1 ? { nodes: s.resources.nodes } : {}),
    },
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    retry,
    queue: s.queue ?? 'default',
    ...(s.backend !== undefined ? { backend: s.backend } : {}),
    priority: s.priority ?? 0,
    labels: s.labels ?? {},
    outputs,
    mounts,
    datasets: (s.datasets ?? []).map((d) => (typeof d === 'string' ? { name: d, target: `/datasets/${d}` } : { name: d.name, target: d.target ?? `/datasets/${d.name}` })),
    kind,
    ports,
    ...(health ? { health } : {}),
    ...(kind === 'service' ? { restart: resolveRestart(s.restart) } : {}),
    services,
    finishOnResult: s.finish_on_result ?? false,
    ...(s.artifacts?.key !== undefined ? { artifactKey: s.artifacts.key } : {}),
  };
  return resolved;
}

export interface GroupSubmission {
  /** The spec as submitted, fan-out fields included. */
  spec: JobSpecInput;
  /** What every item shares: the spec without its fan-out fields. */
  base: Record<string, unknown>;
  fanout: FanoutSpec;
  maxParallel?: number;
  failFast: boolean;
}

/** Whether a submitted value is a fan-out (group) rather than a single run. */
export function isFanout(input: unknown): boolean {
  return typeof input === 'object' && input !== null && ('matrix' in input || 'foreach' in input);
}

/** Validates a fan-out spec as a whole; the items are compiled one by one by `compileItems`. */
export function compileGroup(input: unknown): GroupSubmission {
  const parsed = jobSpecSchema.safeParse(input);
  if (!parsed.success) {
    const issues = zodIssues(parsed.error, jobSpecSchema);
    throw new SpecError(`invalid job spec: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`, issues);
  }
  const { matrix, foreach, max_parallel, fail_fast, ...base } = parsed.data;
  return {
    spec: parsed.data,
    base,
    fanout: { ...(matrix ? { matrix } : {}), ...(foreach ? { foreach } : {}) },
    ...(max_parallel !== undefined ? { maxParallel: max_parallel } : {}),
    failFast: fail_fast ?? false,
  };
}

export interface CompiledItem extends Item {
  spec: JobSpecInput;
  resolved: ResolvedSpec;
}

/** One spec per item: the shared spec with the item's values set in its params. */
export function compileItems(g: GroupSubmission, files: readonly string[] = [], maxItems?: number): CompiledItem[] {
  const items = expandItems(g.fanout, files, maxItems);
  const baseParams = (g.base.params ?? {}) as Record<string, unknown>;
  // Items differ only in params, whose values the group's schema checked already: the shape is
  // validated once, and each item is only resolved (a 10,000-item group is accepted in well under 2 s).
  let shape: JobSpecInput | undefined;
  return items.map((item, i) => {
    try {
      const params = { ...baseParams, ...item.params };
      shape ??= parseSpec({ ...g.base, params });
      const spec: JobSpecInput = { ...shape, params };
      return { ...item, spec, resolved: resolveSpec(spec) };
    } catch (e) {
      if (e instanceof SpecError) {
        throw new SpecError(`item ${i + 1} (${item.key}): ${e.message}`, e.issues.map((x) => ({ ...x, message: `item ${item.key}: ${x.message}` })));
      }
      throw e;
    }
  });
}

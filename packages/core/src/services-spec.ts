/**
 * The parts of a job spec that make a run more than one process: `services:` beside the main task
 * (like a compose file), long-running `kind: service` runs with a restart policy, declared ports,
 * and health checks. Schemas here, resolution into `ResolvedService`/`ResolvedHealth` here too, so
 * spec.ts stays about the job itself.
 */
import { z } from 'zod';
import type { FieldIssue } from './errors.js';
import { MAX_DURATION_MESSAGE, parseDuration, parseMemory, withinMaxDuration } from './quantity.js';

/** DNS label: a service's name is also its host name on the run's network. */
export const SERVICE_NAME_RE = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const ENV_KEY_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export const durationSchema = z
  .union([z.string(), z.number()])
  .refine((v) => { const ms = parseDuration(v); return ms !== undefined && ms > 0; }, {
    message: "expected a duration such as '90s', '30m', '2h' or a number of seconds",
  })
  .refine(withinMaxDuration, { message: MAX_DURATION_MESSAGE });
const memorySchema = z
  .union([z.string(), z.number()])
  .refine((v) => parseMemory(v) !== undefined, { message: "expected a size such as '512Mi', '4Gi' or a number of bytes" });
const port = z.number().int().min(1).max(65535);
const scalar = z.union([z.string(), z.number(), z.boolean()]);

export const portsSchema = z
  .array(z.union([
    port,
    z.strictObject({
      port,
      strip_prefix: z.boolean().optional().describe('Proxy: forward paths without /runs/<id>/proxy/<port> (default false: the app is told its base path)'),
    }),
  ]))
  .max(32)
  .describe('Ports the process listens on; reachable by other services and through the authenticated proxy');

export const healthSchema = z
  .strictObject({
    command: z.union([z.string().min(1), z.array(z.string()).min(1)]).optional().describe('Healthy when it exits 0 (run inside the service)'),
    http: z.strictObject({ port, path: z.string().startsWith('/').optional() }).optional().describe('Healthy on a 2xx/3xx answer to GET'),
    tcp: port.optional().describe('Healthy when the port accepts connections'),
    interval: durationSchema.optional().describe('Between probes (default 1s)'),
    timeout: durationSchema.optional().describe('Of one probe (default 5s)'),
    retries: z.number().int().min(1).max(100).optional().describe('Failed probes in a row that make a healthy service unhealthy (default 3)'),
    start_period: durationSchema.optional().describe('How long it may take to become healthy (default 120s)'),
  })
  .describe('Exactly one of command, http or tcp');

export const mountsSchema = z
  .array(z.strictObject({
    source: z.string().min(1).describe('Absolute host path (must be under a path the admin allows)'),
    target: z.string().min(1).describe('Absolute path inside the container'),
    readonly: z.boolean().optional().describe('Default true'),
  }))
  .describe('Host directories mounted into a docker container (read-only unless readonly: false)');

export interface ResolvedMount {
  source: string;
  target: string;
  readonly: boolean;
}

/** Host mounts (runtime: docker only), checked; `path` is where they are in the spec (`mounts`, `services.x.mounts`). */
export function resolveMounts(mounts: z.input<typeof mountsSchema> | undefined, runtime: string, path: string, issues: FieldIssue[]): ResolvedMount[] {
  (mounts ?? []).forEach((m, i) => {
    if (runtime !== 'docker') issues.push({ path: `${path}[${i}]`, message: 'only applies to runtime: docker' });
    if (!m.source.startsWith('/') || m.source.split('/').includes('..')) issues.push({ path: `${path}[${i}].source`, message: 'must be an absolute host path without ..' });
    if (!m.target.startsWith('/') || m.target.split('/').includes('..')) issues.push({ path: `${path}[${i}].target`, message: 'must be an absolute path without ..' });
  });
  return (mounts ?? []).map((m) => ({ source: m.source.replace(/\/+$/, '') || '/', target: m.target, readonly: m.readonly ?? true }));
}

const datasetRef = z.union([
  z.string().regex(NAME_RE, 'a dataset name'),
  z.strictObject({ name: z.string().regex(NAME_RE, 'a dataset name'), target: z.string().min(1).optional() }),
]);

export const serviceSchema = z
  .strictObject({
    image: z.string().min(1).max(512).optional().describe('Container image (runtime: docker)'),
    command: z.union([z.string().min(1), z.array(z.string()).min(1)]).optional()
      .describe('Required for runtime: process; overrides the image command for docker'),
    env: z.record(z.string().regex(ENV_KEY_RE, 'not a valid environment variable name'), scalar).optional(),
    ports: portsSchema.optional(),
    resources: z.strictObject({
      cpus: z.number().positive().max(4096).optional(),
      memory: memorySchema.optional(),
    }).optional(),
    datasets: z.array(datasetRef).optional().describe('Named datasets mounted read-only'),
    mounts: mountsSchema.optional(),
    health: healthSchema.optional(),
    depends_on: z.array(z.string().regex(SERVICE_NAME_RE, 'a service name')).optional()
      .describe('Services that must be healthy before this one starts'),
  })
  .describe('A service of the run: started before the main task, stopped in cleanup');

export const restartSchema = z.strictObject({
  policy: z.enum(['on-failure', 'always', 'never']).optional().describe('Default on-failure'),
  max_restarts: z.number().int().min(0).max(1000).optional().describe('Default 10'),
  backoff: durationSchema.optional().describe('Wait before the first restart, doubled each time up to 5m (default 1s)'),
});

export const servicesSchema = z
  .record(z.string().regex(SERVICE_NAME_RE, 'service names are DNS labels: lowercase letters, digits and dashes'), serviceSchema)
  .describe('Services started (in depends_on order, each healthy first) before the main task; stopped in cleanup');

export type ServiceInput = z.input<typeof serviceSchema>;
export type HealthInput = z.input<typeof healthSchema>;

export interface ResolvedHealth {
  check: { command: string | string[] } | { http: { port: number; path: string } } | { tcp: number };
  intervalMs: number;
  timeoutMs: number;
  retries: number;
  startPeriodMs: number;
}

export interface ResolvedPort {
  port: number;
  stripPrefix: boolean;
}

export interface ResolvedService {
  name: string;
  image?: string;
  command?: string | string[];
  env: Record<string, string>;
  ports: number[];
  resources: { cpus: number; memory: number };
  datasets: { name: string; target: string; source?: string }[];
  /** Host mounts (docker); absent in runs stored before services had them. */
  mounts?: ResolvedMount[];
  health?: ResolvedHealth;
  dependsOn: string[];
}

export interface RestartPolicy {
  policy: 'on-failure' | 'always' | 'never';
  maxRestarts: number;
  backoffMs: number;
}

export function resolveHealth(h: HealthInput, path: string, issues: FieldIssue[]): ResolvedHealth | undefined {
  const kinds = (['command', 'http', 'tcp'] as const).filter((k) => h[k] !== undefined);
  if (kinds.length !== 1) {
    issues.push({ path, message: 'needs exactly one of command, http or tcp' });
    return undefined;
  }
  const check = h.command !== undefined ? { command: h.command }
    : h.http !== undefined ? { http: { port: h.http.port, path: h.http.path ?? '/' } }
    : { tcp: h.tcp ?? 0 };
  const ms = (v: string | number | undefined, dflt: number) => (v !== undefined ? parseDuration(v) ?? dflt : dflt);
  return {
    check,
    intervalMs: ms(h.interval, 1000),
    timeoutMs: ms(h.timeout, 5000),
    retries: h.retries ?? 3,
    startPeriodMs: ms(h.start_period, 120_000),
  };
}

export function resolvePorts(ports: z.input<typeof portsSchema> | undefined, path: string, issues: FieldIssue[]): ResolvedPort[] {
  const out: ResolvedPort[] = [];
  (ports ?? []).forEach((p, i) => {
    const r = typeof p === 'number' ? { port: p, stripPrefix: false } : { port: p.port, stripPrefix: p.strip_prefix ?? false };
    if (out.some((o) => o.port === r.port)) issues.push({ path: `${path}[${i}]`, message: `port ${r.port} is listed twice` });
    else out.push(r);
  });
  return out;
}

/**
 * Services in an order where each comes after everything it depends on; unknown names and cycles
 * are reported as field issues.
 */
export function serviceOrder(services: Record<string, { depends_on?: string[] | undefined }>, issues: FieldIssue[]): string[] {
  const names = Object.keys(services);
  for (const [name, s] of Object.entries(services)) {
    (s.depends_on ?? []).forEach((d, i) => {
      if (d === name) issues.push({ path: `services.${name}.depends_on[${i}]`, message: 'a service cannot depend on itself' });
      else if (!(d in services)) issues.push({ path: `services.${name}.depends_on[${i}]`, message: `no service named '${d}' (services: ${names.join(', ')})` });
    });
  }
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, trail: string[]): void => {
    const st = state.get(name);
    if (st === 'done') return;
    if (st === 'visiting') {
      issues.push({ path: `services.${name}.depends_on`, message: `dependency cycle: ${[...trail, name].join(' -> ')}` });
      return;
    }
    state.set(name, 'visiting');
    for (const d of services[name]?.depends_on ?? []) if (d in services && d !== name) visit(d, [...trail, name]);
    state.set(name, 'done');
    order.push(name);
  };
  for (const n of names) visit(n, []);
  return order;
}

export interface ServicesContext {
  runtime: 'process' | 'docker';
  substitute(text: string, path: string): string;
}

/** Resolves `services:` in start order. */
export function resolveServices(
  input: Record<string, ServiceInput> | undefined, ctx: ServicesContext, issues: FieldIssue[],
): ResolvedService[] {
  if (!input) return [];
  const order = serviceOrder(input, issues);
  return order.map((name) => {
    const s = input[name] as ServiceInput;
    const path = `services.${name}`;
    if (ctx.runtime === 'docker' && s.image === undefined) issues.push({ path: `${path}.image`, message: 'a service of a docker run needs an image' });
    if (ctx.runtime === 'process') {
      if (s.command === undefined) issues.push({ path: `${path}.command`, message: 'a service of a process run needs a command' });
      if (s.image !== undefined) issues.push({ path: `${path}.image`, message: 'only applies to runtime: docker' });
    }
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(s.env ?? {})) env[k] = ctx.substitute(String(v), `${path}.env.${k}`);
    const command = s.command === undefined ? undefined
      : typeof s.command === 'string' ? ctx.substitute(s.command, `${path}.command`)
      : s.command.map((a, i) => ctx.substitute(a, `${path}.command[${i}]`));
    const health = s.health ? resolveHealth(s.health, `${path}.health`, issues) : undefined;
    const ports = resolvePorts(s.ports, `${path}.ports`, issues).map((p) => p.port);
    const mounts = resolveMounts(s.mounts, ctx.runtime, `${path}.mounts`, issues);
    (s.datasets ?? []).forEach((d, i) => {
      const target = typeof d === 'string' ? undefined : d.target;
      if (target !== undefined && (!target.startsWith('/') || target.split('/').includes('..') || target.includes(':'))) {
        issues.push({ path: `${path}.datasets[${i}].target`, message: 'must be an absolute path without .. or :' });
      }
    });
    return {
      name,
      ...(s.image !== undefined ? { image: s.image } : {}),
      ...(command !== undefined ? { command } : {}),
      env,
      ports,
      resources: {
        cpus: s.resources?.cpus ?? 0,
        memory: s.resources?.memory !== undefined ? parseMemory(s.resources.memory) ?? 0 : 0,
      },
      datasets: (s.datasets ?? []).map((d) => (typeof d === 'string' ? { name: d, target: `/datasets/${d}` } : { name: d.name, target: d.target ?? `/datasets/${d.name}` })),
      ...(mounts.length ? { mounts } : {}),
      ...(health ? { health } : {}),
      dependsOn: s.depends_on ?? [],
    };
  });
}

export function resolveRestart(r: z.input<typeof restartSchema> | undefined): RestartPolicy {
  return {
    policy: r?.policy ?? 'on-failure',
    maxRestarts: r?.max_restarts ?? 10,
    backoffMs: r?.backoff !== undefined ? parseDuration(r.backoff) ?? 1000 : 1000,
  };
}

/** Delay before restart number `n` (1-based): the backoff doubled each time, at most 5 minutes. */
export function restartDelayMs(policy: RestartPolicy, n: number): number {
  return Math.min(policy.backoffMs * 2 ** Math.max(0, n - 1), 300_000);
}

/** Env name fragment for a service: `my-db` → `MY_DB`. */
export function serviceEnvName(name: string): string {
  return name.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

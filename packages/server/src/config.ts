/**
 * Server configuration: parsed once at the composition root from flags, environment and an optional
 * YAML file (flags win, then environment, then file), with defaults filled and units compiled.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { parse as parseYaml } from 'yaml';
import { DEFAULT_MAX_FANOUT_ITEMS, RegattaError, parseDuration, parseMemory, zodIssues, type FieldIssue } from '@regatta/core';
import { compatConfigSchema, compileCompatConfig, type CompatConfig } from './compat/compat-config.js';
import { artifactStoreConfigSchema, compileArtifactStoreConfig, type ArtifactStoreConfig } from './artifact-store-config.js';

export const serverConfigSchema = z.strictObject({
  data: z.string().min(1).optional().describe('Data directory: the SQLite file, logs and artifacts'),
  host: z.string().min(1).optional().describe('Address to listen on (default 127.0.0.1)'),
  port: z.number().int().min(0).max(65535).optional().describe('Port (default 8080; 0 picks a free one)'),
  publicUrl: z.string().url().optional().describe('URL jobs use to reach the API (default http://HOST:PORT)'),
  stopGrace: z.union([z.string(), z.number()]).optional().describe('Time between SIGTERM and SIGKILL on cancel/timeout (default 10s)'),
  bodyLimit: z.union([z.string(), z.number()]).optional().describe('Largest request body accepted (default 1Mi)'),
  uploadLimit: z.union([z.string(), z.number()]).optional().describe('Largest uploaded archive, unpacked (default 512Mi)'),
  logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'silent']).optional(),
  db: z.string().min(1).refine((v) => !/^[a-z][a-z0-9+.-]*:\/\//i.test(v) || /^postgres(ql)?:\/\//i.test(v), 'a postgresql:// URL or a SQLite file path')
    .optional().describe('The store: postgresql://user@host/db, or a SQLite file (default <data>/regatta.db)'),
  metrics: z.strictObject({
    listen: z.string().regex(/^(\[[0-9a-fA-F:]+\]|[^:\s]+)?:\d{1,5}$/, 'host:port, e.g. 127.0.0.1:9464 (:9464 for every address)').optional()
      .describe('Serve /metrics and /health here without a token (on the API they need an admin token)'),
  }).optional().describe('Prometheus metrics'),
  node: z
    .strictObject({
      name: z.string().min(1).optional(),
      cpus: z.number().positive().optional(),
      memory: z.union([z.string(), z.number()]).optional(),
      gpus: z.number().int().min(0).optional(),
    })
    .optional()
    .describe('Overrides of the detected capacity of this machine'),
  docker: z
    .strictObject({
      host: z.string().min(1).optional().describe('Engine URL: unix://, tcp:// or ssh:// (default $DOCKER_HOST, else the local socket)'),
      tlsDir: z.string().optional().describe('Directory with ca.pem, cert.pem, key.pem for tcp:// with TLS'),
      network: z.string().optional().describe('Network for run containers'),
      allowedHostPaths: z.array(z.string().regex(/^\//, 'an absolute path')).optional().describe('Host directories runs may mount (and their subdirectories)'),
    })
    .optional()
    .describe('The Docker engine that runs `runtime: docker` on this machine'),
  nodes: z
    .array(z.strictObject({
      name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'use letters, digits, dot, dash or underscore'),
      docker: z.string().min(1).describe('Engine URL: unix://, tcp:// or ssh://'),
      tlsDir: z.string().optional(),
      gpus: z.number().int().min(0).optional(),
      cpus: z.number().positive().optional().describe("CPUs runs may use there (default: the engine's count)"),
      memory: z.union([z.string(), z.number()]).refine((v) => parseMemory(v) !== undefined, 'expected a size such as 16Gi').optional()
        .describe("Memory runs may use there, e.g. 16Gi (default: the engine's)"),
      datasets: z.array(z.string().min(1)).optional().describe('Named datasets that machine has (default: all)'),
    }))
    .optional()
    .describe('Docker engines of other machines, besides those added with `regatta nodes add`'),
  nodeLostAfter: z.union([z.string(), z.number()]).optional().describe('How long a node may not answer before its runs are lost (default 60s)'),
  nodeHealthInterval: z.union([z.string(), z.number()]).optional().describe('How often nodes are checked (default 5s)'),
  webDir: z.string().min(1).optional().describe('Directory of the built web UI (default: the installed @regatta/web build)'),
  queues: z.record(z.string(), z.strictObject({
    concurrency: z.number().int().min(1).optional(),
    perUser: z.number().int().min(1).optional().describe("Most active runs of one user in this queue (fair share of a shared box)"),
    backend: z.string().min(1).optional().describe('Runs of this queue go to this backend (e.g. slurm) unless their spec names one'),
  })).optional()
    .describe('Queues created at start, with their concurrency limits'),
  compat: compatConfigSchema.optional(),
  proxy: z
    .strictObject({
      domain: z.string().regex(/^(?=.{1,200}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'a DNS name such as apps.regatta.example')
        .optional().describe('Serve each service port at its own origin r-<run>-<port>.<domain> (a wildcard DNS name pointing at this server)'),
      bodyLimit: z.union([z.string(), z.number()]).optional().describe('Largest request body passed to an app (default: no limit)'),
    })
    .optional()
    .describe('The proxy to service ports'),
  artifactStore: artifactStoreConfigSchema.optional(),
  limits: z.strictObject({
    fanoutItems: z.number().int().min(1).optional().describe('Most items (runs) one fan-out request may create (default 100000)'),
  }).optional().describe('Limits on what one request may ask for'),
  jobs: z.strictObject({
    user: z.string().min(1).optional().describe("When the server runs as root: the user process jobs run as (default 'regatta-job', created if missing, else 'nobody')"),
  }).optional().describe('How process jobs are run on this machine'),
  slurm: z
    .strictObject({
      sharedDir: z.string().regex(/^\//, 'an absolute path').describe('A directory the server and every Slurm node see at the same path'),
      partition: z.string().min(1).optional().describe('Default partition (default: the cluster\'s default)'),
      account: z.string().min(1).optional(),
      qos: z.string().min(1).optional(),
      conf: z.string().min(1).optional().describe('slurm.conf for the Slurm clients (default $SLURM_CONF, else theirs)'),
      binDir: z.string().min(1).optional().describe('Directory of sbatch, squeue, sacct, scancel, sinfo (default: PATH)'),
      pollInterval: z.union([z.string(), z.number()]).optional().describe('How often all jobs are polled, with one squeue call (default 2s)'),
      batchWindow: z.union([z.string(), z.number()]).optional().describe('Group items handed over within this quiet time share one job array (default 50ms)'),
      docker: z.strictObject({ host: z.string().min(1).optional(), network: z.string().min(1).optional() }).optional()
        .describe('For runtime: docker on Slurm: the engine on the allocated node (DOCKER_HOST) and the network'),
    })
    .optional()
    .describe('A Slurm cluster as backend `slurm`: runs with `backend: slurm` (or in a queue mapped to it) become Slurm jobs'),
});
export type ServerConfigInput = z.infer<typeof serverConfigSchema>;

export interface ServerConfig {
  dataDir: string;
  /** A postgresql:// URL or the SQLite file's absolute path. */
  db: string;
  metrics: { listen?: { host: string; port: number } };
  host: string;
  port: number;
  publicUrl?: string;
  adminToken?: string;
  stopGraceMs: number;
  bodyLimit: number;
  uploadLimit: number;
  logLevel: string;
  node: { name: string; cpus?: number; memory?: number; gpus?: number };
  queues: Record<string, { concurrency?: number | undefined; perUser?: number | undefined; backend?: string | undefined }>;
  slurm?: SlurmConfig;
  docker: { host: string; tlsDir?: string; network?: string; allowedHostPaths: string[] };
  nodes: { name: string; url: string; tlsDir?: string; gpus?: number; cpus?: number; memory?: number; datasets?: string[] }[];
  nodeLostAfterMs: number;
  nodeHealthIntervalMs: number;
  /** The compatibility facades switched on (none by default). */
  compat: CompatConfig;
  artifactStore: ArtifactStoreConfig;
  /** The built web UI; undefined: the installed @regatta/web build, if any. */
  webDir?: string;
  proxy: { domain?: string; bodyLimit?: number };
  limits: { fanoutItems: number };
  /** The user process jobs run as when the server is root; undefined: the default. */
  jobs: { user?: string };
}

export interface SlurmConfig {
  sharedDir: string;
  partition?: string;
  account?: string;
  qos?: string;
  /** Environment of the Slurm clients (PATH, SLURM_CONF). */
  env: Record<string, string>;
  binDir?: string;
  pollIntervalMs: number;
  batchWindowMs: number;
  docker: { host?: string; network?: string };
}

function compileSlurm(c: NonNullable<ServerConfigInput['slurm']>, env: Record<string, string | undefined>): SlurmConfig {
  const pollIntervalMs = parseDuration(c.pollInterval ?? '2s');
  if (!pollIntervalMs) invalid([{ path: 'slurm.pollInterval', message: 'expected a duration such as 2s' }], 'slurm');
  const batchWindowMs = parseDuration(c.batchWindow ?? '50ms');
  if (batchWindowMs === undefined) invalid([{ path: 'slurm.batchWindow', message: 'expected a duration such as 50ms' }], 'slurm');
  const conf = c.conf ?? env.SLURM_CONF;
  return {
    sharedDir: c.sharedDir.replace(/\/+$/, '') || '/',
    ...(c.partition ? { partition: c.partition } : {}),
    ...(c.account ? { account: c.account } : {}),
    ...(c.qos ? { qos: c.qos } : {}),
    env: { PATH: env.PATH ?? '/usr/local/bin:/usr/bin:/bin', ...(conf ? { SLURM_CONF: conf } : {}) },
    ...(c.binDir ? { binDir: c.binDir } : {}),
    pollIntervalMs,
    batchWindowMs,
    docker: { ...(c.docker?.host ? { host: c.docker.host } : {}), ...(c.docker?.network ? { network: c.docker.network } : {}) },
  };
}

function parseListen(v: string): { host: string; port: number } {
  const i = v.lastIndexOf(':');
  const host = v.slice(0, i).replace(/^\[(.*)\]$/, '$1');
  const port = Number(v.slice(i + 1));
  if (port > 65535) invalid([{ path: 'metrics.listen', message: `port ${port} is past 65535` }], 'metrics');
  return { host: host || '0.0.0.0', port };
}

function invalid(issues: { path: string; message: string }[], source: string): never {
  throw new RegattaError('invalid_request', `invalid server configuration (${source}): ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, { issues });
}

/** Builds the configuration; `env` is passed in so nothing below reads process.env. */
export function compileServerConfig(flags: ServerConfigInput & { config?: string | undefined }, env: Record<string, string | undefined>): ServerConfig {
  let file: ServerConfigInput = {};
  if (flags.config) {
    const raw: unknown = parseYaml(readFileSync(flags.config, 'utf8'));
    const parsed = serverConfigSchema.safeParse(raw ?? {});
    if (!parsed.success) invalid(zodIssues(parsed.error, serverConfigSchema), flags.config);
    file = parsed.data;
  }
  const fromEnv: ServerConfigInput = {
    ...(env.REGATTA_DATA ? { data: env.REGATTA_DATA } : {}),
    ...(env.REGATTA_PORT ? { port: Number(env.REGATTA_PORT) } : {}),
    ...(env.REGATTA_HOST ? { host: env.REGATTA_HOST } : {}),
    ...(env.REGATTA_DB ? { db: env.REGATTA_DB } : {}),
  };
  const { config: _c, ...flagValues } = flags;
  const merged = { ...file, ...fromEnv, ...Object.fromEntries(Object.entries(flagValues).filter(([, v]) => v !== undefined)) };
  const parsed = serverConfigSchema.safeParse(merged);
  if (!parsed.success) invalid(zodIssues(parsed.error, serverConfigSchema), 'flags and environment');
  const c = parsed.data;
  const backends = ['local', 'docker-pool', ...(c.slurm ? ['slurm'] : [])];
  for (const [name, q] of Object.entries(c.queues ?? {})) {
    if (q.backend !== undefined && !backends.includes(q.backend)) {
      invalid([{ path: `queues.${name}.backend`, message: `no backend '${q.backend}' (have: ${backends.join(', ')}${c.slurm ? '' : '; configure slurm: for slurm'})` }], 'queues');
    }
  }
  const stopGraceMs = parseDuration(c.stopGrace ?? '10s');
  if (stopGraceMs === undefined) invalid([{ path: 'stopGrace', message: 'expected a duration such as 10s' }], 'stopGrace');
  const bodyLimit = parseMemory(c.bodyLimit ?? '1Mi');
  if (bodyLimit === undefined) invalid([{ path: 'bodyLimit', message: 'expected a size such as 1Mi' }], 'bodyLimit');
  const uploadLimit = parseMemory(c.uploadLimit ?? '512Mi');
  if (uploadLimit === undefined) invalid([{ path: 'uploadLimit', message: 'expected a size such as 512Mi' }], 'uploadLimit');
  const nodeLostAfterMs = parseDuration(c.nodeLostAfter ?? '60s');
  if (nodeLostAfterMs === undefined) invalid([{ path: 'nodeLostAfter', message: 'expected a duration such as 60s' }], 'nodeLostAfter');
  const nodeHealthIntervalMs = parseDuration(c.nodeHealthInterval ?? '5s');
  if (!nodeHealthIntervalMs) invalid([{ path: 'nodeHealthInterval', message: 'expected a duration such as 5s' }], 'nodeHealthInterval');
  const memory = c.node?.memory !== undefined ? parseMemory(c.node.memory) : undefined;
  if (c.node?.memory !== undefined && memory === undefined) invalid([{ path: 'node.memory', message: 'expected a size such as 16Gi' }], 'node');
  const proxyBodyLimit = c.proxy?.bodyLimit !== undefined ? parseMemory(c.proxy.bodyLimit) : undefined;
  const dockerTlsDir = c.docker?.tlsDir ?? env.DOCKER_CERT_PATH;
  if (c.proxy?.bodyLimit !== undefined && proxyBodyLimit === undefined) invalid([{ path: 'proxy.bodyLimit', message: 'expected a size such as 10Gi' }], 'proxy');
  const compatIssues: FieldIssue[] = [];
  const compat = compileCompatConfig(c.compat, compatIssues);
  if (compatIssues.length) invalid(compatIssues, 'compat');
  const storeIssues: FieldIssue[] = [];
  const artifactStore = compileArtifactStoreConfig(c.artifactStore, env, storeIssues);
  if (storeIssues.length) invalid(storeIssues, 'artifactStore');
  const dataDir = resolve(c.data ?? '.regatta');
  return {
    dataDir,
    metrics: c.metrics?.listen ? { listen: parseListen(c.metrics.listen) } : {},
    db: c.db === undefined ? join(dataDir, 'regatta.db') : /^postgres(ql)?:\/\//i.test(c.db) ? c.db : resolve(c.db),
    host: c.host ?? '127.0.0.1',
    port: c.port ?? 8080,
    ...(c.publicUrl ? { publicUrl: c.publicUrl.replace(/\/$/, '') } : {}),
    ...(env.REGATTA_TOKEN ? { adminToken: env.REGATTA_TOKEN } : {}),
    stopGraceMs,
    bodyLimit,
    uploadLimit,
    logLevel: c.logLevel ?? 'info',
    node: {
      name: c.node?.name ?? hostname(),
      ...(c.node?.cpus !== undefined ? { cpus: c.node.cpus } : {}),
      ...(memory !== undefined ? { memory } : {}),
      ...(c.node?.gpus !== undefined ? { gpus: c.node.gpus } : {}),
    },
    queues: c.queues ?? {},
    ...(c.slurm ? { slurm: compileSlurm(c.slurm, env) } : {}),
    nodes: (c.nodes ?? []).map((n) => ({ name: n.name, url: n.docker, ...(n.tlsDir ? { tlsDir: n.tlsDir } : {}), ...(n.gpus !== undefined ? { gpus: n.gpus } : {}),
      ...(n.cpus !== undefined ? { cpus: n.cpus } : {}), ...(n.memory !== undefined ? { memory: parseMemory(n.memory) ?? 0 } : {}),
      ...(n.datasets ? { datasets: n.datasets } : {}) })),
    nodeLostAfterMs,
    nodeHealthIntervalMs,
    compat,
    artifactStore,
    ...(c.webDir ? { webDir: resolve(c.webDir) } : {}),
    proxy: { ...(c.proxy?.domain ? { domain: c.proxy.domain } : {}), ...(proxyBodyLimit !== undefined ? { bodyLimit: proxyBodyLimit } : {}) },
    limits: { fanoutItems: c.limits?.fanoutItems ?? DEFAULT_MAX_FANOUT_ITEMS },
    jobs: { ...(c.jobs?.user ? { user: c.jobs.user } : {}) },
    docker: {
      host: c.docker?.host ?? env.DOCKER_HOST ?? 'unix:///var/run/docker.sock',
      ...(dockerTlsDir ? { tlsDir: dockerTlsDir } : {}),
      ...(c.docker?.network ? { network: c.docker.network } : {}),
      allowedHostPaths: c.docker?.allowedHostPaths ?? [],
    },
  };
}

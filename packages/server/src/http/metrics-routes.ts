/**
 * Operating the server: Prometheus metrics and a health check that asks the store and reports each
 * backend's nodes. `GET /metrics` and `GET /api/v1/health/checks` on the API need an admin token;
 * `metrics.listen` serves both (as /metrics and /health) on a separate address without one, for a
 * scraper on a private network.
 */
import { createServer, type Server } from 'node:http';
import { Gauge, Histogram, Registry } from 'prom-client';
import { requireAdmin, type App, type RouteContext } from './context.js';
import { healthReportSchema, textBody } from '@regatta/core/api-schema';
import { problems } from './openapi.js';

export interface HealthReport {
  status: 'ok' | 'degraded';
  store: { ok: boolean; ms: number; error?: string };
  backends: { name: string; ok: boolean; nodes: number; ready: number }[];
}

const STORE_TIMEOUT_MS = 5000;

async function checkHealth(ctx: RouteContext, backends: readonly string[]): Promise<HealthReport> {
  const started = performance.now();
  let store: HealthReport['store'];
  try {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      ctx.store.countTokens(),
      new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer in ${STORE_TIMEOUT_MS} ms`)), STORE_TIMEOUT_MS); }),
    ]).finally(() => clearTimeout(timer));
    store = { ok: true, ms: Math.round(performance.now() - started) };
  } catch (e) {
    store = { ok: false, ms: Math.round(performance.now() - started), error: e instanceof Error ? e.message : String(e) };
  }
  const nodes = ctx.engine.nodes();
  // A backend answers when one of its nodes passed its last check; one with no nodes has nothing to ask.
  const list = backends.map((name) => {
    const mine = nodes.filter((n) => n.backend === name);
    const ready = mine.filter((n) => n.ready).length;
    return { name, ok: mine.length === 0 || ready > 0, nodes: mine.length, ready };
  });
  return { status: store.ok && list.every((b) => b.ok) ? 'ok' : 'degraded', store, backends: list };
}

function createMetrics(ctx: RouteContext, now: () => number): { registry: Registry; observeRequest(method: string, route: string, code: number, seconds: number): void } {
  const registry = new Registry();
  const registers = [registry];
  new Gauge({
    name: 'regatta_runs', help: 'Runs by status and queue (all stored runs)', labelNames: ['status', 'queue'] as const, registers,
    async collect() {
      this.reset();
      for (const c of await ctx.store.runCounts()) this.set({ status: c.status, queue: c.queue }, c.count);
    },
  });
  new Gauge({
    name: 'regatta_queue_oldest_wait_seconds', help: 'How long the oldest queued run of each queue has been waiting since it was submitted', labelNames: ['queue'] as const, registers,
    async collect() {
      this.reset();
      for (const c of await ctx.store.runCounts()) if (c.status === 'queued') this.set({ queue: c.queue }, Math.max(0, (now() - c.oldestCreatedAt) / 1000));
    },
  });
  const queueGauge = (name: string, help: string, pick: (s: { queued: number; active: number; concurrency?: number }) => number | undefined) => new Gauge({
    name, help, labelNames: ['queue'] as const, registers,
    collect() {
      this.reset();
      for (const [queue, s] of ctx.engine.queueStats()) {
        const v = pick(s);
        if (v !== undefined) this.set({ queue }, v);
      }
    },
  });
  queueGauge('regatta_queue_depth', 'Runs waiting in each queue', (s) => s.queued);
  queueGauge('regatta_queue_active', 'Runs of each queue holding resources', (s) => s.active);
  queueGauge('regatta_queue_concurrency', 'Each queue\'s concurrency limit (queues with one)', (s) => s.concurrency);
  const nodeGauge = (name: string, help: string, value: (n: ReturnType<RouteContext['engine']['nodes']>[number], r: 'cpus' | 'memory_bytes' | 'gpus') => number) => new Gauge({
    name, help, labelNames: ['node', 'backend', 'resource'] as const, registers,
    collect() {
      this.reset();
      for (const n of ctx.engine.nodes()) for (const r of ['cpus', 'memory_bytes', 'gpus'] as const) this.set({ node: n.name, backend: n.backend, resource: r }, value(n, r));
    },
  });
  nodeGauge('regatta_node_capacity', 'What each node offers', (n, r) => (r === 'cpus' ? n.total.cpus : r === 'gpus' ? n.total.gpus : n.total.memory));
  nodeGauge('regatta_node_used', 'What runs hold on each node', (n, r) => (r === 'cpus' ? n.used.cpus : r === 'gpus' ? n.used.gpus.length : n.used.memory));
  new Gauge({
    name: 'regatta_node_ready', help: '1 when the node passed its last check and takes runs', labelNames: ['node', 'backend'] as const, registers,
    collect() {
      this.reset();
      for (const n of ctx.engine.nodes()) this.set({ node: n.name, backend: n.backend }, n.ready ? 1 : 0);
    },
  });
  const attempts = new Histogram({
    name: 'regatta_attempt_duration_seconds', help: 'Duration of ended attempts, by outcome', labelNames: ['outcome'] as const, registers,
    buckets: [1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 12 * 3600, 48 * 3600],
  });
  const waits = new Histogram({
    name: 'regatta_queue_wait_seconds', help: 'From submission to the first attempt\'s start, by queue', labelNames: ['queue'] as const, registers,
    buckets: [0.1, 1, 5, 30, 120, 600, 1800, 3600, 4 * 3600, 24 * 3600],
  });
  const http = new Histogram({
    name: 'regatta_http_request_duration_seconds', help: 'API latency by route template, method and status code', labelNames: ['method', 'route', 'code'] as const, registers,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
  });
  // From what the change carries: reading the run or attempt back cost two queries per run.
  ctx.engine.onChange((c, { run, endedAttempt: ended }) => {
    if (ended) {
      if (ended.startedAt !== undefined) attempts.observe({ outcome: ended.outcome }, (ended.finishedAt - ended.startedAt) / 1000);
    } else if (c.status === 'starting' && c.attempt === 1 && run.startedAt !== undefined) {
      waits.observe({ queue: run.queue }, Math.max(0, (run.startedAt - run.createdAt) / 1000));
    }
  });
  return {
    registry,
    observeRequest: (method, route, code, seconds) => http.observe({ method, route, code: String(code) }, seconds),
  };
}

/** Registers /metrics and /api/v1/health/checks; returns the separate listener when `listen` is set. */
export async function registerOperations(
  app: App, ctx: RouteContext, opts: { backends: readonly string[]; now: () => number; listen?: { host: string; port: number } },
): Promise<{ url?: string; close(): Promise<void> }> {
  const { registry, observeRequest } = createMetrics(ctx, opts.now);
  app.addHook('onResponse', async (req, reply) => {
    observeRequest(req.method, req.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
  });
  app.get('/metrics', { schema: { summary: 'Prometheus metrics (admin token)', tags: ['admin'], response: { 200: textBody('text/plain', 'Prometheus text format 0.0.4'), ...problems() } } }, async (req, reply) => {
    requireAdmin(req);
    return reply.type(registry.contentType).send(await registry.metrics());
  });
  app.get('/api/v1/health/checks', { schema: { summary: 'Whether the store answers and each backend has a ready node (503 when not)', tags: ['admin'], response: { 200: healthReportSchema, 503: healthReportSchema, ...problems() } } }, async (req, reply) => {
    requireAdmin(req);
    const h = await checkHealth(ctx, opts.backends);
    return reply.code(h.status === 'ok' ? 200 : 503).send(h);
  });
  if (!opts.listen) return { close: () => Promise.resolve() };
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (code: number, type: string, body: string) => res.writeHead(code, { 'content-type': type }).end(body);
    const fail = (e: unknown) => send(500, 'text/plain', e instanceof Error ? e.message : String(e));
    if (req.method !== 'GET') return send(405, 'text/plain', 'GET only\n');
    if (path === '/metrics') return void registry.metrics().then((m) => send(200, registry.contentType, m), fail);
    if (path === '/health') return void checkHealth(ctx, opts.backends).then((h) => send(h.status === 'ok' ? 200 : 503, 'application/json', JSON.stringify(h)), fail);
    send(404, 'text/plain', 'only /metrics and /health here\n');
  });
  const { host, port } = opts.listen;
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, () => resolve()));
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Metrics and results reported by jobs (run token) or by an admin. */
import { z } from 'zod';
import { ConflictError, NotFoundError, RegattaError } from '@regatta/core';
import { jobEventInputSchema, metricInputSchema, toPoint } from '@regatta/engine';
import { iso, requireRunAccess, type App, type RouteContext } from './context.js';
import { runIdParams } from './runs-routes.js';
import { eventsAcceptedSchema, metricPointsSchema, metricsAcceptedSchema, okSchema, resultSchema as runResultSchema } from '@regatta/core/api-schema';
import { problems } from './openapi.js';
import { positiveInt32 } from './validation.js';

const metricsBody = z.union([
  metricInputSchema,
  z.strictObject({ metrics: z.array(metricInputSchema).min(1).max(10_000) }),
]).describe('One metric, or {metrics: [...]}');

const jobEventBody = z.union([
  jobEventInputSchema,
  z.strictObject({ events: z.array(jobEventInputSchema).min(1).max(1000) }),
]).describe('One event, or {events: [...]}');

const metricsQuery = z.strictObject({
  name: z.string().optional(),
  attempt: positiveInt32.optional(),
  maxPoints: z.coerce.number().int().min(10).max(100_000).optional()
    .describe("With name: at most about this many points; a longer series gives each bucket's lowest and highest point"),
});

export function registerReportRoutes(app: App, ctx: RouteContext): void {
  /** Which attempt a report belongs to; a job may only report for its live attempt. */
  const reportingAttempt = async (req: Parameters<typeof requireRunAccess>[0], runId: string): Promise<number> => {
    requireRunAccess(req, runId);
    const p = req.principal;
    if (p?.kind === 'run') {
      if (!ctx.engine.isLiveAttempt(runId, p.attempt)) throw new ConflictError(`attempt ${p.attempt} of run ${runId} is no longer running`);
      return p.attempt;
    }
    const run = ctx.engine.live(runId) ?? (await ctx.store.getRun(runId));
    if (!run) throw new NotFoundError('run', runId);
    if (run.attempt === 0) throw new ConflictError(`run ${runId} has not started yet`);
    return run.attempt;
  };

  app.post('/api/v1/runs/:id/metrics', {
    schema: { params: runIdParams, body: metricsBody, summary: 'Report metrics (run token or admin)', tags: ['reports'], response: { 202: metricsAcceptedSchema, ...problems(400, 404, 409) } },
  }, async (req, reply) => {
    const attempt = await reportingAttempt(req, req.params.id);
    const now = Date.now();
    const list = 'metrics' in req.body ? req.body.metrics : [req.body];
    await ctx.engine.addMetrics(req.params.id, attempt, list.map((m) => toPoint(m, now)));
    return reply.code(202).send({ accepted: list.length });
  });

  // A job's own line in its run's timeline (an alert, a milestone): stored as an event that does
  // not change the status (from = to), as the engine's own notes are.
  app.post('/api/v1/runs/:id/events', {
    schema: {
      params: runIdParams, body: jobEventBody, summary: "Add a line to the run's timeline (run token or admin)", tags: ['reports'],
      response: { 201: eventsAcceptedSchema, ...problems(400, 404, 409) },
    },
  }, async (req, reply) => {
    const attempt = await reportingAttempt(req, req.params.id);
    const run = ctx.engine.live(req.params.id) ?? (await ctx.store.getRun(req.params.id));
    if (!run) throw new NotFoundError('run', req.params.id);
    const now = Date.now();
    const list = 'events' in req.body ? req.body.events : [req.body];
    // Issued together so the store's group commit writes the batch in one transaction, in order.
    await Promise.all(list.map((e) => ctx.store.addEvent(req.params.id, {
      attempt, ts: e.ts ?? now, from: run.status, to: run.status, reason: e.message, ...(e.id ? { key: e.id } : {}),
    })));
    return reply.code(201).send({ ok: true, accepted: list.length });
  });

  app.get('/api/v1/runs/:id/metrics', {
    schema: { params: runIdParams, querystring: metricsQuery, summary: 'Metric points of a run', tags: ['reports'], response: { 200: metricPointsSchema, ...problems(400, 404) } },
  }, async (req) => {
    requireRunAccess(req, req.params.id);
    if (!(await ctx.store.getRun(req.params.id))) throw new NotFoundError('run', req.params.id);
    const { name, attempt, maxPoints } = req.query;
    if (maxPoints !== undefined) {
      if (!name) throw new RegattaError('invalid_request', 'maxPoints needs a metric name', { issues: [{ path: 'query.name', message: 'required with maxPoints' }] });
      const series = await ctx.store.metricSeries(req.params.id, { name, maxPoints, ...(attempt ? { attempt } : {}) });
      return { items: series.points.map((p) => ({ ...p, ts: iso(p.ts) })), total: series.total, downsampled: series.downsampled };
    }
    const points = await ctx.store.listMetrics(req.params.id, { ...(name ? { name } : {}), ...(attempt ? { attempt } : {}) });
    return { items: points.map((p) => ({ ...p, ts: iso(p.ts) })) };
  });

  const setResult = async (req: Parameters<typeof requireRunAccess>[0] & { params: { id: string }; body: unknown }) => {
    await reportingAttempt(req, req.params.id);
    if (req.body === undefined) throw new RegattaError('invalid_request', 'the result must be a JSON body');
    await ctx.engine.setResult(req.params.id, req.body);
    return { ok: true };
  };
  const resultSchema = {
    params: runIdParams, summary: "Set the run's result JSON (run token or admin)", tags: ['reports'], response: { 200: okSchema, ...problems(400, 404, 409) },
  };
  app.put('/api/v1/runs/:id/result', { schema: resultSchema }, (req) => setResult(req));
  app.post('/api/v1/runs/:id/result', { schema: resultSchema }, (req) => setResult(req));

  app.get('/api/v1/runs/:id/result', { schema: { params: runIdParams, summary: "The run's result JSON", tags: ['reports'], response: { 200: runResultSchema, ...problems(400, 404) } } }, async (req) => {
    requireRunAccess(req, req.params.id);
    const run = await ctx.store.getRun(req.params.id);
    if (!run) throw new NotFoundError('run', req.params.id);
    return { result: run.result ?? null };
  });
}

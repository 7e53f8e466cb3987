/** Submitting, listing, reading and canceling runs. */
import { z } from 'zod';
import { ID_PATTERN, NotFoundError, RUN_STATUSES, RegattaError, isFanout, jobSpecSchema, type RunStatus } from '@regatta/core';
import { byUser, createdByOf, iso, requireAdmin, requireRunAccess, runSummary, type App, type RouteContext } from './context.js';
import { ownerRefusal } from './role-gate.js';
import { createdByFilter, userFilterQuery } from './user-filter.js';
import { parseFields, parseFilters, parseSort } from './runs-query.js';
import { problems } from './openapi.js';
import {
  bulkCancelSchema, fieldNamesSchema, runAcceptedSchema, runDetailSchema, runEventsSchema, runListSchema, submittedSchema,
} from '@regatta/core/api-schema';

export const runIdParams = z.strictObject({ id: z.string().regex(ID_PATTERN, 'not a run id (20 lower-case letters and digits)') });

const listQuery = z.strictObject({
  status: z.string().optional().describe('Comma-separated statuses'),
  queue: z.string().optional(),
  name: z.string().optional(),
  label: z.union([z.string(), z.array(z.string())]).optional().describe('key=value; repeat for several'),
  group: z.string().regex(ID_PATTERN, 'not a group id').optional(),
  template: z.string().min(1).max(200).optional().describe('Runs made from this template'),
  q: z.string().max(200).optional().describe('Text: part of the name or item, or the start of the id'),
  total: z.enum(['true', 'false']).optional().describe('Also count every run matching the filters'),
  sort: z.string().max(400).optional().describe("created (default, newest first), name, status, queue, started, finished, duration or a field (params.<path>, result.<path>, metrics.<name>.last|min|max|count); '-' first for descending"),
  filter: z.union([z.string().max(1000), z.array(z.string().max(1000)).max(20)]).optional()
    .describe('A condition on a field, e.g. params.lr>=0.01 or metrics.loss.min<0.3 (= != < <= > >= ~); repeat for several; a bare field: runs that have it'),
  fields: z.string().max(4000).optional().describe('Comma-separated fields to return with each run (in `fields`)'),
  cursor: z.string().regex(ID_PATTERN, 'not a cursor returned by this API').optional(),
  offset: z.coerce.number().int().min(0).max(10_000_000).optional().describe('With sort: runs to skip (nextOffset of the previous page)'),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  ...userFilterQuery,
});

const bulkCancelBody = z.strictObject({
  ids: z.array(z.string().regex(ID_PATTERN, 'not a run id')).min(1).max(1000).describe('Runs to cancel'),
});

function parseStatuses(text: string | undefined): RunStatus[] | undefined {
  if (!text) return undefined;
  return text.split(',').map((s) => s.trim()).filter(Boolean).map((s) => {
    if (!(RUN_STATUSES as readonly string[]).includes(s)) {
      throw new RegattaError('invalid_request', `unknown status '${s}'`, {
        issues: [{ path: 'query.status', message: `expected one of ${RUN_STATUSES.join(', ')}` }],
      });
    }
    return s as RunStatus;
  });
}

export function registerRunRoutes(app: App, ctx: RouteContext): void {
  app.post('/api/v1/runs', {
    schema: { body: jobSpecSchema, summary: 'Submit a run', tags: ['runs'], response: { 201: submittedSchema, ...problems(400, 409, 413, 422) } },
  }, async (req, reply) => {
    requireAdmin(req);
    if (isFanout(req.body)) {
      const { group } = await ctx.engine.submitGroup(req.body, createdByOf(req));
      return reply.code(201).header('location', `/api/v1/groups/${group.id}`).send({ groupId: group.id, status: group.status, name: group.name, total: group.total });
    }
    const run = await ctx.engine.submit(req.body, createdByOf(req));
    return reply.code(201).header('location', `/api/v1/runs/${run.id}`).send({ id: run.id, status: run.status, name: run.name });
  });

  app.get('/api/v1/runs', { schema: { querystring: listQuery, summary: 'List runs, newest first', tags: ['runs'], response: { 200: runListSchema, ...problems(400) } } }, async (req) => {
    requireAdmin(req);
    const q = req.query;
    const status = parseStatuses(q.status);
    const labels: Record<string, string> = {};
    for (const l of [q.label ?? []].flat()) {
      const i = l.indexOf('=');
      if (i <= 0) {
        throw new RegattaError('invalid_request', `label filter '${l}' must look like key=value`, { issues: [{ path: 'query.label', message: 'expected key=value' }] });
      }
      labels[l.slice(0, i)] = l.slice(i + 1);
    }
    const sort = parseSort(q.sort);
    const fields = parseFields(q.fields);
    if (sort && q.cursor) throw new RegattaError('invalid_request', 'a sorted list pages by offset', { issues: [{ path: 'query.cursor', message: 'use offset (nextOffset) with sort' }] });
    const filter = {
      ...(status ? { status } : {}), ...(q.queue ? { queue: q.queue } : {}), ...(q.name ? { name: q.name } : {}),
      labels, ...(q.group ? { groupId: q.group } : {}), ...(q.template ? { template: q.template } : {}), ...(q.q?.trim() ? { text: q.q.trim() } : {}),
      ...createdByFilter(req, q),
      fields: parseFilters(q.filter),
    };
    const [{ runs, nextCursor, nextOffset }, total] = await Promise.all([
      ctx.store.listRuns({ ...filter, ...(q.cursor ? { cursor: q.cursor } : {}), ...(sort ? { sort, offset: q.offset ?? 0 } : {}), limit: q.limit ?? 50 }),
      q.total === 'true' ? ctx.store.countRuns(filter) : Promise.resolve(undefined),
    ]);
    const values = await ctx.store.runFields(runs.map((r) => r.id), fields);
    const groupIds = [...new Set(runs.flatMap((r) => (r.groupId ? [r.groupId] : [])))];
    const groupNames = new Map((await Promise.all(groupIds.map((id) => ctx.store.getGroup(id)))).flatMap((g) => (g ? [[g.id, g.name] as const] : [])));
    return {
      items: runs.map((r) => ({
        ...runSummary(r),
        ...(r.groupId ? { groupName: groupNames.get(r.groupId) } : {}),
        ...(fields.length ? { fields: Object.fromEntries(fields.map((f) => [f, values.get(r.id)?.[f] ?? null])) } : {}),
      })),
      nextCursor: nextCursor ?? null,
      ...(sort ? { nextOffset: nextOffset ?? null } : {}),
      ...(total !== undefined ? { total } : {}),
    };
  });

  app.get('/api/v1/runs/fields', {
    schema: {
      querystring: z.strictObject({ group: z.string().regex(ID_PATTERN, 'not a group id').optional() }),
      summary: 'Field names runs have (params.*, result.*, metrics.*.last|min|max|count): the columns the runs list can show, sort and filter by',
      tags: ['runs'],
      response: { 200: fieldNamesSchema, ...problems(400) },
    },
  }, async (req) => {
    requireAdmin(req);
    return { items: await ctx.store.fieldNames({ ...(req.query.group ? { groupId: req.query.group } : {}), limit: 1000 }) };
  });

  app.post('/api/v1/runs/cancel', {
    schema: { body: bulkCancelBody, summary: 'Cancel several runs; each answers on its own', tags: ['runs'], response: { 200: bulkCancelSchema, ...problems(400) } },
  }, async (req) => {
    requireAdmin(req);
    const results = await Promise.all([...new Set(req.body.ids)].map(async (id) => {
      try {
        const p = req.principal;
        const refusal = p?.kind === 'user' ? ownerRefusal(p, 'run', id, (await ctx.store.getRun(id))?.createdBy, 'cancel') : undefined;
        if (refusal) throw refusal;
        const run = await ctx.engine.cancel(id, byUser(req, 'canceled'));
        return { id, ok: true as const, status: run.status };
      } catch (e) {
        if (!(e instanceof RegattaError)) throw e;
        return { id, ok: false as const, code: e.code, message: e.message };
      }
    }));
    return { items: results };
  });

  app.get('/api/v1/runs/:id', { schema: { params: runIdParams, summary: 'A run with its attempts, metrics, result and artifacts', tags: ['runs'], response: { 200: runDetailSchema, ...problems(400, 404) } } }, async (req) => {
    requireRunAccess(req, req.params.id);
    const run = await ctx.store.getRun(req.params.id);
    if (!run) throw new NotFoundError('run', req.params.id);
    const [attempts, metrics, artifacts, queuePosition] = await Promise.all([
      ctx.store.listAttempts(run.id),
      ctx.store.metricSummary(run.id),
      run.attempt > 0 ? ctx.store.listArtifacts(run.id, run.attempt) : Promise.resolve([]),
      run.status === 'queued' ? ctx.store.queuePosition(run) : Promise.resolve(undefined),
    ]);
    const last: Record<string, { value: number; step?: number; ts: string; count: number }> = {};
    for (const m of metrics) last[m.name] = { value: m.value, ...(m.step !== undefined ? { step: m.step } : {}), ts: iso(m.ts) ?? '', count: m.count };
    const live = ctx.engine.live(run.id);
    return {
      ...runSummary(run),
      queuePosition,
      ...(live?.health ? { health: live.health } : {}),
      services: run.resolved.services.map((s) => s.name),
      // Declared ports, through the authenticated proxy, while the run is active.
      proxy: run.resolved.ports.map((p) => ({
        port: p.port, path: `/runs/${run.id}/proxy/${p.port}/`, available: ctx.engine.endpoint(run.id, p.port) !== undefined,
      })),
      spec: run.spec,
      resolved: { ...run.resolved }, // a plain object type: ResolvedSpec is an interface
      result: run.result ?? null,
      metrics: last,
      attempts: attempts.map((a) => ({
        attempt: a.attempt, status: a.status, node: a.node, gpus: a.gpus, exitCode: a.exitCode, reason: a.reason, externalId: a.externalId,
        startedAt: iso(a.startedAt), finishedAt: iso(a.finishedAt),
      })),
      artifacts,
    };
  });

  app.get('/api/v1/runs/:id/events', { schema: { params: runIdParams, summary: 'Every status transition of a run', tags: ['runs'], response: { 200: runEventsSchema, ...problems(400, 404) } } }, async (req) => {
    requireRunAccess(req, req.params.id);
    const events = await ctx.store.listEvents(req.params.id);
    if (!events.length && !(await ctx.store.getRun(req.params.id))) throw new NotFoundError('run', req.params.id);
    return { items: events.map((e) => ({ id: e.id, attempt: e.attempt, ts: iso(e.ts), from: e.from ?? null, to: e.to, reason: e.reason ?? null })) };
  });

  app.post('/api/v1/runs/:id/finish', {
    schema: {
      params: runIdParams,
      body: z.strictObject({ result: z.json().optional().describe("The run's result, if it has none yet or it must be replaced") }).optional(),
      summary: 'Force an active run to finish as succeeded (through cleanup); again during cleanup, stop what is left at once',
      tags: ['runs'],
      response: { 202: runAcceptedSchema, ...problems(400, 404, 409) },
    },
  }, async (req, reply) => {
    requireAdmin(req);
    const run = await ctx.engine.finishRun(req.params.id, req.body?.result, byUser(req, 'finished'));
    return reply.code(202).send({ id: run.id, status: run.status });
  });

  app.post('/api/v1/runs/:id/cancel', { schema: { params: runIdParams, summary: 'Cancel a run (SIGTERM, then SIGKILL after the grace period)', tags: ['runs'], response: { 202: runAcceptedSchema, ...problems(400, 404, 409) } } }, async (req, reply) => {
    requireAdmin(req);
    const run = await ctx.engine.cancel(req.params.id, byUser(req, 'canceled'));
    return reply.code(202).send({ id: run.id, status: run.status });
  });
}

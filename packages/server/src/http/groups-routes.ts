/** Fan-out groups: progress from counters, their runs page by page, the results table, cancel, rerun. */
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ID_PATTERN, NotFoundError, RUN_STATUSES, RegattaError, TERMINAL_STATUSES, type GroupRecord, type RunStatus } from '@regatta/core';
import { byUser, iso, requireAdmin, runSummary, userOf, type App, type RouteContext } from './context.js';
import { createdByFilter, userFilterQuery } from './user-filter.js';
import { itemColumns } from './group-results.js';
import { groupListSchema, groupRerunSchema, groupResultsOrCsvSchema, groupRunsSchema, groupViewSchema } from '@regatta/core/api-schema';
import { problems } from './openapi.js';

const byOf = (req: FastifyRequest): { by?: string } => {
  const u = userOf(req);
  return u === undefined ? {} : { by: u };
};

const groupParams = z.strictObject({ id: z.string().regex(ID_PATTERN, 'not a group id') });

export function groupView(g: GroupRecord, now = Date.now()) {
  const c = g.counts;
  let done = 0;
  for (const s of TERMINAL_STATUSES) done += c[s];
  const rate = g.startedAt !== undefined && done > 0 ? done / Math.max(1, now - g.startedAt) : undefined;
  return {
    id: g.id,
    name: g.name,
    status: g.status,
    total: g.total,
    counts: {
      queued: c.queued,
      running: c.starting + c.building + c.running + c.cleanup,
      succeeded: c.succeeded,
      failed: c.failed + c.timed_out + c.lost,
      canceled: c.canceled,
    },
    byStatus: c,
    done,
    maxParallel: g.maxParallel ?? null,
    failFast: g.failFast,
    createdBy: g.createdBy ?? null,
    createdAt: iso(g.createdAt),
    startedAt: iso(g.startedAt),
    finishedAt: iso(g.finishedAt),
    etaSeconds: g.status === 'running' && rate ? Math.round((g.total - done) / rate / 1000) : null,
  };
}

const csvCell = (v: unknown): string => {
  const t = v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v);
  return /[",\n\r]/.test(t) ? `"${t.replace(/"/g, '""')}"` : t;
};

const resultsQuery = z.strictObject({
  format: z.enum(['json', 'csv']).optional(),
  sort: z.string().optional().describe('A column, e.g. metrics.loss or params.lr'),
  order: z.enum(['asc', 'desc']).optional(),
});

const runsQuery = z.strictObject({
  status: z.string().optional(),
  cursor: z.string().regex(ID_PATTERN, 'not a cursor returned by this API').optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});

export function registerGroupRoutes(app: App, ctx: RouteContext): void {
  const find = async (id: string) => {
    const g = await ctx.engine.getGroup(id);
    if (!g) throw new NotFoundError('group', id);
    return g;
  };

  app.get('/api/v1/groups', { schema: { querystring: runsQuery.pick({ cursor: true, limit: true }).extend(userFilterQuery), summary: 'Groups, newest first', tags: ['groups'], response: { 200: groupListSchema, ...problems(400) } } }, async (req) => {
    requireAdmin(req);
    const { groups, nextCursor } = await ctx.store.listGroups({
      ...(req.query.cursor ? { cursor: req.query.cursor } : {}), limit: req.query.limit ?? 50, ...createdByFilter(req, req.query),
    });
    const live = await Promise.all(groups.map(async (g) => (await ctx.engine.getGroup(g.id)) ?? g));
    return { items: live.map((g) => groupView(g)), nextCursor: nextCursor ?? null };
  });

  app.get('/api/v1/groups/:id', { schema: { params: groupParams, summary: 'A group: status, counts, ETA', tags: ['groups'], response: { 200: groupViewSchema, ...problems(400, 404) } } }, async (req) => {
    requireAdmin(req);
    return groupView(await find(req.params.id));
  });

  app.get('/api/v1/groups/:id/runs', { schema: { params: groupParams, querystring: runsQuery, summary: "A group's runs, page by page", tags: ['groups'], response: { 200: groupRunsSchema, ...problems(400, 404) } } }, async (req) => {
    requireAdmin(req);
    await find(req.params.id);
    const status = req.query.status?.split(',').filter(Boolean) as RunStatus[] | undefined;
    for (const s of status ?? []) {
      if (!(RUN_STATUSES as readonly string[]).includes(s)) throw new RegattaError('invalid_request', `unknown status '${s}'`, { issues: [{ path: 'query.status', message: `expected one of ${RUN_STATUSES.join(', ')}` }] });
    }
    const { runs, nextCursor } = await ctx.store.listRuns({
      groupId: req.params.id, ...(status?.length ? { status } : {}), ...(req.query.cursor ? { cursor: req.query.cursor } : {}), limit: req.query.limit ?? 100,
    });
    return { items: runs.map((r) => ({ ...runSummary(r), item: r.itemKey ?? null, params: r.resolved.params })), nextCursor: nextCursor ?? null };
  });

  app.get('/api/v1/groups/:id/results', { schema: { params: groupParams, querystring: resultsQuery, summary: 'One row per item: params, last metrics, result fields (JSON or CSV)', tags: ['groups'], response: { 200: groupResultsOrCsvSchema, ...problems(400, 404) } } }, async (req, reply) => {
    requireAdmin(req);
    const g = await find(req.params.id);
    const metrics = await ctx.store.groupMetrics(g.id);
    const rows: Record<string, unknown>[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await ctx.store.listRuns({ groupId: g.id, limit: 1000, ...(cursor ? { cursor } : {}) });
      for (const r of page.runs) {
        const row: Record<string, unknown> = { id: r.id, item: r.itemKey, status: r.status, exitCode: r.exitCode ?? null, ...itemColumns(r) };
        for (const [k, v] of Object.entries(r.resolved.params)) row[`params.${k}`] = v;
        for (const [k, v] of Object.entries(metrics.get(r.id) ?? {})) row[`metrics.${k}`] = v;
        if (r.result && typeof r.result === 'object' && !Array.isArray(r.result)) {
          for (const [k, v] of Object.entries(r.result)) row[`result.${k}`] = v;
        }
        rows.push(row);
      }
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
    rows.reverse(); // item order
    const sort = req.query.sort;
    if (sort) {
      const dir = req.query.order === 'desc' ? -1 : 1;
      rows.sort((a, b) => {
        const x = a[sort];
        const y = b[sort];
        if (x === y) return 0;
        if (x === undefined || x === null) return 1;
        if (y === undefined || y === null) return -1;
        return (typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y))) * dir;
      });
    }
    const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
    if (req.query.format === 'csv') {
      const lines = [columns.join(','), ...rows.map((r) => columns.map((c) => csvCell(r[c])).join(','))];
      return reply.type('text/csv; charset=utf-8').send(`${lines.join('\n')}\n`);
    }
    return { columns, rows };
  });

  app.post('/api/v1/groups/:id/cancel', { schema: { params: groupParams, summary: 'Cancel every item not yet ended', tags: ['groups'], response: { 202: groupViewSchema, ...problems(400, 404, 409) } } }, async (req, reply) => {
    requireAdmin(req);
    return reply.code(202).send(groupView(await ctx.engine.cancelGroup(req.params.id, byUser(req, 'canceled'))));
  });

  app.post('/api/v1/groups/:id/rerun', { schema: { params: groupParams, summary: 'Rerun the items that failed, timed out or were lost', tags: ['groups'], response: { 202: groupRerunSchema, ...problems(400, 404, 409) } } }, async (req, reply) => {
    requireAdmin(req);
    const { group, rerun } = await ctx.engine.rerunFailed(req.params.id, byOf(req));
    return reply.code(202).send({ ...groupView(group), rerun });
  });

  app.post('/api/v1/groups/:id/resume', {
    schema: { params: groupParams, summary: 'Queue again every item that did not succeed: canceled (started or not), failed, timed out, lost', tags: ['groups'],
      response: { 202: groupRerunSchema, ...problems(400, 404, 409) },
    },
  }, async (req, reply) => {
    requireAdmin(req);
    const { group, rerun } = await ctx.engine.rerunFailed(req.params.id, { resume: true, ...byOf(req) });
    return reply.code(202).send({ ...groupView(group), rerun });
  });
}

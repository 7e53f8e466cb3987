/** Plain-text logs, optionally followed until the run ends (chunked transfer). */
import { stat } from 'node:fs/promises';
import { z } from 'zod';
import type { Readable } from 'node:stream';
import { NotFoundError, RegattaError, type RunRecord } from '@regatta/core';
import { attemptPaths, attemptRef } from '@regatta/engine';
import { serviceLogPath } from '@regatta/runtimes';
import { requireRunAccess, type App, type RouteContext } from './context.js';
import { streamLog } from './log-follow.js';
import { runIdParams } from './runs-routes.js';
import { textBody } from '@regatta/core/api-schema';
import { problems } from './openapi.js';
import { positiveInt32 } from './validation.js';

const logsQuery = z.strictObject({
  attempt: positiveInt32.optional().describe('Attempt number (default: the latest)'),
  follow: z.enum(['true', 'false', '1', '0']).optional().describe('Keep streaming until the run ends'),
  offset: z.coerce.number().int().min(0).optional().describe('Byte offset to start from'),
  service: z.string().min(1).max(63).optional().describe("A service's log instead of the main task's"),
  limit: z.coerce.number().int().min(0).max(16 * 1024 * 1024).optional().describe('Most bytes to send (ignored with follow); x-regatta-log-size says the whole size'),
});

async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

/** The store's archived copy of a log the server no longer has on its disk (artifactStore.archiveLogs). */
async function archivedLog(ctx: RouteContext, run: RunRecord, attempt: number, path: string): Promise<{ body: Readable; size?: number } | undefined> {
  if (ctx.artifacts.kind === 'local' || (await stat(path).then(() => true, () => false))) return undefined;
  try {
    return await ctx.artifacts.openLog(attemptRef(run, attempt));
  } catch (e) {
    if (!(e instanceof NotFoundError)) throw e;
    return undefined;
  }
}

export function registerLogRoutes(app: App, ctx: RouteContext): void {
  app.get('/api/v1/runs/:id/logs', {
    schema: { params: runIdParams, querystring: logsQuery, summary: 'Run logs as plain text; ?follow=true streams until the run ends', tags: ['runs'],
      response: { 200: textBody('text/plain', 'The log (x-regatta-attempt, x-regatta-log-size headers)'), ...problems(400, 404) },
    },
  }, async (req, reply) => {
    requireRunAccess(req, req.params.id);
    const run = ctx.engine.live(req.params.id) ?? (await ctx.store.getRun(req.params.id));
    if (!run) throw new NotFoundError('run', req.params.id);
    const attempt = req.query.attempt ?? run.attempt;
    if (attempt > run.attempt) {
      throw new RegattaError('invalid_request', `run ${run.id} has ${run.attempt} attempt(s)`, { issues: [{ path: 'query.attempt', message: `at most ${run.attempt}` }] });
    }
    const service = req.query.service;
    if (service !== undefined && !run.resolved.services.some((s) => s.name === service)) {
      const names = run.resolved.services.map((s) => s.name);
      throw new RegattaError('invalid_request', `run ${run.id} has no service '${service}'`, {
        issues: [{ path: 'query.service', message: names.length ? `one of: ${names.join(', ')}` : 'this run has no services' }],
      });
    }
    const follow = req.query.follow === 'true' || req.query.follow === '1';
    const logPath = (n: number) => {
      const paths = attemptPaths(ctx.runsDir, run.id, n);
      return service !== undefined ? serviceLogPath(paths, service) : paths.log;
    };
    if (service === undefined && !follow && req.query.offset === undefined && req.query.limit === undefined) {
      const archived = await archivedLog(ctx, run, attempt, logPath(attempt));
      if (archived) {
        reply.type('text/plain; charset=utf-8').header('x-regatta-attempt', String(attempt)).header('x-content-type-options', 'nosniff');
        if (archived.size !== undefined) reply.header('x-regatta-log-size', String(archived.size));
        return reply.send(archived.body);
      }
    }
    const size = await fileSize(logPath(attempt));
    reply.hijack();
    reply.raw.writeHead(200, {
      'content-type': 'text/plain; charset=utf-8',
      'cache-control': 'no-store',
      'x-regatta-attempt': String(attempt),
      'x-regatta-log-size': String(size),
      'x-content-type-options': 'nosniff',
    });
    const closed = new Promise<void>((resolve) => reply.raw.once('close', () => resolve()));
    try {
      await streamLog({
        attempt,
        offset: req.query.offset ?? 0,
        follow,
        ...(req.query.limit !== undefined ? { limit: req.query.limit } : {}),
        logPath,
        state: async () => {
          const r = ctx.engine.live(run.id) ?? (await ctx.store.getRun(run.id));
          return r ? { status: r.status, attempt: r.attempt } : { status: 'lost', attempt };
        },
        out: reply.raw,
        closed,
      });
    } catch (e) {
      req.log.error({ err: e }, 'log stream failed');
    }
    reply.raw.end();
  });
}

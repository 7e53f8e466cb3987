/** Listing and downloading the files a run produced. Paths never leave the attempt's outputs. */
import { z } from 'zod';
import { NotFoundError, RegattaError, type RunRecord } from '@regatta/core';
import { checkArtifactPath } from '@regatta/artifacts';
import { attemptRef } from '@regatta/engine';
import { requireRunAccess, type App, type RouteContext } from './context.js';
import { runIdParams } from './runs-routes.js';
import { artifactListSchema, textBody } from '@regatta/core/api-schema';
import { problems } from './openapi.js';
import { positiveInt32 } from './validation.js';

const attemptQuery = z.strictObject({ attempt: positiveInt32.optional() });

export function registerArtifactRoutes(app: App, ctx: RouteContext): void {
  const runAttempt = async (id: string, attempt: number | undefined): Promise<{ run: RunRecord; n: number }> => {
    const run = ctx.engine.live(id) ?? (await ctx.store.getRun(id));
    if (!run) throw new NotFoundError('run', id);
    const n = attempt ?? run.attempt;
    if (n < 1 || n > run.attempt) throw new RegattaError('invalid_request', `run ${id} has no attempt ${n}`, { issues: [{ path: 'query.attempt', message: `between 1 and ${run.attempt}` }] });
    return { run, n };
  };
  const attemptOf = async (id: string, attempt: number | undefined) => (await runAttempt(id, attempt)).n;

  app.get('/api/v1/runs/:id/artifacts', {
    schema: {
      params: runIdParams, querystring: attemptQuery, summary: 'Artifacts of an attempt (default: the latest)', tags: ['artifacts'],
      response: { 200: artifactListSchema, ...problems(400, 404) },
    },
  }, async (req) => {
    requireRunAccess(req, req.params.id);
    const attempt = await attemptOf(req.params.id, req.query.attempt);
    return { attempt, items: await ctx.store.listArtifacts(req.params.id, attempt) };
  });

  app.get('/api/v1/runs/:id/artifacts/*', {
    schema: {
      params: runIdParams.extend({ '*': z.string().describe('Artifact path') }),
      querystring: attemptQuery,
      summary: 'Download one artifact',
      tags: ['artifacts'],
      response: { 200: textBody('application/octet-stream', 'The file'), ...problems(400, 404) },
    },
  }, async (req, reply) => {
    requireRunAccess(req, req.params.id);
    const { run, n } = await runAttempt(req.params.id, req.query.attempt);
    const path = req.params['*'];
    checkArtifactPath(path);
    // A remote store is asked only for what the attempt recorded (the local one checks the disk itself).
    if (ctx.artifacts.kind !== 'local' && !(await ctx.store.listArtifacts(run.id, n)).some((a) => a.path === path)) throw new NotFoundError('artifact', path);
    const file = await ctx.artifacts.open(attemptRef(run, n), path);
    reply.type('application/octet-stream').header('content-disposition', `attachment; filename="${encodeURIComponent(path.split('/').pop() ?? 'artifact')}"`);
    if (file.size !== undefined) reply.header('content-length', file.size);
    return reply.send(file.body);
  });
}

/** Listing and downloading the files a run produced. Paths never leave the attempt's outputs. */
import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { NotFoundError, RegattaError, type RunRecord } from '@regatta/core';
import { checkArtifactPath, resolveInside } from '@regatta/artifacts';
import { attemptPaths, attemptRef } from '@regatta/engine';
import { jobCouldRead } from '@regatta/runtimes';
import { isPrivateFile } from '../data-dir.js';
import { requireRunAccess, type App, type RouteContext } from './context.js';
import { runIdParams } from './runs-routes.js';

const attemptQuery = z.strictObject({ attempt: z.coerce.number().int().min(1).optional() });

/**
 * The job owns its outputs: a hard link it planted there to a file it could not read (or to the
 * server's own secret or database) is not served.
 */
async function refuseForeignLink(runsDir: string, runId: string, attempt: number, path: string): Promise<void> {
  const root = attemptPaths(runsDir, runId, attempt).outputs;
  const file = await resolveInside(root, path);
  const st = await stat(file);
  if (!st.isFile()) throw new NotFoundError('artifact', path);
  if ((st.nlink > 1 && !(await jobCouldRead(root, file))) || isPrivateFile(dirname(runsDir), st)) {
    throw new RegattaError('forbidden', `artifact '${path}' links to a file the job may not read`, { issues: [{ path: 'path', message: 'a link to a file outside what the job may read' }] });
  }
}

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
    schema: { params: runIdParams, querystring: attemptQuery, summary: 'Artifacts of an attempt (default: the latest)', tags: ['artifacts'] },
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
    },
  }, async (req, reply) => {
    requireRunAccess(req, req.params.id);
    const { run, n } = await runAttempt(req.params.id, req.query.attempt);
    const path = req.params['*'];
    checkArtifactPath(path);
    if (ctx.artifacts.kind === 'local') await refuseForeignLink(ctx.runsDir, run.id, n, path);
    // A remote store is asked only for what the attempt recorded (the local one checks the disk itself).
    else if (!(await ctx.store.listArtifacts(run.id, n)).some((a) => a.path === path)) throw new NotFoundError('artifact', path);
    const file = await ctx.artifacts.open(attemptRef(run, n), path);
    reply.type('application/octet-stream').header('content-disposition', `attachment; filename="${encodeURIComponent(path.split('/').pop() ?? 'artifact')}"`);
    if (file.size !== undefined) reply.header('content-length', file.size);
    return reply.send(file.body);
  });
}

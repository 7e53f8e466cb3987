/** Listing and downloading the files a run produced. Paths never leave the attempt's outputs. */
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import { z } from 'zod';
import { NotFoundError, RegattaError } from '@regatta/core';
import { attemptPaths } from '@regatta/engine';
import { jobCouldRead } from '@regatta/runtimes';
import { isPrivateFile } from '../data-dir.js';
import { requireRunAccess, type App, type RouteContext } from './context.js';
import { runIdParams } from './runs-routes.js';

const attemptQuery = z.strictObject({ attempt: z.coerce.number().int().min(1).optional() });

function badPath(path: string, why: string): RegattaError {
  return new RegattaError('invalid_request', `artifact path '${path}' ${why}`, { issues: [{ path: 'path', message: why }] });
}

/** Resolves an artifact path inside `root`, refusing traversal and symlinks that lead outside. */
export async function resolveInside(root: string, path: string): Promise<string> {
  if (!path || path.includes('\0')) throw badPath(path, 'is empty or contains a NUL byte');
  if (path.startsWith('/') || path.split(/[\\/]/).includes('..')) throw badPath(path, 'must be relative and must not contain ..');
  const full = resolve(root, path);
  if (!full.startsWith(root + sep)) throw badPath(path, 'escapes the artifacts directory');
  let real: string;
  let realRoot: string;
  try {
    [real, realRoot] = await Promise.all([realpath(full), realpath(root)]);
  } catch {
    throw new NotFoundError('artifact', path);
  }
  if (!real.startsWith(realRoot + sep)) throw badPath(path, 'escapes the artifacts directory');
  return real;
}

export function registerArtifactRoutes(app: App, ctx: RouteContext): void {
  const attemptOf = async (id: string, attempt: number | undefined) => {
    const run = ctx.engine.live(id) ?? (await ctx.store.getRun(id));
    if (!run) throw new NotFoundError('run', id);
    const n = attempt ?? run.attempt;
    if (n < 1 || n > run.attempt) throw new RegattaError('invalid_request', `run ${id} has no attempt ${n}`, { issues: [{ path: 'query.attempt', message: `between 1 and ${run.attempt}` }] });
    return n;
  };

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
    const attempt = await attemptOf(req.params.id, req.query.attempt);
    const root = attemptPaths(ctx.runsDir, req.params.id, attempt).outputs;
    const file = await resolveInside(root, req.params['*']);
    const st = await stat(file);
    if (!st.isFile()) throw new NotFoundError('artifact', req.params['*']);
    // The job owns its outputs: a hard link it planted there to a file it could not read (or to
    // the server's own secret or database) is not served.
    if ((st.nlink > 1 && !(await jobCouldRead(root, file))) || isPrivateFile(dirname(ctx.runsDir), st)) {
      throw new RegattaError('forbidden', `artifact '${req.params['*']}' links to a file the job may not read`, { issues: [{ path: 'path', message: 'a link to a file outside what the job may read' }] });
    }
    return reply
      .type('application/octet-stream')
      .header('content-length', st.size)
      .header('content-disposition', `attachment; filename="${encodeURIComponent(file.split(sep).pop() ?? 'artifact')}"`)
      .send(createReadStream(file));
  });
}

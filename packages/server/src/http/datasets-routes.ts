/** Named datasets: a directory on the server, or an uploaded one, that runs mount read-only by name. */
import { stat } from 'node:fs/promises';
import { z } from 'zod';
import { NotFoundError, RegattaError, pathsOverlap } from '@regatta/core';
import { createdByOf, requireAdmin, type App, type RouteContext } from './context.js';
import { ownerRefusal } from './role-gate.js';
import { datasetListSchema, datasetSchema, noContent } from '@regatta/core/api-schema';
import { problems } from './openapi.js';

const nameParams = z.strictObject({ name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'dataset names use letters, digits, dot, dash or underscore') });
const body = z.union([
  z.strictObject({ path: z.string().regex(/^\//, 'an absolute path on the server').describe('A directory on the server') }),
  z.strictObject({ upload: z.string().regex(/^upload:[0-9a-f]{64}$/, 'expected upload:<id> from POST /api/v1/uploads') }),
]);

export function registerDatasetRoutes(app: App, ctx: RouteContext, filesDir: (ref: string) => string, dirs: { dataDir: string; uploadsDir: string }): void {
  app.put('/api/v1/datasets/:name', { schema: { params: nameParams, body, summary: 'Register a dataset: a server directory or an upload', tags: ['datasets'], response: { 201: datasetSchema, ...problems(400) } } }, async (req, reply) => {
    requireAdmin(req);
    if ('path' in req.body && req.principal?.kind === 'user' && req.principal.role !== 'admin') {
      throw new RegattaError('forbidden', 'registering a server directory needs the admin role; members register uploads', { issues: [{ path: 'path', message: 'admins only' }] });
    }
    const path = 'path' in req.body ? req.body.path.replace(/\/+$/, '') || '/' : filesDir(req.body.upload);
    const st = await stat(path).catch(() => undefined);
    if (!st?.isDirectory()) {
      throw new RegattaError('invalid_request', `${'path' in req.body ? path : req.body.upload} is not a directory on the server`, {
        issues: [{ path: 'path' in req.body ? 'path' : 'upload', message: 'not a directory on the server' }],
      });
    }
    // Datasets are mounted into jobs: the data directory (its secret, database, other runs) never is, except uploads.
    if ('path' in req.body && pathsOverlap(path, dirs.dataDir) && !path.startsWith(`${dirs.uploadsDir}/`)) {
      throw new RegattaError('invalid_request', `${path} holds or is inside the server's data directory (${dirs.dataDir})`, {
        issues: [{ path: 'path', message: "a directory outside the server's data directory" }],
      });
    }
    const existing = (await ctx.store.listDatasets()).find((d) => d.name === req.params.name);
    const refusal = existing && req.principal?.kind === 'user' ? ownerRefusal(req.principal, 'dataset', existing.name, existing.createdBy, 'replace') : undefined;
    if (refusal) throw refusal;
    await ctx.store.putDataset({ name: req.params.name, path, createdAt: Date.now(), ...createdByOf(req) });
    return reply.code(201).send({ name: req.params.name, path });
  });

  app.get('/api/v1/datasets', { schema: { summary: 'Registered datasets', tags: ['datasets'], response: { 200: datasetListSchema, ...problems() } } }, async (req) => {
    requireAdmin(req);
    return { items: (await ctx.store.listDatasets()).map((d) => ({ name: d.name, path: d.path, createdAt: new Date(d.createdAt).toISOString(), createdBy: d.createdBy ?? null })) };
  });

  app.delete('/api/v1/datasets/:name', { schema: { params: nameParams, summary: 'Forget a dataset (its files stay)', tags: ['datasets'], response: { 204: noContent, ...problems(400, 404) } } }, async (req, reply) => {
    requireAdmin(req);
    if (!(await ctx.store.removeDataset(req.params.name))) throw new NotFoundError('dataset', req.params.name);
    return reply.code(204).send();
  });
}

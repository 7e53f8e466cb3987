/** Health, queues, nodes and the published schemas. */
import { z } from 'zod';
import { ConflictError, NotFoundError, RegattaError, jobSpecJsonSchema } from '@regatta/core';
import { requireAdmin, type App, type RouteContext } from './context.js';
import { healthSchema, noContent, nodeAddedSchema, nodeListSchema, queueListSchema, queueViewSchema } from '@regatta/core/api-schema';
import { problems, publicProblems } from './openapi.js';

const jsonSchemaDocument = z.record(z.string(), z.unknown()).describe('A JSON Schema (draft 2020-12)');

const queueParams = z.strictObject({ name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'not a valid queue name') });
const queueBody = z.strictObject({
  concurrency: z.number().int().min(1).max(1_000_000).nullable().describe('Most runs of this queue active at once; null for no limit'),
});

const nodeName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'use 1-63 letters, digits, dot, dash or underscore');
const nodeBody = z.strictObject({
  name: nodeName,
  docker: z.string().regex(/^(unix|tcp|ssh|https?):\/\//, 'a Docker engine URL: unix://, tcp:// or ssh://').describe('Engine URL'),
  tlsDir: z.string().min(1).optional().describe('Directory with ca.pem, cert.pem, key.pem on the server (tcp:// with TLS)'),
  gpus: z.number().int().min(0).max(64).optional().describe('GPUs of that machine (indices 0..N-1)'),
});

export function registerAdminRoutes(app: App, ctx: RouteContext, version: string): void {
  app.get('/api/v1/health', { schema: { summary: 'Liveness; needs no token', tags: ['admin'], response: { 200: healthSchema, ...publicProblems() } } }, () => ({ status: 'ok', version }));

  app.get('/api/v1/schema/job-spec', { schema: { summary: 'The JSON Schema of job specs', tags: ['admin'], response: { 200: jsonSchemaDocument, ...publicProblems() } } }, () => jobSpecJsonSchema());

  app.get('/api/v1/queues', { schema: { summary: 'Queues with their limits, queued and active counts, and the backend a queue is mapped to (null: this server\'s nodes)', tags: ['admin'], response: { 200: queueListSchema, ...problems() } } }, (req) => {
    requireAdmin(req);
    return {
      items: [...ctx.engine.queueStats()].map(([name, s]) => ({
        name, concurrency: s.concurrency ?? null, queued: s.queued, active: s.active, backend: s.backend ?? null,
        ...(s.perUser !== undefined ? { perUser: s.perUser, activeByUser: s.activeByUser ?? {} } : {}),
      })),
    };
  });

  app.put('/api/v1/queues/:name', { schema: { params: queueParams, body: queueBody, summary: 'Create a queue or set its concurrency', tags: ['admin'], response: { 200: queueViewSchema, ...problems(400) } } }, async (req) => {
    requireAdmin(req);
    await ctx.engine.setQueue(req.params.name, req.body.concurrency ?? undefined);
    const s = ctx.engine.queueStats().get(req.params.name);
    return { name: req.params.name, concurrency: s?.concurrency ?? null, queued: s?.queued ?? 0, active: s?.active ?? 0 };
  });

  app.post('/api/v1/nodes', { schema: { body: nodeBody, summary: 'Register a Docker engine as a node', tags: ['admin'], response: { 201: nodeAddedSchema, ...problems(400, 409) } } }, async (req, reply) => {
    requireAdmin(req);
    const b = req.body;
    if (b.name === ctx.localNode || ctx.engine.nodes().some((n) => n.name === b.name)) throw new ConflictError(`node '${b.name}' already exists`);
    const config = { name: b.name, url: b.docker, ...(b.tlsDir ? { tlsDir: b.tlsDir } : {}), ...(b.gpus !== undefined ? { gpus: b.gpus } : {}) };
    let info;
    try {
      info = await ctx.pool.addNode(config, { mustAnswer: true });
    } catch (e) {
      throw new RegattaError('invalid_request', (e as Error).message, { issues: [{ path: 'docker', message: 'the engine does not answer' }] });
    }
    await ctx.store.addNode({ name: b.name, kind: 'docker', url: b.docker, ...(b.tlsDir ? { tlsDir: b.tlsDir } : {}), gpus: b.gpus ?? 0, createdAt: Date.now() });
    return reply.code(201).send({ name: info.name, backend: info.backend, ready: info.ready, capacity: { ...info.total, gpuIndices: info.gpuIndices } });
  });

  app.delete('/api/v1/nodes/:name', { schema: { params: z.strictObject({ name: nodeName }), summary: 'Remove a registered node', tags: ['admin'], response: { 204: noContent, ...problems(400, 404, 409) } } }, async (req, reply) => {
    requireAdmin(req);
    const node = ctx.engine.nodes().find((n) => n.name === req.params.name);
    if (!node || node.backend !== 'docker-pool') throw new NotFoundError('registered node', req.params.name);
    if (node.runs.length) throw new ConflictError(`node '${node.name}' has ${node.runs.length} active run(s); cancel them or wait`);
    ctx.pool.removeNode(node.name);
    await ctx.store.removeNode(node.name);
    return reply.code(204).send();
  });

  app.get('/api/v1/nodes', { schema: { summary: 'Nodes with capacity, usage and the runs holding it', tags: ['admin'], response: { 200: nodeListSchema, ...problems() } } }, (req) => {
    requireAdmin(req);
    return {
      items: ctx.engine.nodes().map((n) => ({
        name: n.name, backend: n.backend, ready: n.ready, capacity: { ...n.total, gpuIndices: n.gpuIndices }, used: n.used, runs: n.runs,
        ...(n.lastError ? { lastError: n.lastError } : {}),
      })),
    };
  });
}

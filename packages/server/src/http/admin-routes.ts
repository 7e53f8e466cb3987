/** Health, queues, nodes and the published schemas. */
import { z } from 'zod';
import { jobSpecJsonSchema } from '@regatta/core';
import { requireAdmin, type App, type RouteContext } from './context.js';

const queueParams = z.strictObject({ name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'not a valid queue name') });
const queueBody = z.strictObject({
  concurrency: z.number().int().min(1).nullable().describe('Most runs of this queue active at once; null for no limit'),
});

export function registerAdminRoutes(app: App, ctx: RouteContext, version: string): void {
  app.get('/api/v1/health', { schema: { summary: 'Liveness; needs no token', tags: ['admin'] } }, () => ({ status: 'ok', version }));

  app.get('/api/v1/schema/job-spec', { schema: { summary: 'The JSON Schema of job specs', tags: ['admin'] } }, () => jobSpecJsonSchema());

  app.get('/api/v1/queues', { schema: { summary: 'Queues with their limits, queued and active counts', tags: ['admin'] } }, (req) => {
    requireAdmin(req);
    return { items: [...ctx.engine.queueStats()].map(([name, s]) => ({ name, concurrency: s.concurrency ?? null, queued: s.queued, active: s.active })) };
  });

  app.put('/api/v1/queues/:name', { schema: { params: queueParams, body: queueBody, summary: 'Create a queue or set its concurrency', tags: ['admin'] } }, async (req) => {
    requireAdmin(req);
    await ctx.engine.setQueue(req.params.name, req.body.concurrency ?? undefined);
    const s = ctx.engine.queueStats().get(req.params.name);
    return { name: req.params.name, concurrency: s?.concurrency ?? null, queued: s?.queued ?? 0, active: s?.active ?? 0 };
  });

  app.get('/api/v1/nodes', { schema: { summary: 'Nodes with capacity, usage and the runs holding it', tags: ['admin'] } }, (req) => {
    requireAdmin(req);
    return {
      items: ctx.engine.nodes().map((n) => ({
        name: n.name, backend: n.backend, ready: n.ready, capacity: { ...n.total, gpuIndices: n.gpuIndices }, used: n.used, runs: n.runs,
      })),
    };
  });
}

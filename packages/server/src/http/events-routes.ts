/** Live status changes as Server-Sent Events, for pages and tools that watch runs without polling. */
import { z } from 'zod';
import { ID_PATTERN } from '@regatta/core';
import type { RunChange } from '@regatta/engine';
import { requireAdmin, type App, type RouteContext } from './context.js';
import { textBody } from '@regatta/core/api-schema';
import { problems } from './openapi.js';

const query = z.strictObject({
  run: z.string().regex(ID_PATTERN, 'not a run id').optional(),
  group: z.string().regex(ID_PATTERN, 'not a group id').optional(),
});

export function registerEventRoutes(app: App, ctx: RouteContext, heartbeatMs = 15_000): void {
  app.get('/api/v1/events', {
    schema: { querystring: query, summary: 'Status changes of runs as text/event-stream (event: run), optionally of one run or group', tags: ['runs'],
      response: { 200: textBody('text/event-stream', 'event: run, data: a RunChange (#/components/schemas/RunChange) as JSON; comments keep the stream open'), ...problems(400) },
    },
  }, (req, reply) => {
    requireAdmin(req);
    const { run, group } = req.query;
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive' });
    res.write(': regatta\n\n');
    const send = (c: RunChange) => {
      if ((run && c.runId !== run) || (group && c.groupId !== group)) return;
      res.write(`event: run\ndata: ${JSON.stringify(c)}\n\n`);
    };
    const off = ctx.engine.onChange(send);
    // A comment now and then keeps proxies from closing an idle stream.
    const beat = setInterval(() => res.write(': keep-alive\n\n'), heartbeatMs);
    beat.unref();
    res.once('close', () => {
      clearInterval(beat);
      off();
    });
  });
}

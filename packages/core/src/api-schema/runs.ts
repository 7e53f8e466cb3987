/** Runs as the API answers them: summaries, the detail page, the timeline, submissions. */
import { z } from 'zod';
import { GROUP_STATUSES, RUN_STATUSES } from '../run.js';
import { artifactSchema, isoTime } from './common.js';

export const runStatusSchema = z.enum(RUN_STATUSES).meta({ id: 'RunStatus' });
export const groupStatusSchema = z.enum(GROUP_STATUSES);
const templateRef = z.object({ name: z.string(), version: z.int() });
export const createdBy = z.string().nullable();

export const runSummarySchema = z.object({
  id: z.string(),
  name: z.string(),
  status: runStatusSchema,
  queue: z.string(),
  priority: z.number(),
  labels: z.record(z.string(), z.string()),
  attempt: z.int().describe('The current (or last) attempt; 0 before the first start'),
  groupId: z.string().optional().describe('The fan-out group this run is an item of'),
  item: z.string().optional().describe("The item's key in its group"),
  template: templateRef.optional().describe('The template version it was made from'),
  createdBy: createdBy.describe('The user who submitted it (null: from before users, or a facade caller)'),
  node: z.string().optional(),
  gpus: z.array(z.int()).optional(),
  exitCode: z.int().optional(),
  reason: z.string().optional(),
  createdAt: isoTime,
  updatedAt: isoTime,
  startedAt: isoTime.optional(),
  finishedAt: isoTime.optional(),
}).meta({ id: 'RunSummary' });

export const runListItemSchema = runSummarySchema.extend({
  groupName: z.string().optional().describe("The name of the run's group"),
  fields: z.record(z.string(), z.union([z.number(), z.string(), z.null()])).optional()
    .describe('The fields asked for with `fields`; null where the run has none'),
});

export const runListSchema = z.object({
  items: z.array(runListItemSchema),
  nextCursor: z.string().nullable(),
  nextOffset: z.int().nullable().optional().describe('With sort: the offset of the next page'),
  total: z.int().optional().describe('With total=true: every run matching the filters'),
});

const metricLast = z.object({ value: z.number(), step: z.number().optional(), ts: isoTime, count: z.int() });

export const attemptViewSchema = z.object({
  attempt: z.int(),
  status: runStatusSchema,
  node: z.string().optional(),
  gpus: z.array(z.int()).optional(),
  exitCode: z.int().optional(),
  reason: z.string().optional(),
  externalId: z.string().optional().describe("The backend's id of the attempt: a Slurm job id, a container id..."),
  startedAt: isoTime.optional(),
  finishedAt: isoTime.optional(),
});

export const runDetailSchema = runSummarySchema.extend({
  queuePosition: z.int().optional().describe('While queued: how many queued runs of its queue go before it'),
  health: z.enum(['healthy', 'unhealthy']).optional().describe('Health of an active run with a health check'),
  services: z.array(z.string()).describe("Names of the run's services, in start order"),
  proxy: z.array(z.object({ port: z.int(), path: z.string(), available: z.boolean() }))
    .describe('Declared ports and their path through the authenticated proxy (available while the run is active)'),
  spec: z.record(z.string(), z.unknown()).describe('The spec as submitted'),
  resolved: z.record(z.string(), z.unknown()).describe('The spec with defaults filled in'),
  result: z.unknown().describe("The run's result JSON; null when it has none"),
  metrics: z.record(z.string(), metricLast).describe('The last point of each metric'),
  attempts: z.array(attemptViewSchema),
  artifacts: z.array(artifactSchema).describe('Artifacts of the latest attempt'),
}).meta({ id: 'RunDetail' });

export const runEventViewSchema = z.object({
  id: z.int(),
  attempt: z.int(),
  ts: isoTime,
  from: runStatusSchema.nullable(),
  to: runStatusSchema,
  reason: z.string().nullable(),
});
export const runEventsSchema = z.object({ items: z.array(runEventViewSchema) });

/** One status change as GET /api/v1/events sends it (`event: run`). */
export const runChangeSchema = z.object({
  runId: z.string(),
  status: runStatusSchema,
  attempt: z.int(),
  groupId: z.string().optional(),
  reason: z.string().optional(),
}).meta({ id: 'RunChange' });

export const runSubmittedSchema = z.object({ id: z.string(), status: runStatusSchema, name: z.string(), template: templateRef.optional() });
export const groupSubmittedSchema = z.object({
  groupId: z.string(), status: groupStatusSchema, name: z.string(), total: z.int(), template: templateRef.optional(),
});
export const submittedSchema = z.union([runSubmittedSchema, groupSubmittedSchema]);

/** The answer to cancel and finish: the run's status after the request. */
export const runAcceptedSchema = z.object({ id: z.string(), status: runStatusSchema });

export const bulkCancelSchema = z.object({
  items: z.array(z.union([
    z.object({ id: z.string(), ok: z.literal(true), status: runStatusSchema }),
    z.object({ id: z.string(), ok: z.literal(false), code: z.string(), message: z.string() }),
  ])),
});

export const fieldNamesSchema = z.object({ items: z.array(z.string()) });

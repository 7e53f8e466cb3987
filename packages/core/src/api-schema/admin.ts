/** Operating the server: health, queues, nodes, datasets, sessions, uploads, reports. */
import { z } from 'zod';
import { ROLES } from '../users.js';
import { artifactSchema, isoTime } from './common.js';

export const healthSchema = z.object({ status: z.string().describe('ok'), version: z.string() });

export const healthReportSchema = z.object({
  status: z.enum(['ok', 'degraded']),
  store: z.object({ ok: z.boolean(), ms: z.number(), error: z.string().optional() }),
  backends: z.array(z.object({ name: z.string(), ok: z.boolean(), nodes: z.int(), ready: z.int() })),
});

export const queueViewSchema = z.object({
  name: z.string(),
  concurrency: z.int().nullable().describe('Most runs active at once; null for no limit'),
  queued: z.int(),
  active: z.int(),
  backend: z.string().nullable().optional().describe("The backend the queue is mapped to; null: this server's nodes"),
  perUser: z.int().optional().describe('Most active runs of one user (queues.<name>.perUser)'),
  activeByUser: z.record(z.string(), z.int()).optional().describe("With perUser: each user's active runs"),
});
export const queueListSchema = z.object({ items: z.array(queueViewSchema) });

const capacity = z.object({ cpus: z.number(), memory: z.number().describe('Bytes'), gpus: z.int(), gpuIndices: z.array(z.int()) });
export const nodeViewSchema = z.object({
  name: z.string(),
  backend: z.string(),
  ready: z.boolean(),
  capacity,
  used: z.object({ cpus: z.number(), memory: z.number(), gpus: z.array(z.int()) }),
  runs: z.array(z.string()),
  lastError: z.object({ at: z.number().describe('Epoch ms'), message: z.string() }).optional()
    .describe('The last failure to reach a pool engine, kept after it answers again'),
});
export const nodeListSchema = z.object({ items: z.array(nodeViewSchema) });
export const nodeAddedSchema = z.object({ name: z.string(), backend: z.string(), ready: z.boolean(), capacity });

export const datasetSchema = z.object({ name: z.string(), path: z.string() });
export const datasetListSchema = z.object({ items: z.array(datasetSchema.extend({ createdAt: isoTime, createdBy: z.string().nullable() })) });

export const sessionListSchema = z.object({
  items: z.array(z.object({ id: z.string(), tokenId: z.string(), createdAt: isoTime, expiresAt: isoTime, current: z.boolean() })),
});
export const whoAmISchema = z.object({
  kind: z.string().describe('user'), user: z.string().nullable(), role: z.enum(ROLES).nullable(), tokenId: z.string().nullable(), sessionId: z.string().nullable(),
});

export const uploadSchema = z.object({
  id: z.string(), ref: z.string().describe('upload:<id>, for build.context, files or a dataset'), files: z.int(), bytes: z.int(),
});

export const metricPointSchema = z.object({
  name: z.string(), value: z.number(), step: z.number().optional(), ts: isoTime, attempt: z.int(),
  key: z.string().optional().describe("The reporter's own id of the point"),
});
export const metricPointsSchema = z.object({
  items: z.array(metricPointSchema),
  total: z.int().optional().describe('With maxPoints: points stored for the metric'),
  downsampled: z.boolean().optional().describe('With maxPoints: whether the series was thinned'),
});
export const metricsAcceptedSchema = z.object({ accepted: z.int() });
export const eventsAcceptedSchema = z.object({ ok: z.literal(true), accepted: z.int() });
export const resultSchema = z.object({ result: z.unknown().describe('The result JSON; null when the run has none') });
export const okSchema = z.object({ ok: z.boolean() });
export const artifactListSchema = z.object({ attempt: z.int(), items: z.array(artifactSchema) });

/** Fan-out groups and templates as the API answers them. */
import { z } from 'zod';
import { RUN_STATUSES } from '../run.js';
import { isoTime, textBody } from './common.js';
import { createdBy, groupStatusSchema, runSummarySchema } from './runs.js';

const byStatus = z.record(z.enum(RUN_STATUSES), z.int());

export const groupViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  status: groupStatusSchema,
  total: z.int(),
  counts: z.object({ queued: z.int(), running: z.int(), succeeded: z.int(), failed: z.int(), canceled: z.int() })
    .describe('Items by coarse state (running: starting to cleanup; failed: failed, timed out or lost)'),
  byStatus: byStatus.describe('Items by run status'),
  done: z.int(),
  maxParallel: z.int().nullable(),
  failFast: z.boolean(),
  createdBy: createdBy.describe('The user who submitted it'),
  createdAt: isoTime,
  startedAt: isoTime.optional(),
  finishedAt: isoTime.optional(),
  etaSeconds: z.number().nullable(),
}).meta({ id: 'GroupView' });

export const groupListSchema = z.object({ items: z.array(groupViewSchema), nextCursor: z.string().nullable() });
export const groupRerunSchema = groupViewSchema.extend({ rerun: z.int().describe('Items queued again') });

export const groupRunSchema = runSummarySchema.extend({
  item: z.string().nullable(),
  params: z.record(z.string(), z.unknown()).describe("The item's params"),
});
export const groupRunsSchema = z.object({ items: z.array(groupRunSchema), nextCursor: z.string().nullable() });

export const groupResultsSchema = z.object({
  columns: z.array(z.string()),
  rows: z.array(z.record(z.string(), z.unknown())).describe('One row per item: id, item, status, params.*, metrics.*, result.*'),
});
/** The results table as JSON, or with format=csv as CSV. */
export const groupResultsOrCsvSchema = z.union([groupResultsSchema, textBody('text/csv', 'With format=csv: a header line, then one line per item')]);

export const templateViewSchema = z.object({
  name: z.string(),
  version: z.int(),
  spec: z.record(z.string(), z.unknown()),
  files: z.string().nullable().describe('upload:<id> of the attached files'),
  createdAt: isoTime,
  createdBy: createdBy.describe('The user who pushed this version'),
}).meta({ id: 'TemplateVersion' });

export const templateDetailSchema = templateViewSchema.extend({
  versions: z.array(z.object({ version: z.int(), createdAt: isoTime, createdBy, files: z.string().nullable() })),
});
export const templateListSchema = z.object({ items: z.array(templateViewSchema) });
export const templateFilesSchema = z.object({ version: z.int(), items: z.array(z.object({ path: z.string(), size: z.int() })) });

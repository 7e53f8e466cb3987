/** The TypeScript types of the API's answers, derived from the schemas the server declares them with. */
import type { z } from 'zod';
import type { problemSchema } from './common.js';
import type {
  bulkCancelSchema, groupSubmittedSchema, runAcceptedSchema, runChangeSchema, runDetailSchema, runEventsSchema, runEventViewSchema,
  runListItemSchema, runListSchema, runStatusSchema, runSubmittedSchema, submittedSchema,
} from './runs.js';
import type {
  groupListSchema, groupRerunSchema, groupResultsSchema, groupRunsSchema, groupViewSchema, templateDetailSchema, templateFilesSchema,
  templateListSchema, templateViewSchema,
} from './groups.js';
import type {
  artifactListSchema, datasetListSchema, datasetSchema, healthReportSchema, healthSchema, metricPointsSchema, metricsAcceptedSchema,
  nodeAddedSchema, nodeListSchema, nodeViewSchema, okSchema, queueListSchema, queueViewSchema, uploadSchema, whoAmISchema,
} from './admin.js';
import type { createdTokenSchema, roleSchema, tokenListSchema, tokenViewSchema, userAddedSchema, userListSchema, userViewSchema } from './users.js';

export type Problem = z.output<typeof problemSchema>;
export type RunStatus = z.output<typeof runStatusSchema>;
/** A run in lists: the summary, plus its group's name and the `fields` asked for. */
export type RunSummary = z.output<typeof runListItemSchema>;
export type RunList = z.output<typeof runListSchema>;
export type RunDetail = z.output<typeof runDetailSchema>;
/** One status change as GET /api/v1/events sends it (`event: run`). */
export type RunChange = z.output<typeof runChangeSchema>;
export type RunEventView = z.output<typeof runEventViewSchema>;
export type RunEvents = z.output<typeof runEventsSchema>;
export type RunSubmitted = z.output<typeof runSubmittedSchema>;
export type GroupSubmitted = z.output<typeof groupSubmittedSchema>;
export type Submitted = z.output<typeof submittedSchema>;
export type RunAccepted = z.output<typeof runAcceptedSchema>;
export type BulkCancel = z.output<typeof bulkCancelSchema>;
export type GroupView = z.output<typeof groupViewSchema>;
export type GroupList = z.output<typeof groupListSchema>;
export type GroupRerun = z.output<typeof groupRerunSchema>;
export type GroupRuns = z.output<typeof groupRunsSchema>;
export type GroupResults = z.output<typeof groupResultsSchema>;
export type TemplateView = z.output<typeof templateViewSchema>;
export type TemplateDetail = z.output<typeof templateDetailSchema>;
export type TemplateList = z.output<typeof templateListSchema>;
export type TemplateFiles = z.output<typeof templateFilesSchema>;
export type Health = z.output<typeof healthSchema>;
export type HealthReport = z.output<typeof healthReportSchema>;
export type QueueView = z.output<typeof queueViewSchema>;
export type QueueList = z.output<typeof queueListSchema>;
export type NodeView = z.output<typeof nodeViewSchema>;
export type NodeList = z.output<typeof nodeListSchema>;
export type NodeAdded = z.output<typeof nodeAddedSchema>;
export type Dataset = z.output<typeof datasetSchema>;
export type DatasetList = z.output<typeof datasetListSchema>;
export type WhoAmI = z.output<typeof whoAmISchema>;
export type Upload = z.output<typeof uploadSchema>;
export type MetricPoints = z.output<typeof metricPointsSchema>;
export type MetricsAccepted = z.output<typeof metricsAcceptedSchema>;
export type Ok = z.output<typeof okSchema>;
export type ArtifactList = z.output<typeof artifactListSchema>;
export type Role = z.output<typeof roleSchema>;
export type UserView = z.output<typeof userViewSchema>;
export type UserList = z.output<typeof userListSchema>;
export type TokenView = z.output<typeof tokenViewSchema>;
export type TokenList = z.output<typeof tokenListSchema>;
export type CreatedToken = z.output<typeof createdTokenSchema>;
export type UserAdded = z.output<typeof userAddedSchema>;

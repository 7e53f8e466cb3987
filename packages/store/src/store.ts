/** The Store port: everything Regatta persists about runs, behind a few async operations. */
import type { Role, Artifact, AttemptRecord, GroupRecord, MetricPoint, RunEvent, RunRecord, RunStatus, TemplateVersion } from '@regatta/core';

export interface NewEvent {
  attempt: number;
  ts: number;
  from?: RunStatus;
  to: RunStatus;
  reason?: string;
  /** The reporter's own id: an event with a key already stored for the run is dropped. */
  key?: string;
}

/** Columns a patch may clear: `null` clears one; an absent key leaves it as it is. */
type Clearable<T> = { [K in keyof T]?: Exclude<T[K], undefined> | null };

export type RunPatch = Partial<Pick<RunRecord, 'status' | 'attempt'>>
  & Clearable<Pick<RunRecord, 'startedAt' | 'finishedAt' | 'exitCode' | 'reason' | 'node' | 'gpus' | 'notBefore'>> & {
  updatedAt: number;
};

/** What changes in a group when one of its runs changes status (same transaction). */
export type GroupPatch = Pick<GroupRecord, 'id' | 'counts' | 'status' | 'updatedAt'> & Clearable<Pick<GroupRecord, 'startedAt' | 'finishedAt'>>;

export interface RunFilter {
  status?: RunStatus[];
  groupId?: string;
  queue?: string;
  labels?: Record<string, string>;
  name?: string;
  /** The template the runs were made from. */
  template?: string;
  /** Runs submitted by this user. */
  createdBy?: string;
  /** Part of the name or item, or the start of the id (case-insensitive). */
  text?: string;
  /** Conditions on params, result fields and metric summaries (see run-fields.ts), all of which must hold. */
  fields?: FieldCondition[];
  /** Return runs with an id lower (older) than this one (newest-first order only). */
  cursor?: string;
  /** Another order than newest first; pages by `offset`. */
  sort?: RunSort;
  offset?: number;
  limit: number;
}

/** A sortable and filterable value of a run: `params.lr`, `result.acc`, `metrics.loss.min|max|last|count`. */
export type FieldValue = number | string | null;

export interface FieldCondition {
  field: string;
  op: '=' | '!=' | '<' | '<=' | '>' | '>=' | '~' | 'has';
  value?: number | string;
}

/** Built-in columns, or any field; runs without the field come after those with it, newest first. */
export type RunSortKey = 'created' | 'name' | 'status' | 'queue' | 'started' | 'finished' | 'duration' | { field: string };

export interface RunSort {
  key: RunSortKey;
  order: 'asc' | 'desc';
}

export interface MetricSeries {
  points: (MetricPoint & { attempt: number })[];
  /** Points stored for the metric. */
  total: number;
  downsampled: boolean;
}

export interface QueueRecord {
  name: string;
  concurrency?: number;
}

export interface SessionRecord {
  id: string;
  /** The admin token it was made from. */
  tokenId: string;
  createdAt: number;
  expiresAt: number;
}

/** A personal API token; the secret itself is stored as its SHA-256 only. */
export interface TokenRecord {
  id: string;
  name: string;
  /** The user it acts as (with that user's role). */
  user: string;
  createdAt: number;
  expiresAt?: number;
}

export interface UserRecord {
  name: string;
  role: Role;
  disabled: boolean;
  createdAt: number;
}

/** A machine registered by an admin (a Docker engine now). */
export interface NodeRecord {
  name: string;
  kind: 'docker';
  url: string;
  tlsDir?: string;
  gpus: number;
  createdAt: number;
}

/** A named directory on the server that runs mount read-only by name. */
export interface DatasetRecord {
  name: string;
  path: string;
  createdAt: number;
  createdBy?: string;
}

export interface Store {
  createRun(run: Omit<RunRecord, 'seq'>, event: NewEvent): Promise<RunRecord>;
  /** Patches the run, and in the same transaction records the event, upserts the attempt and updates its group. */
  updateRun(id: string, patch: RunPatch, also?: { event?: NewEvent; attempt?: AttemptRecord; group?: GroupPatch }): Promise<void>;
  /** A group and all its runs (queued), in one transaction. */
  createGroup(group: GroupRecord, runs: Omit<RunRecord, 'seq'>[]): Promise<RunRecord[]>;
  getGroup(id: string): Promise<GroupRecord | undefined>;
  listGroups(opts: { cursor?: string; limit: number; createdBy?: string }): Promise<{ groups: GroupRecord[]; nextCursor?: string }>;
  updateGroup(patch: GroupPatch): Promise<void>;
  /** Groups that are not finished (their counters are reloaded at start). */
  activeGroups(): Promise<GroupRecord[]>;
  /** Last value of each metric of each run of the group. */
  groupMetrics(groupId: string): Promise<Map<string, Record<string, number>>>;
  getRun(id: string): Promise<RunRecord | undefined>;
  listRuns(filter: RunFilter): Promise<{ runs: RunRecord[]; nextCursor?: string; nextOffset?: number }>;
  /** How many runs match the filter (its cursor, order and limit aside). */
  countRuns(filter: Omit<RunFilter, 'cursor' | 'limit' | 'sort' | 'offset'>): Promise<number>;
  /** Values of some fields (params.*, result.*, metrics.*.last|min|max|count) of some runs. */
  runFields(runIds: readonly string[], fields: readonly string[]): Promise<Map<string, Record<string, FieldValue>>>;
  /** The field names runs have (those of one group's runs when given), for picking columns. */
  fieldNames(opts: { groupId?: string; limit: number }): Promise<string[]>;
  runsWithStatus(statuses: readonly RunStatus[]): Promise<RunRecord[]>;
  /** How many runs each (status, queue) has, and when the oldest of them was submitted (for /metrics). */
  runCounts(): Promise<{ status: RunStatus; queue: string; count: number; oldestCreatedAt: number }[]>;
  /** Number of queued runs of the same queue ordered before this one. */
  queuePosition(run: Pick<RunRecord, 'queue' | 'priority' | 'seq'>): Promise<number>;

  listEvents(runId: string): Promise<RunEvent[]>;
  /** A timeline entry that does not change the run (a service became healthy, a job's own event). */
  addEvent(runId: string, event: NewEvent): Promise<void>;
  listAttempts(runId: string): Promise<AttemptRecord[]>;
  getAttempt(runId: string, attempt: number): Promise<AttemptRecord | undefined>;

  addMetrics(runId: string, attempt: number, points: readonly MetricPoint[]): Promise<void>;
  listMetrics(runId: string, opts?: { name?: string; attempt?: number }): Promise<(MetricPoint & { attempt: number })[]>;
  /** One metric's points, at most about maxPoints of them: past that, each bucket's lowest and highest point. */
  metricSeries(runId: string, opts: { name: string; attempt?: number; maxPoints: number }): Promise<MetricSeries>;
  /** Each metric's last point and how many points it has. */
  metricSummary(runId: string): Promise<{ name: string; value: number; step?: number; ts: number; count: number }[]>;
  setResult(runId: string, result: unknown, updatedAt: number): Promise<void>;
  replaceArtifacts(runId: string, attempt: number, artifacts: readonly Artifact[]): Promise<void>;
  listArtifacts(runId: string, attempt: number): Promise<Artifact[]>;

  listQueues(): Promise<QueueRecord[]>;
  setQueue(queue: QueueRecord): Promise<void>;

  createToken(token: TokenRecord, hash: string): Promise<void>;
  findToken(hash: string): Promise<TokenRecord | undefined>;
  getToken(id: string): Promise<TokenRecord | undefined>;
  /** A user's tokens (every token without a user given), newest first. */
  listTokens(user?: string): Promise<TokenRecord[]>;
  /** Revokes a token; false when there was none with that id. */
  deleteToken(id: string): Promise<boolean>;
  countTokens(): Promise<number>;

  /** Adds a user; a ConflictError when the name is taken. */
  createUser(user: UserRecord): Promise<void>;
  getUser(name: string): Promise<UserRecord | undefined>;
  listUsers(): Promise<UserRecord[]>;
  setUserDisabled(name: string, disabled: boolean): Promise<boolean>;
  setUserRole(name: string, role: Role): Promise<boolean>;
  /** Removes a user and their tokens (what they created keeps their name); false when there was none. */
  removeUser(name: string): Promise<boolean>;

  /** Browser sessions (the cookie's secret is stored as `hash` only). */
  createSession(session: SessionRecord, hash: string): Promise<void>;
  findSession(hash: string): Promise<SessionRecord | undefined>;
  listSessions(): Promise<SessionRecord[]>;
  /** Ends a session; false when there was none with that id. */
  deleteSession(id: string): Promise<boolean>;

  /** Adds the next version of a template (version 1 creates it). */
  addTemplateVersion(name: string, spec: Record<string, unknown>, files: string | undefined, now: number, createdBy?: string): Promise<TemplateVersion>;
  /** A version, or the latest one. */
  getTemplate(name: string, version?: number): Promise<TemplateVersion | undefined>;
  /** Every template with its latest version. */
  listTemplates(): Promise<TemplateVersion[]>;
  listTemplateVersions(name: string): Promise<TemplateVersion[]>;

  putDataset(d: DatasetRecord): Promise<void>;
  listDatasets(): Promise<DatasetRecord[]>;
  removeDataset(name: string): Promise<boolean>;

  listNodes(): Promise<NodeRecord[]>;
  addNode(node: NodeRecord): Promise<void>;
  removeNode(name: string): Promise<boolean>;

  close(): Promise<void>;
}

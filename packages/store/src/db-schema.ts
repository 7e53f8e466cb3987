/** Table shapes as Kysely sees them. Times are epoch milliseconds; JSON is stored as text. */
import type { Generated } from 'kysely';

export interface RunsTable {
  seq: Generated<number>;
  id: string;
  name: string;
  status: string;
  queue: string;
  priority: number;
  labels: string;
  spec: string;
  resolved: string;
  created_at: number;
  updated_at: number;
  started_at: number | null;
  finished_at: number | null;
  attempt: number;
  exit_code: number | null;
  reason: string | null;
  node: string | null;
  gpus: string | null;
  not_before: number | null;
  result: string | null;
  group_id: string | null;
  item_key: string | null;
  template: string | null;
  template_version: number | null;
  created_by: string | null;
}

export interface TemplateVersionsTable {
  name: string;
  version: number;
  spec: string;
  files: string | null;
  created_at: number;
  created_by: string | null;
}

export interface GroupsTable {
  id: string;
  name: string;
  status: string;
  total: number;
  counts: string;
  max_parallel: number | null;
  fail_fast: number;
  spec: string;
  created_at: number;
  updated_at: number;
  started_at: number | null;
  finished_at: number | null;
  created_by: string | null;
}

export interface RunLabelsTable {
  run_id: string;
  key: string;
  value: string;
}

export interface AttemptsTable {
  run_id: string;
  attempt: number;
  status: string;
  node: string | null;
  gpus: string | null;
  external_id: string | null;
  started_at: number | null;
  finished_at: number | null;
  exit_code: number | null;
  reason: string | null;
}

export interface EventsTable {
  id: Generated<number>;
  run_id: string;
  attempt: number;
  ts: number;
  from_status: string | null;
  to_status: string;
  reason: string | null;
  key: string | null;
}

export interface MetricsTable {
  id: Generated<number>;
  run_id: string;
  attempt: number;
  name: string;
  value: number;
  step: number | null;
  ts: number;
  key: string | null;
}

export interface ArtifactsTable {
  run_id: string;
  attempt: number;
  path: string;
  size: number;
}

export interface QueuesTable {
  name: string;
  concurrency: number | null;
}

export interface TokensTable {
  id: string;
  name: string;
  /** Unused since users came (a token acts with its user's role); kept for old databases. */
  role: string;
  hash: string;
  created_at: number;
  /** The user it belongs to (null: a token from before users, the bootstrap admin's). */
  user_name: string | null;
  expires_at: number | null;
}

export interface UsersTable {
  name: string;
  role: string;
  disabled: number;
  created_at: number;
}

export interface SessionsTable {
  id: string;
  token_id: string;
  /** SHA-256 of the cookie's secret; the secret itself is never stored. */
  hash: string;
  created_at: number;
  expires_at: number;
}

export interface NodesTable {
  name: string;
  kind: string;
  url: string;
  tls_dir: string | null;
  gpus: number;
  created_at: number;
}

/** One sortable value of a run (see run-fields.ts): a number in num, anything else as text. */
export interface RunFieldsTable {
  run_id: string;
  field: string;
  num: number | null;
  text: string | null;
}

export interface DatasetsTable {
  name: string;
  path: string;
  created_at: number;
  created_by: string | null;
}

export interface Database {
  datasets: DatasetsTable;
  template_versions: TemplateVersionsTable;
  groups: GroupsTable;
  nodes: NodesTable;
  runs: RunsTable;
  run_labels: RunLabelsTable;
  run_fields: RunFieldsTable;
  attempts: AttemptsTable;
  events: EventsTable;
  metrics: MetricsTable;
  artifacts: ArtifactsTable;
  queues: QueuesTable;
  tokens: TokensTable;
  users: UsersTable;
  sessions: SessionsTable;
}

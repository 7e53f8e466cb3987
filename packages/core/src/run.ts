/** Run and attempt states, the transitions allowed between them, and the records the store keeps. */
import type { JobSpecInput, ResolvedSpec } from './spec.js';

export const RUN_STATUSES = [
  'queued', 'starting', 'building', 'running', 'cleanup',
  'succeeded', 'failed', 'canceled', 'timed_out', 'lost',
] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export const TERMINAL_STATUSES: ReadonlySet<RunStatus> = new Set(['succeeded', 'failed', 'canceled', 'timed_out', 'lost']);
/** States in which a backend holds resources for the run. */
export const ACTIVE_STATUSES: ReadonlySet<RunStatus> = new Set(['starting', 'building', 'running', 'cleanup']);

export type AttemptOutcome = 'succeeded' | 'failed' | 'canceled' | 'timed_out' | 'lost';

const TRANSITIONS: Record<RunStatus, readonly RunStatus[]> = {
  // A run no node can hold fails without starting (unschedulable).
  queued: ['starting', 'canceled', 'failed'],
  // An attempt may end before it reported running (a quick job, a failed build).
  starting: ['building', 'running', 'cleanup', 'queued', 'succeeded', 'failed', 'canceled', 'timed_out', 'lost'],
  building: ['running', 'cleanup', 'queued', 'succeeded', 'failed', 'canceled', 'timed_out', 'lost'],
  running: ['cleanup', 'queued', 'succeeded', 'failed', 'canceled', 'timed_out', 'lost'],
  cleanup: ['queued', 'succeeded', 'failed', 'canceled', 'timed_out', 'lost'],
  // A group's rerun (or resume) puts its ended items back in the queue, the same run ids.
  succeeded: [],
  failed: ['queued'],
  canceled: ['queued'],
  timed_out: ['queued'],
  lost: ['queued'],
};

export function isTerminal(s: RunStatus): boolean {
  return TERMINAL_STATUSES.has(s);
}

export function canTransition(from: RunStatus, to: RunStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export interface GpuAssignment {
  node: string;
  gpus: number[];
}

export interface RunRecord {
  id: string;
  name: string;
  status: RunStatus;
  queue: string;
  priority: number;
  labels: Record<string, string>;
  spec: JobSpecInput;
  resolved: ResolvedSpec;
  /** Monotonic submission order; FIFO within a priority. */
  seq: number;
  createdAt: number;
  updatedAt: number;
  startedAt?: number;
  finishedAt?: number;
  /** 1-based number of the current (or last) attempt; 0 before the first start. */
  attempt: number;
  exitCode?: number;
  reason?: string;
  node?: string;
  gpus?: number[];
  /** Earliest time the scheduler may start the next attempt (retry delay). */
  notBefore?: number;
  /** The fan-out group this run is an item of. */
  groupId?: string;
  /** The item's key in its group (from its params), used to name its outputs. */
  itemKey?: string;
  /** The template version the run was made from. */
  template?: { name: string; version: number };
  /** The user who submitted it (none for runs from before users existed). */
  createdBy?: string;
  result?: unknown;
  /** Health of a long-running run with a health check, while it is active (not stored). */
  health?: 'healthy' | 'unhealthy';
}

export interface AttemptRecord {
  runId: string;
  attempt: number;
  status: RunStatus;
  node?: string;
  gpus?: number[];
  /** Backend-specific handle (pid, container id, Slurm job id) used to re-attach after a restart. */
  externalId?: string;
  startedAt?: number;
  finishedAt?: number;
  exitCode?: number;
  reason?: string;
}

export interface RunEvent {
  id: number;
  runId: string;
  attempt: number;
  ts: number;
  from?: RunStatus;
  to: RunStatus;
  reason?: string;
}

export interface MetricPoint {
  name: string;
  value: number;
  step?: number;
  ts: number;
  /** The reporter's own id for this point: a point sent twice (a retry, a spooled copy) is stored once. */
  key?: string;
}

export interface Artifact {
  path: string;
  size: number;
}

export const GROUP_STATUSES = ['running', 'succeeded', 'failed', 'canceled'] as const;
export type GroupStatus = (typeof GROUP_STATUSES)[number];

/** How many of a group's runs are in each status: kept as counters, never counted by scanning. */
export type StatusCounts = Record<RunStatus, number>;

export function emptyCounts(): StatusCounts {
  return Object.fromEntries(RUN_STATUSES.map((s) => [s, 0])) as StatusCounts;
}

export interface GroupRecord {
  id: string;
  name: string;
  status: GroupStatus;
  total: number;
  counts: StatusCounts;
  maxParallel?: number;
  failFast: boolean;
  /** The spec as submitted, fan-out fields included. */
  spec: unknown;
  createdAt: number;
  updatedAt: number;
  startedAt?: number;
  finishedAt?: number;
  createdBy?: string;
}

/** A named, versioned job spec with files attached (an upload), stored on the server. */
export interface TemplateVersion {
  name: string;
  version: number;
  /** The spec as pushed (may be partial until merged with a run's overrides). */
  spec: Record<string, unknown>;
  /** upload:<id> of the files every run of this version starts from. */
  files?: string;
  createdAt: number;
  createdBy?: string;
}

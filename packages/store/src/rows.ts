/** Rows of the store's tables to records and back (the columns both dialects share). */
import { sql, type Selectable, type Updateable } from 'kysely';
import type { AttemptRecord, GroupRecord, GroupStatus, RunRecord, RunStatus, StatusCounts, TemplateVersion } from '@regatta/core';
import type { RunsTable, AttemptsTable, GroupsTable, TemplateVersionsTable } from './db-schema.js';
import type { SqlDialect } from './migrations.js';
import type { GroupPatch, NewEvent, RunPatch } from './store.js';

export const json = (v: unknown): string => JSON.stringify(v);
export const opt = <T>(v: T | null): T | undefined => (v === null ? undefined : v);
export const num = (v: number | string | bigint): number => Number(v);
export const optNum = (v: number | string | bigint | null): number | undefined => (v === null ? undefined : Number(v));

/** Keys whose value may be undefined become optional (exactOptionalPropertyTypes); `unknown` ones stay as they are. */
type MaybeAbsent<T, K extends keyof T> = unknown extends T[K] ? false : undefined extends T[K] ? true : false;
type Present<T> = { [K in keyof T as MaybeAbsent<T, K> extends true ? never : K]: T[K] }
  & { [K in keyof T as MaybeAbsent<T, K> extends true ? K : never]?: Exclude<T[K], undefined> };

/** A record without the keys a NULL column left undefined: absent, not present with `undefined`. */
export function present<T extends object>(o: T): Present<T> {
  const out: Partial<Record<string, unknown>> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as Present<T>;
}

export function toRun(r: Selectable<RunsTable>): RunRecord {
  return present({
    id: r.id,
    name: r.name,
    status: r.status as RunStatus,
    queue: r.queue,
    priority: r.priority,
    labels: JSON.parse(r.labels) as Record<string, string>,
    spec: JSON.parse(r.spec) as RunRecord['spec'],
    resolved: JSON.parse(r.resolved) as RunRecord['resolved'],
    seq: num(r.seq),
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
    startedAt: optNum(r.started_at),
    finishedAt: optNum(r.finished_at),
    attempt: r.attempt,
    exitCode: opt(r.exit_code),
    reason: opt(r.reason),
    node: opt(r.node),
    gpus: r.gpus === null ? undefined : (JSON.parse(r.gpus) as number[]),
    notBefore: optNum(r.not_before),
    result: r.result === null ? undefined : (JSON.parse(r.result) as unknown),
    groupId: opt(r.group_id),
    itemKey: opt(r.item_key),
    template: r.template !== null && r.template_version !== null ? { name: r.template, version: r.template_version } : undefined,
    createdBy: opt(r.created_by),
  });
}

export function toTemplate(t: Selectable<TemplateVersionsTable>): TemplateVersion {
  return {
    name: t.name, version: t.version, spec: JSON.parse(t.spec) as Record<string, unknown>, ...(t.files ? { files: t.files } : {}), createdAt: num(t.created_at),
    ...(t.created_by !== null ? { createdBy: t.created_by } : {}),
  };
}

export function toGroup(g: Selectable<GroupsTable>): GroupRecord {
  return present({
    id: g.id,
    name: g.name,
    status: g.status as GroupStatus,
    total: g.total,
    counts: JSON.parse(g.counts) as StatusCounts,
    maxParallel: opt(g.max_parallel),
    failFast: g.fail_fast === 1,
    spec: JSON.parse(g.spec) as unknown,
    createdAt: num(g.created_at),
    updatedAt: num(g.updated_at),
    startedAt: optNum(g.started_at),
    finishedAt: optNum(g.finished_at),
    createdBy: opt(g.created_by),
  });
}

export function groupPatchColumns(p: GroupPatch): Updateable<GroupsTable> {
  const c: Updateable<GroupsTable> = { counts: json(p.counts), status: p.status, updated_at: p.updatedAt };
  if ('startedAt' in p) c.started_at = p.startedAt ?? null;
  if ('finishedAt' in p) c.finished_at = p.finishedAt ?? null;
  return c;
}

/**
 * `counts` with one run moved from one status to another, computed by the database in the UPDATE,
 * and the parameters its SQL binds, in order (so that the statement can be reused: shape-cache.ts).
 */
export function moveCount(d: SqlDialect, from: RunStatus, to: RunStatus) {
  if (d === 'postgres') {
    const c = sql`counts::jsonb`;
    return {
      expr: sql<string>`jsonb_set(jsonb_set(${c}, array[${from}::text], to_jsonb(greatest(coalesce((${c}->>${from}::text)::int, 0) - 1, 0))),
      array[${to}::text], to_jsonb(coalesce((${c}->>${to}::text)::int, 0) + 1))::text`,
      values: [from, from, to, to],
    };
  }
  const [f, t] = [`$.${from}`, `$.${to}`];
  return {
    expr: sql<string>`json_set(counts, ${f}, max(coalesce(json_extract(counts, ${f}), 0) - 1, 0), ${t}, coalesce(json_extract(counts, ${t}), 0) + 1)`,
    values: [f, f, t, t],
  };
}

export function runRow(run: Omit<RunRecord, 'seq'>) {
  return {
    id: run.id,
    name: run.name,
    status: run.status,
    queue: run.queue,
    priority: run.priority,
    labels: json(run.labels),
    spec: json(run.spec),
    resolved: json(run.resolved),
    created_at: run.createdAt,
    updated_at: run.updatedAt,
    started_at: null,
    finished_at: null,
    attempt: run.attempt,
    exit_code: null,
    reason: run.reason ?? null,
    node: null,
    gpus: null,
    not_before: run.notBefore ?? null,
    result: null,
    group_id: run.groupId ?? null,
    item_key: run.itemKey ?? null,
    template: run.template?.name ?? null,
    template_version: run.template?.version ?? null,
    created_by: run.createdBy ?? null,
  };
}

export function toAttempt(a: Selectable<AttemptsTable>): AttemptRecord {
  return present({
    runId: a.run_id,
    attempt: a.attempt,
    status: a.status as RunStatus,
    node: opt(a.node),
    gpus: a.gpus === null ? undefined : (JSON.parse(a.gpus) as number[]),
    externalId: opt(a.external_id),
    startedAt: optNum(a.started_at),
    finishedAt: optNum(a.finished_at),
    exitCode: opt(a.exit_code),
    reason: opt(a.reason),
  });
}

export function patchColumns(p: RunPatch): Updateable<RunsTable> {
  const c: Updateable<RunsTable> = { updated_at: p.updatedAt };
  if ('status' in p) c.status = p.status;
  if ('startedAt' in p) c.started_at = p.startedAt ?? null;
  if ('finishedAt' in p) c.finished_at = p.finishedAt ?? null;
  if ('attempt' in p) c.attempt = p.attempt;
  if ('exitCode' in p) c.exit_code = p.exitCode ?? null;
  if ('reason' in p) c.reason = p.reason ?? null;
  if ('node' in p) c.node = p.node ?? null;
  if ('gpus' in p) c.gpus = p.gpus === undefined || p.gpus === null ? null : json(p.gpus);
  if ('notBefore' in p) c.not_before = p.notBefore ?? null;
  return c;
}

export function eventRow(runId: string, e: NewEvent) {
  return { run_id: runId, attempt: e.attempt, ts: e.ts, from_status: e.from ?? null, to_status: e.to, reason: e.reason ?? null, key: e.key ?? null };
}

export function attemptRow(a: AttemptRecord) {
  return {
    run_id: a.runId,
    attempt: a.attempt,
    status: a.status,
    node: a.node ?? null,
    gpus: a.gpus === undefined ? null : json(a.gpus),
    external_id: a.externalId ?? null,
    started_at: a.startedAt ?? null,
    finished_at: a.finishedAt ?? null,
    exit_code: a.exitCode ?? null,
    reason: a.reason ?? null,
  };
}

/**
 * The Store implemented once over Kysely; dialects (SQLite, Postgres) only supply the connection.
 * Queries stay within what both dialects share; the few that differ ask `dialectOf`.
 */
import { Migrator, sql, type Kysely, type SelectQueryBuilder, type Transaction } from 'kysely';
import { canTransition, NotFoundError, RegattaError, TransitionError, type Artifact, type MetricPoint, type RunEvent, type RunRecord, type RunStatus } from '@regatta/core';
import type { Database } from './db-schema.js';
import { migrationProvider } from './migrations.js';
import { createSessionMethods } from './session-store.js';
import { createUserMethods } from './user-store.js';
import { dialectOf } from './dialect.js';
import { json, opt, num, optNum, present, toRun, toTemplate, toGroup, groupPatchColumns, moveCount, runRow, toAttempt, patchColumns, eventRow, attemptRow } from './rows.js';
import type { QueueRecord, RunFilter, Store } from './store.js';
import { fieldRows, insertFields, listFieldNames, readFields, replaceResultFields, updateMetricFields, whereField, type FieldRow } from './run-fields.js';
import { listSorted } from './run-list.js';
import { readMetricSeries, readMetricSummary } from './metric-series.js';
import { createShapeCache } from './shape-cache.js';

/** LIKE pattern for a literal substring ('\\' escapes the wildcards). */
const likeText = (text: string) => `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

function filterRuns<O>(q: SelectQueryBuilder<Database, 'runs', O>, f: Omit<RunFilter, 'cursor' | 'limit' | 'sort' | 'offset'>): SelectQueryBuilder<Database, 'runs', O> {
  for (const c of f.fields ?? []) q = whereField(q, c);
  if (f.status?.length) q = q.where('status', 'in', f.status);
  if (f.queue) q = q.where('queue', '=', f.queue);
  if (f.name) q = q.where('name', '=', f.name);
  if (f.groupId) q = q.where('group_id', '=', f.groupId);
  if (f.template) q = q.where('template', '=', f.template);
  if (f.createdBy) q = q.where('created_by', '=', f.createdBy);
  if (f.text) {
    const like = likeText(f.text);
    const idPrefix = f.text.toLowerCase();
    q = q.where((eb) => eb.or([
      sql<boolean>`lower(${eb.ref('name')}) like ${like} escape '\\'`,
      sql<boolean>`lower(${eb.ref('item_key')}) like ${like} escape '\\'`,
      eb.and([eb('id', '>=', idPrefix), eb('id', '<', `${idPrefix}\uffff`)]),
    ]));
  }
  for (const [key, value] of Object.entries(f.labels ?? {})) {
    q = q.where(({ exists, selectFrom }) =>
      exists(
        selectFrom('run_labels')
          .select('run_labels.run_id')
          .whereRef('run_labels.run_id', '=', 'runs.id')
          .where('run_labels.key', '=', key)
          .where('run_labels.value', '=', value),
      ),
    );
  }
  return q;
}

export async function migrate(db: Kysely<Database>): Promise<void> {
  // Each migration adds its own table, columns or indexes and none depends on a later one, so a database
  // that missed one (made by a build that had a later one) gets it instead of refusing to open.
  const { error, results } = await new Migrator({ db, provider: migrationProvider(dialectOf(db)), allowUnorderedMigrations: true }).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`database migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

type Trx = Transaction<Database>;

/**
 * Group commit: writes issued in the same turn of the event loop share one transaction, so a burst
 * of submissions and transitions pays for one commit instead of one each. Each write still either
 * happens whole or not at all: when a batch fails, its writes are retried one by one. The batch
 * closes in the check phase (setImmediate), not at the next microtask, so that everything one poll
 * of the event loop brought in (requests read together, a job's start and exit reported together)
 * commits once; no caller is answered before its write has committed.
 */
function createWriteBatcher(db: Kysely<Database>) {
  type Job = { fn: (trx: Trx) => Promise<unknown>; resolve: (v: unknown) => void; reject: (e: unknown) => void };
  let queue: Job[] = [];
  const flush = async () => {
    const batch = queue;
    queue = [];
    if (!batch.length) return;
    if (batch.length === 1) {
      const [job] = batch as [Job];
      await db.transaction().execute(job.fn).then(job.resolve, job.reject);
      return;
    }
    const results: unknown[] = [];
    try {
      await db.transaction().execute(async (trx) => {
        for (const job of batch) results.push(await job.fn(trx));
      });
      batch.forEach((job, i) => job.resolve(results[i]));
    } catch {
      for (const job of batch) await db.transaction().execute(job.fn).then(job.resolve, job.reject);
    }
  };
  // Batches commit one after another, in the order they were written: over a pool (Postgres) two
  // transactions would otherwise race, and a run's starting → running could land after its
  // running → cleanup (SQLite's single connection serialized them anyway).
  let tail: Promise<void> = Promise.resolve();
  let pending = false;
  function write<T>(fn: (trx: Trx) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      queue.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      if (pending) return;
      pending = true;
      setImmediate(() => {
        tail = tail.then(() => {
          pending = false;
          return flush();
        });
      });
    });
  }
  /** Resolves once every write issued so far has committed (or failed): closing loses none. */
  async function idle(): Promise<void> {
    while (pending || queue.length) await new Promise((r) => setImmediate(r)).then(() => tail);
    await tail;
  }
  return { write, idle };
}

export function createKyselyStore(db: Kysely<Database>): Store {
  const { write, idle } = createWriteBatcher(db);
  // The writes of every run's creation and transitions compile once per shape (shape-cache.ts).
  const shaped = createShapeCache();
  const insertEvent = (trx: Trx, row: ReturnType<typeof eventRow>) => shaped(trx, 'events+', Object.values(row), () => trx.insertInto('events').values(row));
  const dialect = dialectOf(db);
  return {
    async createRun(run, event) {
      return write(async (trx) => {
        const values = runRow(run);
        const { rows: [row] } = await shaped(trx, 'runs+', Object.values(values), () => trx.insertInto('runs').values(values).returning('seq'));
        if (!row) throw new RegattaError('internal', `run ${run.id}: the insert returned no row`);
        const labels = Object.entries(run.labels);
        if (labels.length) {
          await trx.insertInto('run_labels').values(labels.map(([key, value]) => ({ run_id: run.id, key, value }))).execute();
        }
        await insertEvent(trx, eventRow(run.id, event));
        await insertFields(trx, fieldRows(run.id, 'params', run.resolved.params));
        return { ...run, seq: num(row.seq) };
      });
    },

    async addEvent(runId, event) {
      await write(async (trx) => {
        const row = eventRow(runId, event);
        await shaped(trx, 'events+?', Object.values(row), () => trx.insertInto('events').values(row).onConflict((oc) => oc.doNothing()));
      });
    },

    async updateRun(id, patch, also = {}) {
      const from = also.event?.from;
      const to = patch.status;
      if (to !== undefined && (from === undefined || also.event?.to !== to)) {
        throw new RegattaError('internal', `run ${id}: a status change to ${to} needs its event (from → to)`);
      }
      if (to !== undefined && from !== undefined && from !== to && !canTransition(from, to)) throw new TransitionError(id, from, to, undefined);
      await write(async (trx) => {
        const cols = patchColumns(patch);
        // The status the writer read is still the stored one, or the change lost a race.
        const guarded = to !== undefined && from !== undefined;
        const { numAffectedRows } = await shaped(
          trx, `runs=${Object.keys(cols).join()}${guarded ? '?status' : ''}`, [...Object.values(cols), id, ...(guarded ? [from] : [])],
          () => {
            const q = trx.updateTable('runs').set(cols).where('id', '=', id);
            return guarded ? q.where('status', '=', from) : q;
          },
        );
        if (guarded && numAffectedRows === 0n) {
          const now = await trx.selectFrom('runs').select('status').where('id', '=', id).executeTakeFirst();
          if (!now) throw new NotFoundError('run', id);
          throw new TransitionError(id, from, to, now.status);
        }
        if (also.event) await insertEvent(trx, eventRow(id, also.event));
        if (also.group) {
          const group = also.group;
          const { counts: _c, ...rest } = groupPatchColumns(group);
          // Counters move by increments in SQL, never by a value computed from another writer's copy.
          const move = guarded && from !== to ? moveCount(dialect, from, to) : undefined;
          await shaped(trx, `groups=${Object.keys(rest).join()}${move ? '+counts' : ''}`, [...Object.values(rest), ...(move?.values ?? []), group.id], () => {
            const g = trx.updateTable('groups').set(rest).where('id', '=', group.id);
            return move ? g.set({ counts: move.expr }) : g;
          });
        }
        if (also.attempt) {
          const row = attemptRow(also.attempt);
          const { run_id: _r, attempt: _a, ...rest } = row;
          // An attempt's fields are filled in as it goes; a later write that lacks one (say, the
          // backend's job id) keeps what an earlier write recorded.
          const changed = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== null));
          await shaped(trx, `attempts+${Object.keys(changed).join()}`, [...Object.values(row), ...Object.values(changed)], () => trx
            .insertInto('attempts')
            .values(row)
            .onConflict((oc) => oc.columns(['run_id', 'attempt']).doUpdateSet(changed)));
        }
      });
    },

    async createGroup(group, runs) {
      return write(async (trx) => {
        await trx.insertInto('groups').values({
          id: group.id, name: group.name, status: group.status, total: group.total, counts: json(group.counts),
          max_parallel: group.maxParallel ?? null, fail_fast: group.failFast ? 1 : 0, spec: json(group.spec),
          created_at: group.createdAt, updated_at: group.updatedAt, started_at: null, finished_at: null, created_by: group.createdBy ?? null,
        }).execute();
        const out: RunRecord[] = [];
        // Chunked inserts keep within SQLite's bound-parameter limit; one transaction keeps it whole.
        for (let i = 0; i < runs.length; i += 400) {
          const chunk = runs.slice(i, i + 400);
          const seqs = await trx.insertInto('runs').values(chunk.map(runRow)).returning('seq').execute();
          chunk.forEach((r, j) => out.push({ ...r, seq: num((seqs[j] as { seq: number }).seq) }));
          await trx.insertInto('events').values(chunk.map((r) => eventRow(r.id, { attempt: 0, ts: r.createdAt, to: 'queued', reason: `submitted in group ${group.id}` }))).execute();
          const labels = chunk.flatMap((r) => Object.entries(r.labels).map(([key, value]) => ({ run_id: r.id, key, value })));
          for (let k = 0; k < labels.length; k += 1000) await trx.insertInto('run_labels').values(labels.slice(k, k + 1000)).execute();
          await insertFields(trx, chunk.flatMap((r) => fieldRows(r.id, 'params', r.resolved.params, [] as FieldRow[])));
        }
        return out;
      });
    },

    async getGroup(id) {
      const g = await db.selectFrom('groups').selectAll().where('id', '=', id).executeTakeFirst();
      return g && toGroup(g);
    },

    async listGroups({ cursor, limit, createdBy }) {
      let q = db.selectFrom('groups').selectAll();
      if (createdBy) q = q.where('created_by', '=', createdBy);
      if (cursor) q = q.where('id', '<', cursor);
      const rows = await q.orderBy('id', 'desc').limit(limit + 1).execute();
      const groups = rows.slice(0, limit).map(toGroup);
      const last = groups[groups.length - 1];
      return rows.length > limit && last ? { groups, nextCursor: last.id } : { groups };
    },

    async updateGroup(patch) {
      await write((trx) => trx.updateTable('groups').set(groupPatchColumns(patch)).where('id', '=', patch.id).execute());
    },

    async activeGroups() {
      const rows = await db.selectFrom('groups').selectAll().where('status', '=', 'running').execute();
      return rows.map(toGroup);
    },

    async groupMetrics(groupId) {
      const rows = await db
        .selectFrom('metrics as m')
        .innerJoin('runs as r', 'r.id', 'm.run_id')
        .select(['m.run_id', 'm.name', 'm.value', 'm.id'])
        .where('r.group_id', '=', groupId)
        .orderBy('m.id')
        .execute();
      const out = new Map<string, Record<string, number>>();
      for (const m of rows) {
        let rec = out.get(m.run_id);
        if (!rec) out.set(m.run_id, (rec = {}));
        rec[m.name] = m.value; // ordered by id: the last one wins
      }
      return out;
    },

    async getRun(id) {
      const r = await db.selectFrom('runs').selectAll().where('id', '=', id).executeTakeFirst();
      return r && toRun(r);
    },

    async listRuns(f) {
      if (f.sort) {
        const { rows, nextOffset } = await listSorted(db, f, f.sort, filterRuns);
        return { runs: rows.map(toRun), ...(nextOffset !== undefined ? { nextOffset } : {}) };
      }
      let q = filterRuns(db.selectFrom('runs').selectAll(), f);
      if (f.cursor) q = q.where('id', '<', f.cursor);
      const rows = await q.orderBy('id', 'desc').limit(f.limit + 1).execute();
      const runs = rows.slice(0, f.limit).map(toRun);
      const last = runs[runs.length - 1];
      return rows.length > f.limit && last ? { runs, nextCursor: last.id } : { runs };
    },

    async countRuns(f) {
      const r = await filterRuns(db.selectFrom('runs').select((eb) => eb.fn.countAll<number>().as('n')), f).executeTakeFirstOrThrow();
      return num(r.n);
    },

    runFields: (runIds, fields) => readFields(db, runIds, fields),
    fieldNames: (opts) => listFieldNames(db, opts),

    async runsWithStatus(statuses) {
      const rows = await db.selectFrom('runs').selectAll().where('status', 'in', [...statuses]).orderBy('seq').execute();
      return rows.map(toRun);
    },

    async runCounts() {
      const rows = await db.selectFrom('runs')
        .select((eb) => ['status', 'queue', eb.fn.countAll<number>().as('n'), eb.fn.min('created_at').as('oldest')])
        .groupBy(['status', 'queue']).orderBy('status').orderBy('queue').execute();
      return rows.map((r) => ({ status: r.status as RunStatus, queue: r.queue, count: num(r.n), oldestCreatedAt: num(r.oldest) }));
    },

    async queuePosition(run) {
      const r = await db
        .selectFrom('runs')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('status', '=', 'queued')
        .where('queue', '=', run.queue)
        .where((eb) => eb.or([eb('priority', '>', run.priority), eb.and([eb('priority', '=', run.priority), eb('seq', '<', run.seq)])]))
        .executeTakeFirstOrThrow();
      return num(r.n);
    },

    async listEvents(runId) {
      const rows = await db.selectFrom('events').selectAll().where('run_id', '=', runId).orderBy('id').execute();
      return rows.map((e): RunEvent => present({
        id: num(e.id),
        runId: e.run_id,
        attempt: e.attempt,
        ts: num(e.ts),
        from: opt(e.from_status) as RunStatus | undefined,
        to: e.to_status as RunStatus,
        reason: opt(e.reason),
      }));
    },

    async listAttempts(runId) {
      const rows = await db.selectFrom('attempts').selectAll().where('run_id', '=', runId).orderBy('attempt').execute();
      return rows.map(toAttempt);
    },

    async getAttempt(runId, attempt) {
      const a = await db.selectFrom('attempts').selectAll().where('run_id', '=', runId).where('attempt', '=', attempt).executeTakeFirst();
      return a && toAttempt(a);
    },

    async addMetrics(runId, attempt, points) {
      if (!points.length) return;
      // Chunked so a large metrics.jsonl stays under SQLite's bound-parameter limit.
      // Only the points stored count: a second copy of a keyed point (a retried report) is dropped.
      const stored: MetricPoint[] = [];
      for (let i = 0; i < points.length; i += 500) {
        const rows = await db
          .insertInto('metrics')
          .values(points.slice(i, i + 500).map((p: MetricPoint) => ({
            run_id: runId, attempt, name: p.name, value: p.value, step: p.step ?? null, ts: p.ts, key: p.key ?? null,
          })))
          .onConflict((oc) => oc.doNothing())
          .returning(['id', 'name', 'value', 'ts'])
          .execute();
        // RETURNING's row order is not promised: the report order is the id order.
        stored.push(...rows.sort((x, y) => x.id - y.id).map((r) => ({ name: r.name, value: r.value, ts: r.ts })));
      }
      await updateMetricFields(db, runId, stored);
    },

    metricSeries: (runId, opts) => readMetricSeries(db, runId, opts),
    metricSummary: (runId) => readMetricSummary(db, runId),

    async listMetrics(runId, opts = {}) {
      let q = db.selectFrom('metrics').selectAll().where('run_id', '=', runId);
      if (opts.name) q = q.where('name', '=', opts.name);
      if (opts.attempt !== undefined) q = q.where('attempt', '=', opts.attempt);
      const rows = await q.orderBy('id').execute();
      return rows.map((m) => present({ name: m.name, value: m.value, step: optNum(m.step), ts: num(m.ts), attempt: m.attempt }));
    },

    async setResult(runId, result, updatedAt) {
      await db.transaction().execute(async (trx) => {
        await trx.updateTable('runs').set({ result: json(result), updated_at: updatedAt }).where('id', '=', runId).execute();
        await replaceResultFields(trx, runId, result);
      });
    },

    async replaceArtifacts(runId, attempt, artifacts) {
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom('artifacts').where('run_id', '=', runId).where('attempt', '=', attempt).execute();
        for (let i = 0; i < artifacts.length; i += 500) {
          await trx
            .insertInto('artifacts')
            .values(artifacts.slice(i, i + 500).map((a: Artifact) => ({ run_id: runId, attempt, path: a.path, size: a.size })))
            .execute();
        }
      });
    },

    async listArtifacts(runId, attempt) {
      const rows = await db
        .selectFrom('artifacts')
        .select(['path', 'size'])
        .where('run_id', '=', runId)
        .where('attempt', '=', attempt)
        .orderBy('path')
        .execute();
      return rows.map((a) => ({ path: a.path, size: num(a.size) }));
    },

    async listQueues() {
      const rows = await db.selectFrom('queues').selectAll().orderBy('name').execute();
      return rows.map((q): QueueRecord => (q.concurrency === null ? { name: q.name } : { name: q.name, concurrency: q.concurrency }));
    },

    async setQueue(queue) {
      const concurrency = queue.concurrency ?? null;
      await db
        .insertInto('queues')
        .values({ name: queue.name, concurrency })
        .onConflict((oc) => oc.column('name').doUpdateSet({ concurrency }))
        .execute();
    },

    async addTemplateVersion(name, spec, files, now, createdBy) {
      return write(async (trx) => {
        const last = await trx.selectFrom('template_versions').select((eb) => eb.fn.max('version').as('v')).where('name', '=', name).executeTakeFirst();
        const version = Number(last?.v ?? 0) + 1;
        await trx.insertInto('template_versions').values({ name, version, spec: json(spec), files: files ?? null, created_at: now, created_by: createdBy ?? null }).execute();
        return { name, version, spec, ...(files ? { files } : {}), createdAt: now, ...(createdBy !== undefined ? { createdBy } : {}) };
      });
    },

    async getTemplate(name, version) {
      let q = db.selectFrom('template_versions').selectAll().where('name', '=', name);
      q = version !== undefined ? q.where('version', '=', version) : q.orderBy('version', 'desc').limit(1);
      const t = await q.executeTakeFirst();
      return t && toTemplate(t);
    },

    async listTemplates() {
      const rows = await db
        .selectFrom('template_versions as t')
        .selectAll('t')
        .where('t.version', '=', (eb) => eb.selectFrom('template_versions as u').select((e) => e.fn.max('u.version').as('m')).whereRef('u.name', '=', 't.name'))
        .orderBy('t.name')
        .execute();
      return rows.map(toTemplate);
    },

    async listTemplateVersions(name) {
      const rows = await db.selectFrom('template_versions').selectAll().where('name', '=', name).orderBy('version').execute();
      return rows.map(toTemplate);
    },

    async putDataset(d) {
      await db
        .insertInto('datasets')
        .values({ name: d.name, path: d.path, created_at: d.createdAt, created_by: d.createdBy ?? null })
        .onConflict((oc) => oc.column('name').doUpdateSet({ path: d.path, created_at: d.createdAt, created_by: d.createdBy ?? null }))
        .execute();
    },

    async listDatasets() {
      const rows = await db.selectFrom('datasets').selectAll().orderBy('name').execute();
      return rows.map((d) => ({ name: d.name, path: d.path, createdAt: num(d.created_at), ...(d.created_by !== null ? { createdBy: d.created_by } : {}) }));
    },

    async removeDataset(name) {
      const r = await db.deleteFrom('datasets').where('name', '=', name).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },

    async listNodes() {
      const rows = await db.selectFrom('nodes').selectAll().orderBy('name').execute();
      return rows.map((n) => ({
        name: n.name, kind: 'docker' as const, url: n.url, ...(n.tls_dir ? { tlsDir: n.tls_dir } : {}), gpus: n.gpus, createdAt: num(n.created_at),
      }));
    },

    async addNode(n) {
      await db.insertInto('nodes').values({ name: n.name, kind: n.kind, url: n.url, tls_dir: n.tlsDir ?? null, gpus: n.gpus, created_at: n.createdAt }).execute();
    },

    async removeNode(name) {
      const r = await db.deleteFrom('nodes').where('name', '=', name).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },

    ...createSessionMethods(db),
    ...createUserMethods(db),

    async close() {
      await idle();
      await db.destroy();
    },
  };
}

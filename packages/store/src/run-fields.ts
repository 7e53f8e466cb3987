/**
 * The fields a runs table sorts and filters by: every param, every result field and the last, min,
 * max and count of every metric, one row per (run, field) in `run_fields`. The table is kept as runs are created,
 * report metrics and set results, and its index on (field, num, text) hands a sorted page over
 * 100,000s of runs without reading them all.
 */
import { sql, type Kysely, type RawBuilder, type SelectQueryBuilder, type Transaction } from 'kysely';
import type { MetricPoint } from '@regatta/core';
import type { Database } from './db-schema.js';
import { isPostgres } from './dialect.js';
import type { FieldCondition, FieldValue } from './store.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface FieldRow {
  run_id: string;
  field: string;
  num: number | null;
  text: string | null;
}

/** Leaves of a params or result object as fields (`params.lr`, `result.eval.acc`); arrays as JSON text. */
export function fieldRows(runId: string, prefix: string, value: unknown, out: FieldRow[] = []): FieldRow[] {
  if (value === null || value === undefined) return out;
  if (typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) fieldRows(runId, `${prefix}.${k}`, v, out);
    return out;
  }
  if (prefix.length > 300) return out; // a pathological key is not worth a column
  if (typeof value === 'number') out.push({ run_id: runId, field: prefix, num: Number.isFinite(value) ? value : null, text: Number.isFinite(value) ? null : String(value) });
  else if (typeof value === 'string') out.push({ run_id: runId, field: prefix, num: null, text: value.slice(0, 1000) });
  else out.push({ run_id: runId, field: prefix, num: null, text: JSON.stringify(value).slice(0, 1000) });
  return out;
}

export async function insertFields(db: Db, rows: readonly FieldRow[]): Promise<void> {
  // 4 values a row: 200 rows stay well under SQLite's bound-parameter limit.
  for (let i = 0; i < rows.length; i += 200) {
    await db.insertInto('run_fields').values(rows.slice(i, i + 200))
      .onConflict((oc) => oc.columns(['run_id', 'field']).doUpdateSet((eb) => ({ num: eb.ref('excluded.num'), text: eb.ref('excluded.text') })))
      .execute();
  }
}

/** A run's result replaces its result fields whole. */
export async function replaceResultFields(db: Db, runId: string, result: unknown): Promise<void> {
  await db.deleteFrom('run_fields').where('run_id', '=', runId).where('field', '>=', 'result.').where('field', '<', 'result/').execute();
  await insertFields(db, fieldRows(runId, 'result', result && typeof result === 'object' && !Array.isArray(result) ? result : { value: result }));
}

/** Folds a batch of metric points into each metric's last, min, max and count. */
export async function updateMetricFields(db: Db, runId: string, points: readonly MetricPoint[]): Promise<void> {
  const agg = new Map<string, { n: number; last?: number; min?: number; max?: number }>();
  for (const p of points) {
    const a = agg.get(p.name) ?? { n: 0 };
    a.n++;
    if (Number.isFinite(p.value)) {
      a.last = p.value;
      a.min = a.min === undefined ? p.value : Math.min(a.min, p.value);
      a.max = a.max === undefined ? p.value : Math.max(a.max, p.value);
    }
    agg.set(p.name, a);
  }
  const upsert = (field: string, value: number, onConflict: RawBuilder<number> | number) => db.insertInto('run_fields').values({ run_id: runId, field, num: value, text: null })
    .onConflict((oc) => oc.columns(['run_id', 'field']).doUpdateSet({ num: onConflict })).execute();
  for (const [name, a] of agg) {
    const base = `metrics.${name}`;
    await upsert(`${base}.count`, a.n, sql<number>`run_fields.num + ${a.n}`);
    if (a.last === undefined || a.min === undefined || a.max === undefined) continue;
    await upsert(`${base}.last`, a.last, a.last);
    // SQLite's two-argument min()/max() are Postgres' least()/greatest().
    const [least, greatest] = isPostgres(db) ? [sql.raw('least'), sql.raw('greatest')] : [sql.raw('min'), sql.raw('max')];
    await upsert(`${base}.min`, a.min, sql<number>`${least}(run_fields.num, ${a.min})`);
    await upsert(`${base}.max`, a.max, sql<number>`${greatest}(run_fields.num, ${a.max})`);
  }
}

/**
 * Runs whose field satisfies the condition. `id in (…)` lets SQLite read the matching runs off the
 * run_fields index (a selective filter costs its matches, not the table) or probe it per run.
 */
export function whereField<O>(q: SelectQueryBuilder<Database, 'runs', O>, c: FieldCondition): SelectQueryBuilder<Database, 'runs', O> {
  return q.where('runs.id', 'in', (eb) => {
    let sub = eb.selectFrom('run_fields').select('run_fields.run_id').where('run_fields.field', '=', c.field);
    if (c.op === 'has') return sub;
    if (c.op === '~') {
      const like = `%${String(c.value).toLowerCase().replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
      sub = sub.where(sql<boolean>`lower(coalesce(run_fields.text, cast(run_fields.num as text))) like ${like} escape '\\'`);
    } else if (typeof c.value === 'number') {
      sub = sub.where('run_fields.num', c.op, c.value);
    } else {
      sub = sub.where('run_fields.text', c.op, c.value ?? '');
    }
    return sub;
  });
}

/** Values of some fields of some runs (the columns a runs table shows). */
export async function readFields(db: Db, runIds: readonly string[], fields: readonly string[]): Promise<Map<string, Record<string, FieldValue>>> {
  const out = new Map<string, Record<string, FieldValue>>();
  if (!runIds.length || !fields.length) return out;
  // By run only (the primary key): a field condition here would let SQLite pick the (field, …) index
  // and walk every run that has the field.
  const wanted = new Set(fields);
  const rows = await db.selectFrom('run_fields').selectAll().where('run_id', 'in', [...runIds]).execute();
  for (const r of rows) {
    if (!wanted.has(r.field)) continue;
    let rec = out.get(r.run_id);
    if (!rec) out.set(r.run_id, (rec = {}));
    rec[r.field] = r.num ?? r.text ?? null;
  }
  return out;
}

/** Distinct field names (for a column picker), optionally only those of one group's runs. */
export async function listFieldNames(db: Db, opts: { groupId?: string; limit: number }): Promise<string[]> {
  let q = db.selectFrom('run_fields').select('run_fields.field').distinct();
  if (opts.groupId) q = q.innerJoin('runs', 'runs.id', 'run_fields.run_id').where('runs.group_id', '=', opts.groupId);
  const rows = await q.orderBy('run_fields.field').limit(opts.limit).execute();
  return rows.map((r) => r.field);
}

/** Fills run_fields for runs stored before the table existed (the migration that creates it). */
export async function backfillFields(db: Kysely<Database>): Promise<void> {
  let after = -1;
  for (;;) {
    const batch = await db.selectFrom('runs').select(['seq', 'id', 'resolved', 'result']).where('seq', '>', after).orderBy('seq').limit(2000).execute();
    const last = batch[batch.length - 1];
    if (!last) break;
    after = last.seq;
    const rows: FieldRow[] = [];
    for (const r of batch) {
      const resolved = JSON.parse(r.resolved) as { params?: unknown };
      fieldRows(r.id, 'params', resolved.params ?? {}, rows);
      if (r.result !== null) {
        const result: unknown = JSON.parse(r.result);
        fieldRows(r.id, 'result', result && typeof result === 'object' && !Array.isArray(result) ? result : { value: result }, rows);
      }
    }
    await insertFields(db, rows);
  }
  for (const [suffix, agg] of [['min', sql`min(value)`], ['max', sql`max(value)`], ['count', sql`count(*)`]] as const) {
    await sql`insert into run_fields (run_id, field, num, text)
      select run_id, 'metrics.' || name || cast(${`.${suffix}`} as text), ${agg}, null from metrics group by run_id, name`.execute(db);
  }
  await sql`insert into run_fields (run_id, field, num, text)
    select m.run_id, 'metrics.' || m.name || '.last', m.value, null from metrics m
    where m.id = (select max(id) from metrics l where l.run_id = m.run_id and l.name = m.name)`.execute(db);
}

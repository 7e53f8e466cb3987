/**
 * A long metric read for a chart: a million points do not cross the wire. Points are split into
 * buckets in report order and each bucket gives its lowest and its highest point, so spikes and the
 * envelope survive while the count drops to about maxPoints.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from './db-schema.js';
import { isPostgres } from './dialect.js';
import type { MetricSeries } from './store.js';

interface Row { id: number; step: number | null; ts: number; value: number; attempt: number }

export async function readMetricSeries(db: Kysely<Database>, runId: string, opts: { name: string; attempt?: number; maxPoints: number }): Promise<MetricSeries> {
  let base = db.selectFrom('metrics').where('run_id', '=', runId).where('name', '=', opts.name);
  if (opts.attempt !== undefined) base = base.where('attempt', '=', opts.attempt);
  const span = await base.select((eb) => [eb.fn.min('id').as('lo'), eb.fn.max('id').as('hi')]).executeTakeFirstOrThrow();
  // The count of all attempts is kept in run_fields; one attempt's is counted.
  const kept = opts.attempt === undefined
    ? await db.selectFrom('run_fields').select('num').where('run_id', '=', runId).where('field', '=', `metrics.${opts.name}.count`).executeTakeFirst()
    : undefined;
  const total = kept && kept.num !== null ? Number(kept.num)
    : Number((await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  const toPoint = (r: Row) => ({ name: opts.name, value: r.value, ts: Number(r.ts), attempt: r.attempt, ...(r.step !== null ? { step: Number(r.step) } : {}) });
  if (total <= opts.maxPoints || span.lo === null || span.hi === null) {
    const rows = await base.select(['id', 'step', 'ts', 'value', 'attempt']).orderBy('id').execute();
    return { points: rows.map(toPoint), total, downsampled: false };
  }
  const lo = Number(span.lo);
  const hi = Number(span.hi);
  const buckets = Math.max(1, Math.floor(opts.maxPoints / 2));
  const width = (hi - lo + 1) / buckets;
  const ids = isPostgres(db)
    ? await bucketEndsWindowed(db, runId, opts.name, opts.attempt, lo, width)
    : await bucketEndsSqlite(db, runId, opts.name, opts.attempt, lo, width, buckets);
  const rows: Row[] = [];
  for (let i = 0; i < ids.length; i += 500) {
    rows.push(...await db.selectFrom('metrics').select(['id', 'step', 'ts', 'value', 'attempt']).where('id', 'in', ids.slice(i, i + 500)).execute());
  }
  rows.sort((x, y) => Number(x.id) - Number(y.id));
  return { points: rows.map(toPoint), total, downsampled: true };
}

/**
 * One bucket at a time over a range of ids (the table's own order: no index lookups, no sort for a
 * GROUP BY); SQLite gives the id of the row that holds min() or max().
 */
async function bucketEndsSqlite(db: Kysely<Database>, runId: string, name: string, attempt: number | undefined, lo: number, width: number, buckets: number): Promise<number[]> {
  const att = attempt === undefined ? sql`` : sql` and +attempt = ${attempt}`;
  const inBucket = sql`id >= ${lo} + k * ${width} and id < ${lo} + (k + 1) * ${width} and +run_id = ${runId} and +name = ${name}${att}`;
  const picked = await sql<{ mn: number | null; mx: number | null }>`
    with recursive b(k) as (select 0 union all select k + 1 from b where k < ${buckets - 1})
    select (select id from (select id, min(value) from metrics where ${inBucket})) as mn,
           (select id from (select id, max(value) from metrics where ${inBucket})) as mx
    from b`.execute(db);
  return [...new Set(picked.rows.flatMap((r) => [r.mn, r.mx]).filter((v): v is number => v !== null))];
}

/** The same buckets in standard SQL (Postgres has no bare columns beside min()): window ranks. */
async function bucketEndsWindowed(db: Kysely<Database>, runId: string, name: string, attempt: number | undefined, lo: number, width: number): Promise<number[]> {
  const att = attempt === undefined ? sql`` : sql` and attempt = ${attempt}`;
  const picked = await sql<{ id: number }>`
    select id from (
      select id, row_number() over (partition by b order by value, id) as lo_rank,
                 row_number() over (partition by b order by value desc, id) as hi_rank
      from (select id, value, floor((id - ${lo}) / cast(${width} as double precision)) as b
            from metrics where run_id = ${runId} and name = ${name}${att}) s
    ) t where lo_rank = 1 or hi_rank = 1`.execute(db);
  return picked.rows.map((r) => Number(r.id));
}

/**
 * Each metric's last point and count, without reading every point (a run page over a million-point
 * metric): the counts are kept in run_fields, the last point is the top of the (run, name, id) index.
 */
export async function readMetricSummary(db: Kysely<Database>, runId: string): Promise<{ name: string; value: number; step?: number; ts: number; count: number }[]> {
  const counts = await db.selectFrom('run_fields').select(['field', 'num']).where('run_id', '=', runId)
    .where('field', '>=', 'metrics.').where('field', '<', 'metrics/').execute();
  const out = [];
  for (const c of counts) {
    if (!c.field.endsWith('.count')) continue;
    const name = c.field.slice('metrics.'.length, -'.count'.length);
    const last = await db.selectFrom('metrics').select(['value', 'step', 'ts']).where('run_id', '=', runId).where('name', '=', name)
      .orderBy('id', 'desc').limit(1).executeTakeFirst();
    if (last) out.push({ name, value: last.value, ts: Number(last.ts), count: Number(c.num ?? 0), ...(last.step !== null ? { step: Number(last.step) } : {}) });
  }
  return out.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
}

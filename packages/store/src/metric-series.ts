/**
 * A long metric read for a chart: a million points do not cross the wire. Points are split into
 * buckets in report order and each bucket gives its lowest and its highest point, so spikes and the
 * envelope survive while the count drops to about maxPoints.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from './db-schema.js';
import type { MetricSeries } from './store.js';

interface Row { id: number; step: number | null; ts: number; value: number; attempt: number }

export async function readMetricSeries(db: Kysely<Database>, runId: string, opts: { name: string; attempt?: number; maxPoints: number }): Promise<MetricSeries> {
  let base = db.selectFrom('metrics').where('run_id', '=', runId).where('name', '=', opts.name);
  if (opts.attempt !== undefined) base = base.where('attempt', '=', opts.attempt);
  const span = await base.select((eb) => [eb.fn.min('id').as('lo'), eb.fn.max('id').as('hi'), eb.fn.countAll<number>().as('n')]).executeTakeFirstOrThrow();
  const total = Number(span.n);
  const toPoint = (r: Row) => ({ name: opts.name, value: r.value, ts: Number(r.ts), attempt: r.attempt, ...(r.step !== null ? { step: Number(r.step) } : {}) });
  if (total <= opts.maxPoints || span.lo === null || span.hi === null) {
    const rows = await base.select(['id', 'step', 'ts', 'value', 'attempt']).orderBy('id').execute();
    return { points: rows.map(toPoint), total, downsampled: false };
  }
  const lo = Number(span.lo);
  const hi = Number(span.hi);
  const buckets = Math.max(1, Math.floor(opts.maxPoints / 2));
  const width = (hi - lo + 1) / buckets;
  // One bucket at a time over a range of ids (the table's own order: no index lookups, no sort for a
  // GROUP BY); SQLite gives the id of the row that holds min() or max().
  const attempt = opts.attempt === undefined ? sql`` : sql` and +attempt = ${opts.attempt}`;
  const inBucket = sql`id >= ${lo} + k * ${width} and id < ${lo} + (k + 1) * ${width} and +run_id = ${runId} and +name = ${opts.name}${attempt}`;
  const picked = await sql<{ mn: number | null; mx: number | null }>`
    with recursive b(k) as (select 0 union all select k + 1 from b where k < ${buckets - 1})
    select (select id from (select id, min(value) from metrics where ${inBucket})) as mn,
           (select id from (select id, max(value) from metrics where ${inBucket})) as mx
    from b`.execute(db);
  const ids = [...new Set(picked.rows.flatMap((r) => [r.mn, r.mx]).filter((v): v is number => v !== null))];
  const rows: Row[] = [];
  for (let i = 0; i < ids.length; i += 500) {
    rows.push(...await db.selectFrom('metrics').select(['id', 'step', 'ts', 'value', 'attempt']).where('id', 'in', ids.slice(i, i + 500)).execute());
  }
  rows.sort((x, y) => x.id - y.id);
  return { points: rows.map(toPoint), total, downsampled: true };
}

/** Each metric's last point and count, without reading every point (a run page over a million-point metric). */
export async function readMetricSummary(db: Kysely<Database>, runId: string): Promise<{ name: string; value: number; step?: number; ts: number; count: number }[]> {
  const rows = await db
    .selectFrom('metrics as m')
    .innerJoin(
      (eb) => eb.selectFrom('metrics').select((e) => ['name', e.fn.max('id').as('last'), e.fn.countAll<number>().as('n')]).where('run_id', '=', runId).groupBy('name').as('c'),
      (j) => j.onRef('m.id', '=', 'c.last'),
    )
    .select(['m.name', 'm.value', 'm.step', 'm.ts', 'c.n'])
    .orderBy('m.name')
    .execute();
  return rows.map((r) => ({ name: r.name, value: r.value, ts: Number(r.ts), count: Number(r.n), ...(r.step !== null ? { step: Number(r.step) } : {}) }));
}

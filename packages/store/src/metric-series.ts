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
  const buckets = Math.max(1, Math.floor(opts.maxPoints / 2));
  const width = (Number(span.hi) - lo + 1) / buckets;
  const bucket = sql<number>`cast((id - ${lo}) / ${width} as integer)`;
  // SQLite gives the other columns of the row that holds min() or max(): the point itself.
  const pick = (agg: 'min' | 'max') => base
    .select(['id', 'step', 'ts', 'attempt', sql<number>`${sql.raw(agg)}(value)`.as('value')])
    .groupBy(bucket)
    .execute();
  const [mins, maxs] = await Promise.all([pick('min'), pick('max')]);
  const byId = new Map<number, Row>();
  for (const r of [...mins, ...maxs]) byId.set(Number(r.id), { ...r, id: Number(r.id) });
  const rows = [...byId.values()].sort((a, b) => a.id - b.id);
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

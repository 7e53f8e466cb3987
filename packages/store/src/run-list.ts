/**
 * Runs in another order than newest first: by a built-in column or by a field (run-fields.ts). A
 * field's runs come first, walked in the order of the run_fields index; runs without the field
 * follow, newest first. Pages by offset.
 */
import { sql, type Kysely, type SelectQueryBuilder, type Selectable } from 'kysely';
import type { Database, RunsTable } from './db-schema.js';
import type { RunFilter, RunSort } from './store.js';

type Filter = Omit<RunFilter, 'cursor' | 'limit' | 'sort' | 'offset'>;
type Apply = <O>(q: SelectQueryBuilder<Database, 'runs', O>, f: Filter) => SelectQueryBuilder<Database, 'runs', O>;
type Row = Selectable<RunsTable>;

const COLUMN = { created: 'id', name: 'name', status: 'status', queue: 'queue', started: 'started_at', finished: 'finished_at' } as const;

export async function listSorted(
  db: Kysely<Database>, f: Filter & { limit: number; offset?: number }, sort: RunSort, apply: Apply,
): Promise<{ rows: Row[]; nextOffset?: number }> {
  const offset = f.offset ?? 0;
  const dir = sort.order;
  let rows: Row[];
  if (typeof sort.key === 'object') {
    const field = sort.key.field;
    const withField = apply(db.selectFrom('runs').innerJoin('run_fields as sf', (j) => j.onRef('sf.run_id', '=', 'runs.id').on('sf.field', '=', field)), f);
    // Ids first (the offset walks the index, not whole rows), then the page's rows.
    const ids = await withField.select('runs.id').orderBy(sql.ref('sf.num'), dir).orderBy(sql.ref('sf.text'), dir).orderBy('runs.id', dir)
      .limit(f.limit + 1).offset(offset).execute();
    rows = await byIds(db, ids.map((r) => r.id));
    if (rows.length <= f.limit) {
      // Past the runs that have the field: those without it, newest first.
      const counted = await withField.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      const skip = Math.max(0, offset - Number(counted.n));
      const without = apply(db.selectFrom('runs'), f).where(({ not, exists, selectFrom }) =>
        not(exists(selectFrom('run_fields').select('run_fields.run_id').whereRef('run_fields.run_id', '=', 'runs.id').where('run_fields.field', '=', field))));
      rows = rows.concat(await without.selectAll('runs').orderBy('runs.id', 'desc').limit(f.limit + 1 - rows.length).offset(skip).execute());
    }
  } else if (sort.key === 'duration') {
    // Unfinished runs have no duration yet: last either way.
    const q = apply(db.selectFrom('runs'), f).selectAll('runs')
      .orderBy(sql`finished_at is null`).orderBy(sql`finished_at - started_at`, dir).orderBy('runs.id', dir);
    rows = await q.limit(f.limit + 1).offset(offset).execute();
  } else {
    const col = COLUMN[sort.key];
    let q = apply(db.selectFrom('runs'), f).selectAll('runs');
    if (col === 'started_at' || col === 'finished_at') q = q.orderBy(sql`${sql.ref(col)} is null`);
    rows = await q.orderBy(col, dir).orderBy('runs.id', dir).limit(f.limit + 1).offset(offset).execute();
  }
  return rows.length > f.limit ? { rows: rows.slice(0, f.limit), nextOffset: offset + f.limit } : { rows };
}

/** Rows of these runs, in the order given. */
async function byIds(db: Kysely<Database>, ids: string[]): Promise<Row[]> {
  if (!ids.length) return [];
  const found = new Map((await db.selectFrom('runs').selectAll().where('id', 'in', ids).execute()).map((r) => [r.id, r]));
  return ids.flatMap((id) => found.get(id) ?? []);
}

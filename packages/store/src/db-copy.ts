/**
 * `regatta db copy`: moves an install's SQLite file into an empty PostgreSQL database, every table
 * whole (ids and submission order kept), in one transaction, then compares the row counts.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { ConflictError, RegattaError } from '@regatta/core';
import type { Database } from './db-schema.js';
import { migrate } from './kysely-store.js';
import { postgresKysely } from './postgres.js';
import { sqliteKysely } from './sqlite.js';

/** Parents before children; every table the migrations create. */
const TABLES = ['queues', 'users', 'tokens', 'nodes', 'datasets', 'template_versions', 'groups', 'runs', 'run_labels', 'attempts', 'events', 'metrics', 'artifacts', 'run_fields', 'sessions'] as const;
/** Generated keys whose Postgres sequence must continue after the copied ids. */
const SERIALS: readonly [string, string][] = [['runs', 'seq'], ['events', 'id'], ['metrics', 'id']];

export interface CopyReport {
  tables: { table: string; source: number; target: number }[];
}

type Row = Record<string, unknown>;

const count = async (db: Kysely<Database>, table: string): Promise<number> =>
  Number((await sql<{ n: number }>`select count(*) as n from ${sql.table(table)}`.execute(db)).rows[0]?.n ?? 0);

export async function copyDatabase(from: string, to: string, opts: { onTable?: (table: string, rows: number) => void } = {}): Promise<CopyReport> {
  const src = sqliteKysely(from, { readonly: true });
  const dst = await postgresKysely(to, { max: 2 });
  try {
    // The source must be at the schema this copier knows: a newer file has tables it would drop.
    const names = await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like 'kysely_%'`.execute(src);
    const unknown = names.rows.map((r) => r.name).filter((n) => !(TABLES as readonly string[]).includes(n));
    if (unknown.length) throw new RegattaError('invalid_request', `${from} has tables this version does not know (${unknown.join(', ')}): copy with the Regatta that wrote it`);
    const missing = TABLES.filter((t) => !names.rows.some((r) => r.name === t));
    if (missing.length) throw new RegattaError('invalid_request', `${from} lacks ${missing.join(', ')}: start a server on it once so it is migrated, then copy`);
    await migrate(dst);
    for (const t of TABLES) {
      if (await count(dst, t)) throw new ConflictError(`the target database already has ${t}: copy into an empty database`);
    }
    await dst.transaction().execute(async (trx) => {
      for (const t of TABLES) {
        let after = 0;
        let copied = 0;
        for (;;) {
          // Keyset pages over SQLite's rowid: constant cost per page however large the table.
          const page = await sql<Row>`select rowid as rowid__, * from ${sql.table(t)} where rowid > ${after} order by rowid limit 1000`.execute(src);
          const last = page.rows[page.rows.length - 1];
          if (!last) break;
          after = Number(last.rowid__);
          const rows = page.rows.map(({ rowid__: _r, ...rest }) => rest);
          const cols = Object.keys(rows[0] ?? {});
          // Postgres takes at most 65535 parameters a statement.
          const per = Math.max(1, Math.floor(30000 / Math.max(1, cols.length)));
          for (let i = 0; i < rows.length; i += per) {
            const values: RawBuilder<unknown>[] = rows.slice(i, i + per).map((r) => sql`(${sql.join(cols.map((c) => r[c] ?? null))})`);
            await sql`insert into ${sql.table(t)} (${sql.join(cols.map((c) => sql.ref(c)))}) values ${sql.join(values)}`.execute(trx);
          }
          copied += rows.length;
        }
        opts.onTable?.(t, copied);
      }
      for (const [t, c] of SERIALS) {
        await sql`select setval(pg_get_serial_sequence(${t}, ${c}), coalesce((select max(${sql.ref(c)}) from ${sql.table(t)}), 0) + 1, false)`.execute(trx);
      }
    });
    const tables = [];
    for (const t of TABLES) tables.push({ table: t, source: await count(src, t), target: await count(dst, t) });
    const off = tables.filter((x) => x.source !== x.target);
    if (off.length) throw new RegattaError('internal', `copied counts differ: ${off.map((x) => `${x.table} ${x.source} → ${x.target}`).join(', ')}`);
    return { tables };
  } finally {
    await src.destroy();
    await dst.destroy();
  }
}

/** A team's store: PostgreSQL through `pg`, the same Kysely queries as SQLite. */
import type pg from 'pg';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { RegattaError } from '@regatta/core';
import type { Database } from './db-schema.js';
import { createKyselyStore, migrate } from './kysely-store.js';
import type { Store } from './store.js';

const INT8 = 20;

/** True for a `postgres://` or `postgresql://` URL (anything else is a SQLite file path). */
export const isPostgresUrl = (db: string): boolean => /^postgres(ql)?:\/\//i.test(db);

/**
 * A Kysely over a pool to the database; bigint columns (times in ms, ids) come back as numbers.
 * `pg` is loaded here, not by every server: one on SQLite never needs it.
 */
export async function postgresKysely(url: string, opts: { max?: number } = {}): Promise<Kysely<Database>> {
  const { default: pg } = await import('pg');
  const pool: pg.Pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 10,
    // Millisecond times and generated ids stay far below 2^53; strings would leak into every record.
    types: { getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === INT8 ? Number : pg.types.getTypeParser(oid, format ?? 'text'))) as typeof pg.types.getTypeParser },
  });
  // An idle connection the server closed (a restart of Postgres) must not crash the process: the
  // pool drops it and the next query opens another.
  pool.on('error', () => undefined);
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

/** Where a URL points, without its password (for messages). */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.username ? `${decodeURIComponent(u.username)}@` : ''}${u.host}${u.pathname}`;
  } catch {
    return 'the database URL (malformed)';
  }
}

export async function openPostgresStore(url: string): Promise<Store> {
  const db = await postgresKysely(url);
  try {
    // Asked first so that a wrong host, password or database name says so, not "migration failed".
    await sql`select 1`.execute(db);
  } catch (e) {
    await db.destroy();
    throw new RegattaError('invalid_request', `cannot use PostgreSQL at ${describeUrl(url)}: ${e instanceof Error ? e.message || e.name : String(e)}`, { cause: e });
  }
  try {
    await migrate(db);
  } catch (e) {
    await db.destroy();
    throw e;
  }
  return createKyselyStore(db);
}

/** The embedded default: a SQLite file in WAL mode. */
import Sqlite from 'better-sqlite3';
import { Kysely, SqliteDialect, type SqliteDatabase, type SqliteStatement } from 'kysely';
import type { Database } from './db-schema.js';
import { createKyselyStore, migrate } from './kysely-store.js';
import type { Store } from './store.js';

/**
 * Kysely prepares every query anew; statements are reused here instead, keyed by their SQL, which
 * roughly halves the cost of the store on the hot path. Safe because Kysely's SQLite driver runs one
 * query at a time on its single connection.
 */
function withStatementCache(db: Sqlite.Database, max = 500): SqliteDatabase {
  const cache = new Map<string, SqliteStatement>();
  return {
    close: () => db.close(),
    prepare(sql) {
      let stmt = cache.get(sql);
      if (!stmt) {
        if (cache.size >= max) cache.delete(cache.keys().next().value as string);
        stmt = db.prepare(sql);
        cache.set(sql, stmt);
      }
      return stmt;
    },
  };
}

/** A Kysely over the file (WAL, the server's pragmas). */
export function sqliteKysely(file: string, opts: { readonly?: boolean } = {}): Kysely<Database> {
  const sqlite = new Sqlite(file, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false });
  if (opts.readonly) return new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  sqlite.pragma('journal_mode = WAL');
  // NORMAL in WAL mode survives a crash of the process (kill -9); only an OS crash may lose the
  // last transactions, which is the trade the embedded default makes for throughput.
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  return new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
}

export async function openSqliteStore(file: string): Promise<Store> {
  const db = sqliteKysely(file);
  await migrate(db);
  return createKyselyStore(db);
}

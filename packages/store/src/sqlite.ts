/** The embedded default: a SQLite file in WAL mode. */
import Sqlite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { Database } from './db-schema.js';
import { createKyselyStore, migrate } from './kysely-store.js';
import type { Store } from './store.js';

export async function openSqliteStore(file: string): Promise<Store> {
  const sqlite = new Sqlite(file);
  sqlite.pragma('journal_mode = WAL');
  // NORMAL in WAL mode survives a crash of the process (kill -9); only an OS crash may lose the
  // last transactions, which is the trade the embedded default makes for throughput.
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  await migrate(db);
  return createKyselyStore(db);
}

/** Which SQL dialect a Kysely instance speaks, for the few queries that differ (see migrations.ts). */
import { PostgresAdapter, type Kysely } from 'kysely';
import type { SqlDialect } from './migrations.js';

export function dialectOf(db: Pick<Kysely<unknown>, 'getExecutor'>): SqlDialect {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
}

export const isPostgres = (db: Pick<Kysely<unknown>, 'getExecutor'>): boolean => dialectOf(db) === 'postgres';

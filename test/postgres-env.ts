/**
 * A real PostgreSQL for tests (scripts/postgres-test-env.sh): one private cluster per test file,
 * started on first use, and a database of its own for each data dir (a restarted server finds its
 * runs again). `REGATTA_TEST_DB=postgres` puts every test server on it; `REGATTA_TEST_PG_URL` names
 * a cluster started outside instead (CI starts one for all files).
 */
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { startEnv } from './env-script.js';

export const POSTGRES_ENV_SCRIPT = join(resolve(import.meta.dirname, '..'), 'scripts/postgres-test-env.sh');

export const testDbIsPostgres = (): boolean => process.env.REGATTA_TEST_DB === 'postgres';

let cluster: Promise<{ url: string; stop(): Promise<void> }> | undefined;

function startCluster(): Promise<{ url: string; stop(): Promise<void> }> {
  const outside = process.env.REGATTA_TEST_PG_URL;
  if (outside) return Promise.resolve({ url: outside, stop: () => Promise.resolve() });
  return startEnv(POSTGRES_ENV_SCRIPT, 'rpg-', ({ vars, stop }) => {
    const url = vars.get('PG_URL');
    if (!url) throw new Error('postgres-test-env.sh printed no PG_URL');
    return { url, stop };
  });
}

/** The URL of a database of its own for `key` (a data dir, a test's name), created when missing. */
export async function postgresDatabase(key: string): Promise<string> {
  cluster ??= startCluster();
  const { url } = await cluster;
  const name = `r_${createHash('sha256').update(key).digest('hex').slice(0, 24)}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    const found = await admin.query('select 1 from pg_database where datname = $1', [name]);
    if (!found.rowCount) await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Stops this file's cluster (test/setup.ts, after each file). */
export async function stopTestPostgres(): Promise<void> {
  const c = cluster;
  cluster = undefined;
  if (c) await (await c).stop();
}

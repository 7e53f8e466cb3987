import { Migrator, sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createKyselyStore, migrate } from './kysely-store.js';
import { migrationProvider } from './migrations.js';
import { sqliteKysely } from './sqlite.js';

describe('upgrading a database from before users', () => {
  it("makes its tokens the bootstrap admin's, so the first-start token keeps working", async () => {
    const db = sqliteKysely(':memory:');
    const old = await new Migrator({ db, provider: migrationProvider('sqlite') }).migrateTo('0009_sessions');
    expect(old.error).toBeUndefined();
    await sql`insert into tokens (id, name, role, hash, created_at) values ('t1', 'admin', 'admin', 'h1', 5)`.execute(db);
    await migrate(db);
    const store = createKyselyStore(db);
    expect(await store.findToken('h1')).toEqual({ id: 't1', name: 'admin', user: 'admin', createdAt: 5 });
    expect(await store.getUser('admin')).toEqual({ name: 'admin', role: 'admin', disabled: false, createdAt: 5 });
    await store.close();
  });
});

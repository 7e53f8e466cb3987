import { sql, type Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { sqliteKysely } from './sqlite.js';
import { createShapeCache } from './shape-cache.js';

describe('the shape cache', () => {
  const open = async () => {
    const db = sqliteKysely(':memory:') as unknown as Kysely<{ t: { id: number; a: string | null; b: number | null } }>;
    await sql`create table t (id integer primary key, a text, b integer)`.execute(db);
    return db;
  };
  const rows = async (db: Awaited<ReturnType<typeof open>>) => (await sql<{ id: number; a: string | null; b: number | null }>`select * from t order by id`.execute(db)).rows;

  it('compiles a shape once and runs it again with new values', async () => {
    const db = await open();
    const shaped = createShapeCache();
    let builds = 0;
    for (const [id, a, b] of [[1, 'x', 10], [2, 'y', 20], [3, null, 30]] as const) {
      const values = { id, a, b };
      await shaped(db, 'ins', Object.values(values), () => { builds++; return db.insertInto('t').values(values); });
    }
    expect(builds).toBe(1);
    expect(await rows(db)).toEqual([{ id: 1, a: 'x', b: 10 }, { id: 2, a: 'y', b: 20 }, { id: 3, a: null, b: 30 }]);
    const { numAffectedRows } = await shaped(db, 'upd', ['z', 2], () => db.updateTable('t').set({ a: 'z' }).where('id', '=', 2));
    expect(numAffectedRows).toBe(1n);
    await db.destroy();
  });

  it('compiles every time a shape whose parameters are not its values (an SQL expression among them)', async () => {
    const db = await open();
    const shaped = createShapeCache();
    let builds = 0;
    for (const id of [1, 2, 3]) {
      // b is computed by the database: the compiled parameters are [id, id], not the one value given.
      await shaped(db, 'expr', [id], () => { builds++; return db.insertInto('t').values({ id, b: sql`${id} * 100` }); });
    }
    expect(builds).toBe(3);
    expect((await rows(db)).map((r) => r.b)).toEqual([100, 200, 300]);
    await db.destroy();
  });

  it('compiles a query with an undefined value as it comes (Kysely leaves that column out)', async () => {
    const db = await open();
    const shaped = createShapeCache();
    let builds = 0;
    for (const [id, a] of [[1, 'x'], [2, undefined], [3, 'z']] as const) {
      const values = { id, a, b: 5 };
      await shaped(db, 'ins', Object.values(values), () => { builds++; return db.insertInto('t').values(values); });
    }
    expect(builds).toBe(2);
    expect(await rows(db)).toEqual([{ id: 1, a: 'x', b: 5 }, { id: 2, a: null, b: 5 }, { id: 3, a: 'z', b: 5 }]);
    await db.destroy();
  });
});

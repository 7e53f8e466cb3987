/** Browser sessions, stored so that signing out or an admin's revocation ends them at once. */
import type { Kysely } from 'kysely';
import type { Database } from './db-schema.js';
import type { SessionRecord, Store } from './store.js';

type SessionMethods = Pick<Store, 'createSession' | 'findSession' | 'listSessions' | 'deleteSession'>;

export function createSessionMethods(db: Kysely<Database>): SessionMethods {
  const toRecord = (r: { id: string; token_id: string; created_at: number | string | bigint; expires_at: number | string | bigint }): SessionRecord => ({
    id: r.id, tokenId: r.token_id, createdAt: Number(r.created_at), expiresAt: Number(r.expires_at),
  });
  return {
    async createSession(session, hash) {
      // Expired sessions go when new ones come: the table holds live ones only, roughly.
      await db.deleteFrom('sessions').where('expires_at', '<=', session.createdAt).execute();
      await db.insertInto('sessions').values({
        id: session.id, token_id: session.tokenId, hash, created_at: session.createdAt, expires_at: session.expiresAt,
      }).execute();
    },
    async findSession(hash) {
      const r = await db.selectFrom('sessions').selectAll().where('hash', '=', hash).executeTakeFirst();
      return r && toRecord(r);
    },
    async listSessions() {
      return (await db.selectFrom('sessions').selectAll().orderBy('created_at', 'desc').execute()).map(toRecord);
    },
    async deleteSession(id) {
      const r = await db.deleteFrom('sessions').where('id', '=', id).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },
  };
}

/** Users and their personal tokens. Removing a user removes their tokens in the same transaction. */
import type { Kysely, Selectable } from 'kysely';
import { BOOTSTRAP_USER, ConflictError, type Role } from '@regatta/core';
import type { Database, TokensTable, UsersTable } from './db-schema.js';
import { num, optNum } from './rows.js';
import type { Store, TokenRecord, UserRecord } from './store.js';

type UserMethods = Pick<Store,
  'createToken' | 'findToken' | 'getToken' | 'listTokens' | 'deleteToken' | 'countTokens'
  | 'createUser' | 'getUser' | 'listUsers' | 'setUserDisabled' | 'setUserRole' | 'removeUser'>;

const toToken = (t: Selectable<TokensTable>): TokenRecord => {
  const expiresAt = optNum(t.expires_at);
  return { id: t.id, name: t.name, user: t.user_name ?? BOOTSTRAP_USER, createdAt: num(t.created_at), ...(expiresAt !== undefined ? { expiresAt } : {}) };
};
const toUser = (u: Selectable<UsersTable>): UserRecord => ({ name: u.name, role: u.role as Role, disabled: u.disabled === 1, createdAt: num(u.created_at) });

export function createUserMethods(db: Kysely<Database>): UserMethods {
  return {
    async createToken(token, hash) {
      await db.insertInto('tokens').values({
        // `role` is a column of old databases: a token acts with its user's role.
        id: token.id, name: token.name, role: 'user', hash, created_at: token.createdAt, user_name: token.user, expires_at: token.expiresAt ?? null,
      }).execute();
    },
    async findToken(hash) {
      const t = await db.selectFrom('tokens').selectAll().where('hash', '=', hash).executeTakeFirst();
      return t && toToken(t);
    },
    async getToken(id) {
      const t = await db.selectFrom('tokens').selectAll().where('id', '=', id).executeTakeFirst();
      return t && toToken(t);
    },
    async listTokens(user) {
      let q = db.selectFrom('tokens').selectAll();
      if (user !== undefined) q = q.where('user_name', '=', user);
      return (await q.orderBy('created_at', 'desc').orderBy('id', 'desc').execute()).map(toToken);
    },
    async deleteToken(id) {
      const r = await db.deleteFrom('tokens').where('id', '=', id).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },
    async countTokens() {
      const r = await db.selectFrom('tokens').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      return num(r.n);
    },
    async createUser(user) {
      // Insert-if-absent, then check: a unique violation's shape differs between drivers.
      const r = await db.insertInto('users').values({ name: user.name, role: user.role, disabled: user.disabled ? 1 : 0, created_at: user.createdAt })
        .onConflict((oc) => oc.column('name').doNothing()).executeTakeFirst();
      if (Number(r.numInsertedOrUpdatedRows ?? 0n) === 0) throw new ConflictError(`a user named ${user.name} already exists`);
    },
    async getUser(name) {
      const u = await db.selectFrom('users').selectAll().where('name', '=', name).executeTakeFirst();
      return u && toUser(u);
    },
    async listUsers() {
      return (await db.selectFrom('users').selectAll().orderBy('name').execute()).map(toUser);
    },
    async setUserDisabled(name, disabled) {
      const r = await db.updateTable('users').set({ disabled: disabled ? 1 : 0 }).where('name', '=', name).executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },
    async setUserRole(name, role) {
      const r = await db.updateTable('users').set({ role }).where('name', '=', name).executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },
    async removeUser(name) {
      return db.transaction().execute(async (trx) => {
        await trx.deleteFrom('tokens').where('user_name', '=', name).execute();
        const r = await trx.deleteFrom('users').where('name', '=', name).executeTakeFirst();
        return Number(r.numDeletedRows) > 0;
      });
    },
  };
}

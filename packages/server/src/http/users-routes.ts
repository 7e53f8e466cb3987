/** Users (admins manage them) and personal tokens (each user their own; admins anyone's). */
import { z } from 'zod';
import { serializerCompiler, type FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { FastifyRequest } from 'fastify';
import {
  BOOTSTRAP_USER, ConflictError, ID_PATTERN, MAX_DURATION_MS, NotFoundError, ROLES, RegattaError, USER_NAME_PATTERN, USER_NAME_RULE, newId, parseDuration,
} from '@regatta/core';
import type { Store, TokenRecord, UserRecord } from '@regatta/store';
import { hashToken, newTokenSecret, type Authenticator, type UserPrincipal } from '../auth.js';
import { createdTokenSchema, tokenListSchema, userAddedSchema, userListSchema, userViewSchema } from '@regatta/core/api-schema';
import { problems } from './openapi.js';

const userName = z.string().regex(USER_NAME_PATTERN, USER_NAME_RULE);
const role = z.enum(ROLES);
const tokenName = z.string().min(1).max(100).regex(/^[^\u0000-\u001f]*$/, 'no control characters');
const expires = z.string().max(20).refine((v) => {
  const ms = parseDuration(v);
  return ms !== undefined && ms > 0 && ms <= MAX_DURATION_MS;
}, 'a duration such as 30d, 12h or 90m (at most 366d)').describe('How long the token works, e.g. 30d; none: until revoked');

const errors = problems(400, 404, 409);
const noContent = { 204: z.null().describe('No content'), ...errors };

const iso = (ms: number) => new Date(ms).toISOString();
const bootstrapStays = () => new ConflictError(`${BOOTSTRAP_USER} is the bootstrap admin (REGATTA_TOKEN acts as it) and stays an admin; revoke its tokens instead`);

function me(req: FastifyRequest): UserPrincipal {
  const p = req.principal;
  if (p?.kind !== 'user') throw new RegattaError('forbidden', 'this endpoint needs a personal token, not a job token');
  return p;
}

/** Registered as a plugin: its routes' responses are checked against their declared schemas. */
export const userRoutes = (store: Store, auth: Authenticator, now: () => number): FastifyPluginAsyncZod => async (app) => {
  app.setSerializerCompiler(serializerCompiler);
  const viewToken = (t: TokenRecord) => ({
    id: t.id, name: t.name, user: t.user, createdAt: iso(t.createdAt),
    expiresAt: t.expiresAt !== undefined ? iso(t.expiresAt) : null, expired: t.expiresAt !== undefined && t.expiresAt <= now(),
  });
  const viewUser = async (u: UserRecord) => ({ name: u.name, role: u.role, disabled: u.disabled, createdAt: iso(u.createdAt), tokens: (await store.listTokens(u.name)).length });
  const issue = async (user: string, name: string, expiresIn: string | undefined) => {
    const at = now();
    const ms = expiresIn === undefined ? undefined : parseDuration(expiresIn);
    const record: TokenRecord = { id: newId(at), name, user, createdAt: at, ...(ms !== undefined ? { expiresAt: at + ms } : {}) };
    const secret = newTokenSecret();
    await store.createToken(record, hashToken(secret));
    return { ...viewToken(record), token: secret };
  };
  const findUser = async (name: string) => {
    const u = await store.getUser(name);
    if (!u) throw new NotFoundError('user', name);
    return u;
  };

  app.get('/api/v1/users', {
    schema: { summary: 'Users with their role (admin)', tags: ['users'], response: { 200: userListSchema, ...errors } },
  }, async () => ({ items: await Promise.all((await store.listUsers()).map(viewUser)) }));

  app.post('/api/v1/users', {
    schema: {
      body: z.strictObject({ name: userName, role, tokenName: tokenName.optional().describe('Name of the first token (default: the user name)'), expires: expires.optional() }),
      summary: 'Add a user with a first personal token, returned this once (admin)', tags: ['users'],
      response: { 201: userAddedSchema, ...errors },
    },
  }, async (req, reply) => {
    const { name, role: r, tokenName: tn, expires: ex } = req.body;
    await store.createUser({ name, role: r, disabled: false, createdAt: now() });
    const token = await issue(name, tn ?? name, ex);
    return reply.code(201).header('location', `/api/v1/users/${name}`).send({ user: await viewUser(await findUser(name)), token });
  });

  app.patch('/api/v1/users/:name', {
    schema: {
      params: z.strictObject({ name: userName }),
      body: z.strictObject({ role: role.optional(), disabled: z.boolean().optional().describe("A disabled user's tokens and sessions stop working at once") })
        .refine((b) => b.role !== undefined || b.disabled !== undefined, 'give role or disabled'),
      summary: "Change a user's role, or disable or enable them (admin)", tags: ['users'],
      response: { 200: userViewSchema, ...errors },
    },
  }, async (req) => {
    const p = me(req);
    const u = await findUser(req.params.name);
    if (u.name === BOOTSTRAP_USER && (req.body.disabled === true || (req.body.role !== undefined && req.body.role !== 'admin'))) throw bootstrapStays();
    if (u.name === p.user && (req.body.disabled === true || (req.body.role !== undefined && req.body.role !== 'admin'))) {
      throw new RegattaError('conflict', 'you cannot disable yourself or drop your own admin role (another admin can)');
    }
    if (req.body.disabled !== undefined) await store.setUserDisabled(u.name, req.body.disabled);
    if (req.body.role !== undefined) await store.setUserRole(u.name, req.body.role);
    auth.forget();
    return viewUser(await findUser(u.name));
  });

  app.delete('/api/v1/users/:name', {
    schema: { params: z.strictObject({ name: userName }), summary: 'Remove a user and revoke their tokens; their runs keep their name (admin)', tags: ['users'], response: noContent },
  }, async (req, reply) => {
    if (req.params.name === BOOTSTRAP_USER) throw bootstrapStays();
    if (req.params.name === me(req).user) throw new ConflictError('you cannot remove yourself (another admin can)');
    if (!(await store.removeUser(req.params.name))) throw new NotFoundError('user', req.params.name);
    auth.forget();
    return reply.code(204).send(null);
  });

  app.get('/api/v1/tokens', {
    schema: {
      querystring: z.strictObject({ user: userName.optional().describe("Another user's tokens (admin)") }),
      summary: 'Your personal tokens (never their secrets)', tags: ['users'],
      response: { 200: tokenListSchema, ...errors },
    },
  }, async (req) => {
    const p = me(req);
    const user = req.query.user ?? p.user;
    if (user !== p.user && p.role !== 'admin') throw new RegattaError('forbidden', "only admins list another user's tokens");
    return { items: (await store.listTokens(user)).map(viewToken) };
  });

  app.post('/api/v1/tokens', {
    schema: {
      body: z.strictObject({ name: tokenName, expires: expires.optional(), user: userName.optional().describe('Make it for another user (admin)') }),
      summary: 'Create a personal token, returned this once', tags: ['users'],
      response: { 201: createdTokenSchema, ...errors },
    },
  }, async (req, reply) => {
    const p = me(req);
    const user = req.body.user ?? p.user;
    if (user !== p.user && p.role !== 'admin') {
      throw new RegattaError('forbidden', 'only admins create tokens for another user', { issues: [{ path: 'user', message: `you are ${p.user}` }] });
    }
    // The bootstrap token (REGATTA_TOKEN) has no stored user until one is added.
    if (!(await store.getUser(user))) throw new RegattaError('invalid_request', `no user named ${user}`, { issues: [{ path: 'user', message: 'no such user' }] });
    return reply.code(201).send(await issue(user, req.body.name, req.body.expires));
  });

  app.delete('/api/v1/tokens/:id', {
    schema: { params: z.strictObject({ id: z.string().regex(ID_PATTERN, 'not a token id') }), summary: 'Revoke a token: refused from the next request on', tags: ['users'], response: noContent },
  }, async (req, reply) => {
    const p = me(req);
    const t = await store.getToken(req.params.id);
    if (!t) throw new NotFoundError('token', req.params.id);
    if (t.user !== p.user && p.role !== 'admin') throw new RegattaError('forbidden', `token ${t.id} belongs to ${t.user}; only admins revoke another user's tokens`);
    await store.deleteToken(t.id);
    auth.forget();
    return reply.code(204).send(null);
  });
};

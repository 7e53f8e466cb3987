/** Browser sign-in: a token exchanged for an HttpOnly session cookie, so pages and EventSource need no token in JS. */
import { z } from 'zod';
import { ID_PATTERN, NotFoundError, RegattaError } from '@regatta/core';
import type { Store } from '@regatta/store';
import { principalFromCookie, sessionCookie, type Authenticator } from '../auth.js';
import { requireAdmin, type App } from './context.js';
import { noContent, sessionListSchema, whoAmISchema } from '@regatta/core/api-schema';
import { problems, publicProblems } from './openapi.js';

const sessionBody = z.strictObject({ token: z.string().min(1).max(500).describe('A personal API token') });

export function registerSessionRoutes(app: App, auth: Authenticator, store: Store, now: () => number): void {
  app.post('/api/v1/session', {
    schema: { body: sessionBody, summary: 'Sign in: sets an HttpOnly, SameSite=Strict session cookie; needs no other token', tags: ['session'],
      response: { 204: noContent, ...publicProblems(400, 401) },
    },
  }, async (req, reply) => {
    const session = await auth.createSession(req.body.token, now());
    if (!session) {
      const why = await auth.refusal(req.body.token);
      throw new RegattaError('unauthorized', why, { issues: [{ path: 'token', message: why }] });
    }
    return reply.code(204).header('set-cookie', sessionCookie(session, req.protocol === 'https')).send(undefined);
  });

  app.delete('/api/v1/session', { schema: { summary: 'Sign out: ends the session server-side and clears the cookie', tags: ['session'], response: { 204: noContent, ...publicProblems() } } }, async (req, reply) => {
    // Public like sign-in (a stale cookie can still sign out): the cookie names the session to end.
    const p = await principalFromCookie(auth, req.headers.cookie, now());
    if (p?.kind === 'user' && p.sessionId) await auth.endSession(p.sessionId);
    return reply.code(204).header('set-cookie', sessionCookie(undefined, req.protocol === 'https')).send(undefined);
  });

  app.get('/api/v1/sessions', { schema: { summary: 'Browser sessions that are signed in (admin)', tags: ['session'], response: { 200: sessionListSchema, ...problems() } } }, async (req) => {
    requireAdmin(req);
    const current = req.principal?.kind === 'user' ? req.principal.sessionId : undefined;
    const at = now();
    return {
      items: (await store.listSessions()).filter((s) => s.expiresAt > at).map((s) => ({
        id: s.id, tokenId: s.tokenId, createdAt: new Date(s.createdAt).toISOString(), expiresAt: new Date(s.expiresAt).toISOString(), current: s.id === current,
      })),
    };
  });

  app.delete('/api/v1/sessions/:id', {
    schema: { params: z.strictObject({ id: z.string().regex(ID_PATTERN, 'not a session id') }), summary: 'Revoke a browser session (admin)', tags: ['session'],
      response: { 204: noContent, ...problems(400, 404) },
    },
  }, async (req, reply) => {
    requireAdmin(req);
    if (!(await auth.endSession(req.params.id))) throw new NotFoundError('session', req.params.id);
    return reply.code(204).send();
  });

  app.get('/api/v1/session', { schema: { summary: 'Who is signed in (401 when nobody)', tags: ['session'], response: { 200: whoAmISchema, ...problems() } } }, (req) => {
    requireAdmin(req);
    const p = req.principal?.kind === 'user' ? req.principal : undefined;
    return { kind: 'user', user: p?.user ?? null, role: p?.role ?? null, tokenId: p?.tokenId ?? null, sessionId: p?.sessionId ?? null };
  });
}

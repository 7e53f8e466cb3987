/** Browser sign-in: a token exchanged for an HttpOnly session cookie, so pages and EventSource need no token in JS. */
import { z } from 'zod';
import { RegattaError } from '@regatta/core';
import { sessionCookie, type Authenticator } from '../auth.js';
import { requireAdmin, type App } from './context.js';

const sessionBody = z.strictObject({ token: z.string().min(1).max(500).describe('An admin API token') });

export function registerSessionRoutes(app: App, auth: Authenticator, now: () => number): void {
  app.post('/api/v1/session', {
    schema: { body: sessionBody, summary: 'Sign in: sets an HttpOnly, SameSite=Strict session cookie; needs no other token', tags: ['session'] },
  }, async (req, reply) => {
    const session = await auth.createSession(req.body.token, now());
    if (!session) {
      throw new RegattaError('unauthorized', 'the token is not a valid admin token', { issues: [{ path: 'token', message: 'not a valid admin token' }] });
    }
    return reply.code(204).header('set-cookie', sessionCookie(session, req.protocol === 'https')).send();
  });

  app.delete('/api/v1/session', { schema: { summary: 'Sign out: clears the session cookie', tags: ['session'] } }, (req, reply) =>
    reply.code(204).header('set-cookie', sessionCookie(undefined, req.protocol === 'https')).send());

  app.get('/api/v1/session', { schema: { summary: 'Who is signed in (401 when nobody)', tags: ['session'] } }, (req) => {
    requireAdmin(req);
    return { kind: 'admin', tokenId: req.principal?.kind === 'admin' ? req.principal.tokenId : null };
  });
}

/** `?user=NAME` and `?mine=true` on lists: what someone created. */
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { RegattaError, USER_NAME_PATTERN, USER_NAME_RULE } from '@regatta/core';
import { userOf } from './context.js';

export const userFilterQuery = {
  user: z.string().regex(USER_NAME_PATTERN, USER_NAME_RULE).optional().describe('Only what this user created'),
  mine: z.enum(['true', 'false']).optional().describe("Only what the caller created (the caller's user)"),
};

export function createdByFilter(req: FastifyRequest, q: { user?: string | undefined; mine?: 'true' | 'false' | undefined }): { createdBy?: string } {
  if (q.mine === 'true') {
    const me = userOf(req);
    if (me === undefined) throw new RegattaError('invalid_request', 'mine=true needs a personal token', { issues: [{ path: 'query.mine', message: 'no user: a job token has none' }] });
    if (q.user !== undefined && q.user !== me) {
      throw new RegattaError('invalid_request', `mine=true and user=${q.user} disagree`, { issues: [{ path: 'query.user', message: 'give user or mine, not both' }] });
    }
    return { createdBy: me };
  }
  return q.user !== undefined ? { createdBy: q.user } : {};
}

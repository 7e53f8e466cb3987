/**
 * What each role may do, decided once per request before any handler: admins everything; members
 * read, submit, and change only their own runs, groups and datasets; viewers only read (and manage
 * their own tokens). Handlers only check that the caller is a person, not a job (requireAdmin).
 */
import type { FastifyRequest } from 'fastify';
import { RegattaError } from '@regatta/core';
import type { Store } from '@regatta/store';
import type { UserPrincipal } from '../auth.js';
import type { App } from './context.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Routes (method and pattern) only an admin may call. */
const ADMIN_ONLY = new Set([
  'PUT /api/v1/queues/:name', 'POST /api/v1/nodes', 'DELETE /api/v1/nodes/:name',
  'GET /api/v1/sessions', 'DELETE /api/v1/sessions/:id', 'GET /metrics',
  'GET /api/v1/users', 'POST /api/v1/users', 'PATCH /api/v1/users/:name', 'DELETE /api/v1/users/:name',
]);

/** Writes a viewer may make: their own tokens (the routes themselves keep them to their own). */
const SELF_SERVICE = new Set(['POST /api/v1/tokens', 'DELETE /api/v1/tokens/:id']);

type Owned = { kind: 'run' | 'group' | 'dataset'; verb: string };
/** Writes that act on one thing named by the path: members only on what they created. */
const OWNED: Record<string, Owned> = {
  'POST /api/v1/runs/:id/cancel': { kind: 'run', verb: 'cancel' },
  'POST /api/v1/runs/:id/finish': { kind: 'run', verb: 'finish' },
  'POST /api/v1/runs/:id/metrics': { kind: 'run', verb: 'report metrics to' },
  'POST /api/v1/runs/:id/events': { kind: 'run', verb: 'add events to' },
  'POST /api/v1/runs/:id/result': { kind: 'run', verb: 'set the result of' },
  'PUT /api/v1/runs/:id/result': { kind: 'run', verb: 'set the result of' },
  'POST /api/v1/groups/:id/cancel': { kind: 'group', verb: 'cancel' },
  'POST /api/v1/groups/:id/rerun': { kind: 'group', verb: 'rerun' },
  'POST /api/v1/groups/:id/resume': { kind: 'group', verb: 'resume' },
  'DELETE /api/v1/datasets/:name': { kind: 'dataset', verb: 'remove' },
};

const PLURAL = { run: 'runs', group: 'groups', dataset: 'datasets' } as const;

/**
 * Why a member may not act on a thing someone else created; undefined when they may (admins may
 * always). A thing from before users existed has no creator: only admins act on it.
 */
export function ownerRefusal(p: UserPrincipal, kind: Owned['kind'], id: string, createdBy: string | undefined, verb: string): RegattaError | undefined {
  if (p.role === 'admin' || (createdBy !== undefined && createdBy === p.user)) return undefined;
  const who = createdBy === undefined ? 'has no recorded creator' : `was ${kind === 'dataset' ? 'registered' : 'submitted'} by ${createdBy}`;
  return new RegattaError('forbidden', `${kind} ${id} ${who}; members may ${verb} only their own ${PLURAL[kind]}`);
}

const paramOf = (req: FastifyRequest, key: 'id' | 'name'): string | undefined => {
  const params: unknown = req.params;
  if (typeof params !== 'object' || params === null || !(key in params)) return undefined;
  const v: unknown = (params as Record<string, unknown>)[key];
  return typeof v === 'string' ? v : undefined;
};

export function registerRoleGate(app: App, store: Store): void {
  // After authentication (registered after its hook): by role alone, before the body is even read.
  app.addHook('onRequest', async (req) => {
    const p = req.principal;
    if (p?.kind !== 'user' || p.role === 'admin') return;
    const key = `${req.method} ${req.routeOptions.url ?? ''}`;
    if (ADMIN_ONLY.has(key)) throw new RegattaError('forbidden', `${req.method} ${req.routeOptions.url ?? ''} needs the admin role (${p.user} is a ${p.role})`);
    if (p.role === 'viewer' && !SAFE_METHODS.has(req.method) && !SELF_SERVICE.has(key)) {
      throw new RegattaError('forbidden', `${p.user} is a viewer: viewers may only read`);
    }
  });
  // After validation: the path's id is well-formed, so it can be looked up.
  app.addHook('preHandler', async (req) => {
    const p = req.principal;
    if (p?.kind !== 'user' || p.role === 'admin') return;
    const owned = OWNED[`${req.method} ${req.routeOptions.url ?? ''}`];
    if (!owned) return;
    const id = paramOf(req, owned.kind === 'dataset' ? 'name' : 'id');
    if (id === undefined) return;
    const thing = owned.kind === 'run' ? await store.getRun(id)
      : owned.kind === 'group' ? await store.getGroup(id)
        : (await store.listDatasets()).find((d) => d.name === id);
    if (!thing) return; // the handler answers 404
    const refusal = ownerRefusal(p, owned.kind, id, thing.createdBy, owned.verb);
    if (refusal) throw refusal;
  });
}

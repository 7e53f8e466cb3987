import type { FastifyInstance, FastifyRequest, RawServerDefault, FastifyBaseLogger } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { RegattaError, type RunRecord } from '@regatta/core';
import type { DockerPool } from '@regatta/backends';
import type { Engine } from '@regatta/engine';
import type { ArtifactStore } from '@regatta/artifacts';
import type { Store } from '@regatta/store';
import type { Principal } from '../auth.js';

export type App = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger, ZodTypeProvider>;

export interface RouteContext {
  engine: Engine;
  store: Store;
  runsDir: string;
  pool: DockerPool;
  localNode: string;
  /** Where ended attempts' artifacts are read from. */
  artifacts: ArtifactStore;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

/**
 * A person's token, not a job's. (Named before roles came: what each role may do on each route,
 * own runs and groups included, is checked before any handler, in role-gate.ts.)
 */
export function requireAdmin(req: FastifyRequest): void {
  if (req.principal?.kind !== 'user') throw new RegattaError('forbidden', 'this endpoint needs a personal token, not a run token');
}

/** People may read any run (role-gate.ts decides what they may change); a job only its own run, with the token of its live attempt. */
export function requireRunAccess(req: FastifyRequest, runId: string): void {
  const p = req.principal;
  if (p?.kind === 'user') return;
  if (p?.kind === 'run' && p.runId === runId) return;
  throw new RegattaError('forbidden', 'this token is not allowed to act on this run');
}

/** The user making the request (undefined for a job or an anonymous facade caller): what `createdBy` records. */
export const userOf = (req: FastifyRequest): string | undefined => (req.principal?.kind === 'user' ? req.principal.user : undefined);

/** `{createdBy}` of the request's user, or nothing (a job, an anonymous facade caller): what the engine and store record. */
export const createdByOf = (req: FastifyRequest): { createdBy?: string } => {
  const u = userOf(req);
  return u === undefined ? {} : { createdBy: u };
};

/** `<verb> by <user>` for a run's timeline, or the plain verb when no person asked. */
export const byUser = (req: FastifyRequest, verb: string): string => {
  const u = userOf(req);
  return u === undefined ? verb : `${verb} by ${u}`;
};

function iso(ms: number): string;
function iso(ms: number | undefined): string | undefined;
function iso(ms: number | undefined): string | undefined {
  return ms === undefined ? undefined : new Date(ms).toISOString();
}

export function runSummary(r: RunRecord) {
  return {
    id: r.id,
    name: r.name,
    status: r.status,
    queue: r.queue,
    priority: r.priority,
    labels: r.labels,
    attempt: r.attempt,
    groupId: r.groupId,
    item: r.itemKey,
    template: r.template,
    createdBy: r.createdBy ?? null,
    node: r.node,
    gpus: r.gpus,
    exitCode: r.exitCode,
    reason: r.reason,
    createdAt: iso(r.createdAt),
    updatedAt: iso(r.updatedAt),
    startedAt: iso(r.startedAt),
    finishedAt: iso(r.finishedAt),
  };
}

export { iso };

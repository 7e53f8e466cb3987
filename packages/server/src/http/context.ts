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

export function requireAdmin(req: FastifyRequest): void {
  if (req.principal?.kind !== 'admin') throw new RegattaError('forbidden', 'this endpoint needs an admin token, not a run token');
}

/** Admins may act on any run; a job only on its own run, with the token of its live attempt. */
export function requireRunAccess(req: FastifyRequest, runId: string): void {
  const p = req.principal;
  if (p?.kind === 'admin') return;
  if (p?.kind === 'run' && p.runId === runId) return;
  throw new RegattaError('forbidden', 'this token is not allowed to act on this run');
}

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

/** What the compatibility facades share: their dependencies, and one-at-a-time sections. */
import type { RunRecord } from '@regatta/core';
import type { Store } from '@regatta/store';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Principal } from '../auth.js';
import type { RouteContext } from '../http/context.js';
import type { FacadeName } from './anonymous.js';
import type { UploadLimits } from '../uploads.js';

export interface FacadeDeps {
  ctx: RouteContext;
  /** Base URL jobs use to reach this server (known once it listens). */
  apiUrl: () => string;
  uploadsDir: string;
  /** Where an uploaded directory (`upload:<id>`) is on the server. */
  filesDir(ref: string): string;
  uploadLimits: UploadLimits;
  /** docker.allowedHostPaths: what a facade may turn into host mounts. */
  allowedHostPaths: readonly string[];
}

/**
 * Runs sections one after another: a check followed by a write (is the queue busy? what is the
 * next training id?) must not interleave with another request's.
 */
export function createSerializer(): <T>(section: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(section: () => Promise<T>) => {
    const result = tail.then(section);
    tail = result.catch(() => undefined);
    return result;
  };
}

/** A person (viewers only read: role-gate.ts), or a caller let in without credentials to this facade (compat.<facade>.allowAnonymousFrom). */
export function isFacadeCaller(p: Principal | undefined, facade: FacadeName): boolean {
  return p?.kind === 'user' || (p?.kind === 'anonymous' && p.facade === facade);
}

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/**
 * Answers 405 (with Allow) to the methods a facade path does not take, as the originals did,
 * rather than the 404 of an unknown route. `send` writes the body in the original's shape.
 */
export function refuseOtherMethods(app: FastifyInstance, url: string, allowed: readonly string[], send: (reply: FastifyReply, method: string) => void): void {
  const others = METHODS.filter((m) => !allowed.includes(m) && !(m === 'GET' && allowed.includes('HEAD')));
  if (!others.length) return;
  app.route({
    method: [...others], url, schema: { hide: true },
    handler: (req, reply) => {
      reply.code(405).header('allow', [...allowed, ...(allowed.includes('GET') ? ['HEAD'] : []), 'OPTIONS'].join(', '));
      send(reply, req.method);
    },
  });
}

/** Every run of a facade (label regatta.compat=<facade>), newest first, up to 10,000. */
export async function facadeRuns(store: Store, facade: FacadeName): Promise<RunRecord[]> {
  const runs: RunRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.listRuns({ labels: { 'regatta.compat': facade }, limit: 500, ...(cursor ? { cursor } : {}) });
    runs.push(...page.runs);
    cursor = page.nextCursor;
  } while (cursor && runs.length < 10_000);
  return runs;
}

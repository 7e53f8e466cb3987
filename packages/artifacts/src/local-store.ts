/** The default artifact store: files stay where the runtime collected them, on the server's disk. */
import { createReadStream, type Stats } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import { NotFoundError, RegattaError } from '@regatta/core';
import type { ArtifactStore, AttemptRef } from './artifact-store.js';

function badPath(path: string, why: string): RegattaError {
  return new RegattaError('invalid_request', `artifact path '${path}' ${why}`, { issues: [{ path: 'path', message: why }] });
}

/** Refuses artifact paths that are empty, absolute or climb out with `..`. */
export function checkArtifactPath(path: string): void {
  if (!path || path.includes('\0')) throw badPath(path, 'is empty or contains a NUL byte');
  if (path.startsWith('/') || path.split(/[\\/]/).includes('..')) throw badPath(path, 'must be relative and must not contain ..');
}

/** Resolves an artifact path inside `root`, refusing traversal and symlinks that lead outside. */
export async function resolveInside(root: string, path: string): Promise<string> {
  checkArtifactPath(path);
  const full = resolve(root, path);
  if (!full.startsWith(root + sep)) throw badPath(path, 'escapes the artifacts directory');
  let real: string;
  let realRoot: string;
  try {
    [real, realRoot] = await Promise.all([realpath(full), realpath(root)]);
  } catch {
    throw new NotFoundError('artifact', path);
  }
  if (!real.startsWith(realRoot + sep)) throw badPath(path, 'escapes the artifacts directory');
  return real;
}

export interface LocalStoreOptions {
  outputsDir: (runId: string, attempt: number) => string;
  /** Throws for a file inside the outputs that must not be served (a link the job planted), before it is opened. */
  guard?: (outputs: string, file: string, st: Stats, path: string) => Promise<void>;
}

export function createLocalArtifactStore(o: LocalStoreOptions): ArtifactStore {
  return {
    kind: 'local',
    persist: () => Promise.resolve(),
    archiveLog: () => Promise.resolve(),
    // The log stays where the runtime wrote it: nothing archived to read back.
    openLog: () => Promise.reject(new NotFoundError('archived log', 'local')),
    async open(ref: AttemptRef, path: string) {
      const outputs = o.outputsDir(ref.runId, ref.attempt);
      const file = await resolveInside(outputs, path);
      const st = await stat(file);
      if (!st.isFile()) throw new NotFoundError('artifact', path);
      await o.guard?.(outputs, file, st, path);
      return { body: createReadStream(file), size: st.size };
    },
    locate: (ref, path) => resolve(o.outputsDir(ref.runId, ref.attempt), path),
    close: () => Promise.resolve(),
  };
}

/**
 * The data directory's permissions: the secret and the database (with SQLite's WAL and shared-memory
 * files) are the server's alone (0600), and the directory lets others pass through to a run's own
 * directory but not list or read what is beside it (0711).
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync, type Stats } from 'node:fs';
import { RegattaError } from '@regatta/core';
import { jobCouldRead } from '@regatta/runtimes';
import { join } from 'node:path';

export const DB_FILE = 'regatta.db';
const PRIVATE_FILES = ['secret', DB_FILE, `${DB_FILE}-wal`, `${DB_FILE}-shm`, `${DB_FILE}-journal`];

export function secureDataDir(dataDir: string): void {
  for (const dir of [dataDir, join(dataDir, 'runs')]) {
    mkdirSync(dir, { recursive: true, mode: 0o711 });
    chmodSync(dir, 0o711); // jobs pass through to their own attempt; they cannot list the others
  }
  // Created before SQLite opens it, so it never exists with the umask's mode; SQLite gives its
  // WAL and shared-memory files the database file's mode.
  const db = join(dataDir, DB_FILE);
  if (!existsSync(db)) closeSync(openSync(db, 'a', 0o600));
  for (const f of PRIVATE_FILES) {
    const path = join(dataDir, f);
    if (existsSync(path)) chmodSync(path, 0o600);
  }
}

/** Whether `st` is one of the server's private files (a hard link to it, planted by a job, is the same file). */
export function isPrivateFile(dataDir: string, st: { dev: number; ino: number }): boolean {
  return PRIVATE_FILES.some((f) => {
    try {
      const p = statSync(join(dataDir, f));
      return p.dev === st.dev && p.ino === st.ino;
    } catch {
      return false;
    }
  });
}

/**
 * The job owns its outputs: a hard link it planted there to a file it could not read (or to the
 * server's own secret or database) is not served.
 */
export function refuseForeignLinks(dataDir: string): (outputs: string, file: string, st: Stats, path: string) => Promise<void> {
  return async (outputs, file, st, path) => {
    if ((st.nlink > 1 && !(await jobCouldRead(outputs, file))) || isPrivateFile(dataDir, st)) {
      throw new RegattaError('forbidden', `artifact '${path}' links to a file the job may not read`, { issues: [{ path: 'path', message: 'a link to a file outside what the job may read' }] });
    }
  };
}

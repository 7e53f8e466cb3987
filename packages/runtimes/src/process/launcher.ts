/** The server side of the process launcher: one forked helper, requests matched by id. */
import { fork, type ChildProcess } from 'node:child_process';
import type { LauncherReply, SpawnRequest } from './launcher-protocol.js';

export interface SpawnedProcess {
  pid: number;
  start: string;
  /** Settles when the process exits, or with `lost` when the launcher itself died. */
  exited: Promise<{ code: number | null; signal: string | null; lost?: string }>;
}

export class SpawnError extends Error {
  constructor(message: string, readonly code: string | undefined) {
    super(message);
    this.name = 'SpawnError';
  }
}

export interface Launcher {
  /** The environment jobs start from (the server's, less its secrets). */
  readonly baseEnv: Readonly<Record<string, string>>;
  spawn(req: Omit<SpawnRequest, 't' | 'id'>): Promise<SpawnedProcess>;
  /** The user its spawns run as, when not the server's (see job-user.ts); helpers it runs directly use it too. */
  readonly spawnAs?: { uid: number; gid: number };
  /** The helper's pid (for tests and diagnostics). */
  pid(): number | undefined;
  close(): void;
}

interface Pending {
  resolveSpawn(p: SpawnedProcess): void;
  rejectSpawn(e: Error): void;
  resolveExit?: (r: { code: number | null; signal: string | null; lost?: string }) => void;
}

export function createLauncher(baseEnv: Record<string, string>): Launcher {
  let child: ChildProcess | undefined;
  let nextId = 1;
  const pending = new Map<number, Pending>();

  // Keep the event loop alive only while something is being followed.
  const track = () => {
    if (pending.size) child?.channel?.ref();
    else child?.channel?.unref();
  };

  const onMessage = (m: LauncherReply) => {
    const p = pending.get(m.id);
    if (!p) return;
    switch (m.t) {
      case 'spawned': {
        const exited = new Promise<{ code: number | null; signal: string | null; lost?: string }>((resolve) => {
          p.resolveExit = resolve;
        });
        p.resolveSpawn({ pid: m.pid, start: m.start, exited });
        return;
      }
      case 'failed':
        pending.delete(m.id);
        track();
        p.rejectSpawn(new SpawnError(m.message, m.code));
        return;
      case 'exit':
        pending.delete(m.id);
        track();
        p.resolveExit?.({ code: m.code, signal: m.signal });
        return;
    }
  };

  const start = (): ChildProcess => {
    const c = fork(new URL('./launcher-process.js', import.meta.url), [], {
      env: baseEnv,
      execArgv: [],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    c.on('message', onMessage);
    c.once('exit', () => {
      if (child === c) child = undefined;
      // Whatever it was supervising can no longer be followed: report it, never leave it hanging.
      for (const [id, p] of pending) {
        pending.delete(id);
        if (p.resolveExit) p.resolveExit({ code: null, signal: null, lost: 'the process launcher exited unexpectedly' });
        else p.rejectSpawn(new SpawnError('the process launcher exited unexpectedly', undefined));
      }
    });
    c.unref();
    c.channel?.unref();
    return c;
  };

  return {
    baseEnv,
    spawn(req) {
      child ??= start();
      const id = nextId++;
      const c = child;
      return new Promise((resolveSpawn, rejectSpawn) => {
        pending.set(id, { resolveSpawn, rejectSpawn });
        track();
        c.send({ t: 'spawn', id, ...req } satisfies SpawnRequest);
      });
    },
    pid: () => child?.pid,
    close() {
      child?.disconnect();
      child = undefined;
    },
  };
}

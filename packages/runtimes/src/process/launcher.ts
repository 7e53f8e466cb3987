/**
 * The server side of the process supervisor (supervisor-process.ts): connects to it over its unix
 * socket, starting it first when none answers, and matches replies to requests by id. It also
 * follows jobs started before a restart: their journaled exit, or the supervisor's word, or, when
 * that supervisor is gone too, the process itself until it ends.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, lstatSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readExitRecord, readStartRecord } from './exit-journal.js';
import { readLines, type ExitStatus, type LauncherReply, type LauncherRequest, type SpawnOptions } from './launcher-protocol.js';
import { jobRunning, processStartTime } from './process-group.js';

export type { SpawnOptions } from './launcher-protocol.js';

/** How a job ended: its exit status (with when), or why there is none. */
export type ProcessExit = (ExitStatus & { lost?: undefined }) | { lost: string };

export interface SpawnedProcess {
  pid: number;
  start: string;
  /** Settles when the process exits, or with `lost` when its exit status could not be known. */
  exited: Promise<ProcessExit>;
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
  /** This boot of the machine: a job recorded under another one was ended by a reboot. */
  readonly bootId: string;
  spawn(req: SpawnOptions): Promise<SpawnedProcess>;
  /** The user its spawns run as, when not the server's (see job-user.ts); helpers it runs directly use it too. */
  readonly spawnAs?: { uid: number; gid: number };
  /**
   * Resolves once connected to the supervisor: every spawn request it received before, from any
   * server, has been handled and its start journaled by then.
   */
  sync(): Promise<void>;
  /** Follows a job spawned earlier (before a restart), identified by pid, start time and boot. */
  follow(job: { pid: number; start: string; bootId?: string; exitFile: string }): Promise<ProcessExit>;
  /** The supervisor's pid, once connected (for tests and diagnostics). */
  pid(): number | undefined;
  /**
   * Whether the supervisor (connected first) handles a request field added after the first
   * protocol: one started by an older Regatta keeps running across an upgrade while it has jobs.
   */
  supports(feature: 'own'): Promise<boolean>;
  /** Disconnects; the supervisor and its jobs keep running. */
  close(): void;
}

export interface LauncherOptions {
  baseEnv: Record<string, string>;
  /** Where the supervisor's socket (or, for long paths, its name) and log live: the data directory. */
  stateDir: string;
  /** How often a job whose supervisor is gone is checked for its end (default 250 ms). */
  orphanPollMs?: number;
}

function readBootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return '';
  }
}

/**
 * A unix socket path must fit in sun_path (108 bytes): long data directories get one in a private
 * directory of this user under /tmp (mode 0700, checked: whoever reaches the socket runs commands).
 */
function socketPathFor(stateDir: string): string {
  const p = join(stateDir, 'supervisor.sock');
  if (Buffer.byteLength(p) < 100) return p;
  const uid = process.getuid?.() ?? 0;
  const dir = join(tmpdir(), `regatta-${uid}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o077) !== 0) {
    throw new SpawnError(`${dir} is not a private directory of this user: cannot place the process supervisor's socket there`, undefined);
  }
  return join(dir, `supervisor-${createHash('sha256').update(stateDir).digest('hex').slice(0, 16)}.sock`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Pending {
  resolveSpawn?(p: SpawnedProcess): void;
  rejectSpawn?(e: Error): void;
  resolveExit?(r: ProcessExit | 'unknown'): void;
  exitFile: string;
  /** The supervisor went away before answering a spawn. */
  supervisorLost?(): void;
  /** What to follow when the supervisor goes away before reporting the exit. */
  orphan?: { pid: number; start: string; exitFile: string };
}

export function createLauncher(options: LauncherOptions): Launcher {
  const { baseEnv, stateDir } = options;
  const orphanPollMs = options.orphanPollMs ?? 250;
  const bootId = readBootId();
  const socketPath = socketPathFor(stateDir);
  let conn: Promise<Socket> | undefined;
  let supervisorPid: number | undefined;
  let features: readonly string[] = [];
  let nextId = 1;
  let closed = false;
  const pending = new Map<number, Pending>();

  // Keep the event loop alive only while something is being followed.
  const track = (s: Socket) => {
    if (pending.size) s.ref();
    else s.unref();
  };

  /**
   * A job whose supervisor is gone: nobody can read its exit status any more. Wait for it to end,
   * then take the journal if the supervisor wrote it in time; otherwise the status is lost.
   */
  const followOrphan = async (job: { pid: number; start: string; exitFile: string }): Promise<ProcessExit> => {
    while (await jobRunning(job)) await sleep(orphanPollMs);
    return (await readExitRecord(job.exitFile))
      ?? { lost: 'the process ended while no supervisor was watching it (the supervisor had stopped), so its exit status was not recorded' };
  };

  let onReady: (() => void) | undefined;
  const onReply = (s: Socket, m: LauncherReply) => {
    if (m.t === 'ready') {
      supervisorPid = m.pid;
      features = m.features ?? [];
      onReady?.();
      return;
    }
    const p = pending.get(m.id);
    if (!p) return;
    switch (m.t) {
      case 'spawned': {
        const exited = new Promise<ProcessExit | 'unknown'>((resolve) => { p.resolveExit = resolve; });
        p.orphan = { pid: m.pid, start: m.start, exitFile: p.exitFile };
        delete p.rejectSpawn;
        delete p.supervisorLost;
        p.resolveSpawn?.({
          pid: m.pid, start: m.start,
          exited: exited.then((r) => (r === 'unknown' ? { lost: 'the process supervisor lost track of the job' } : r)),
        });
        return;
      }
      case 'failed':
        pending.delete(m.id);
        track(s);
        p.rejectSpawn?.(new SpawnError(m.message, m.code));
        return;
      case 'exit':
        pending.delete(m.id);
        track(s);
        p.resolveExit?.({ code: m.code, signal: m.signal, endedAt: m.endedAt });
        return;
      case 'unknown':
        pending.delete(m.id);
        track(s);
        p.resolveExit?.('unknown');
        return;
    }
  };

  /** Says hello and waits for the answer: every request this supervisor read before is handled by then. */
  const attach = (s: Socket): Promise<Socket> => {
    const ready = new Promise<Socket>((resolve, reject) => {
      onReady = () => resolve(s);
      s.once('close', () => reject(new Error('the process supervisor closed the connection')));
    });
    s.write(`${JSON.stringify({ t: 'hello', env: baseEnv } satisfies LauncherRequest)}\n`);
    readLines(s, (line) => onReply(s, JSON.parse(line) as LauncherReply));
    s.on('error', () => undefined);
    s.once('close', () => {
      conn = undefined;
      supervisorPid = undefined;
      if (closed) {
        // This server is going away: its jobs run on, and the next one collects them.
        pending.clear();
        return;
      }
      // The supervisor went away: what it was following is followed here, never left hanging.
      for (const [id, p] of pending) {
        pending.delete(id);
        if (p.resolveExit && p.orphan) {
          const resolve = p.resolveExit;
          void followOrphan(p.orphan).then(resolve);
        } else {
          p.supervisorLost?.();
        }
      }
    });
    s.ref(); // until ready
    return ready.finally(() => track(s));
  };

  const tryConnect = () => new Promise<Socket>((resolve, reject) => {
    const s = connect(socketPath);
    s.once('connect', () => { s.removeAllListeners('error'); resolve(s); });
    s.once('error', reject);
  });

  const startSupervisor = () => {
    mkdirSync(stateDir, { recursive: true });
    const logFd = openSync(join(stateDir, 'supervisor.log'), 'a');
    try {
      const child = spawn(process.execPath, [new URL('./supervisor-process.js', import.meta.url).pathname, socketPath], {
        // Not a session of its own: with the kernel's autogroup scheduling, a separate session made
        // every spawn about 1 ms slower on a busy machine. Signals meant for the server's terminal
        // or process group (SIGHUP, SIGINT, SIGTERM) are ignored by the supervisor instead.
        detached: false,
        env: baseEnv,
        stdio: ['ignore', logFd, logFd],
      });
      child.unref();
    } finally {
      closeSync(logFd);
    }
  };

  const connectOrStart = async (): Promise<Socket> => {
    try {
      return await attach(await tryConnect());
    } catch {
      startSupervisor();
    }
    for (let i = 0; ; i++) {
      try {
        return await attach(await tryConnect());
      } catch (e) {
        if (i >= 500) throw new SpawnError(`the process supervisor did not start (see ${join(stateDir, 'supervisor.log')}): ${String(e)}`, undefined);
        await sleep(10);
      }
    }
  };

  const socket = async () => {
    conn ??= connectOrStart();
    try {
      return await conn;
    } catch (e) {
      conn = undefined;
      throw e;
    }
  };

  const request = async (m: LauncherRequest & { id: number }, p: Pending) => {
    const s = await socket();
    pending.set(m.id, p);
    track(s);
    s.write(`${JSON.stringify(m)}\n`);
  };

  return {
    baseEnv,
    bootId,
    spawn(req) {
      const attempt = (retried: boolean) => new Promise<SpawnedProcess>((resolveSpawn, rejectSpawn) => {
        // Whether the job started is in its start record: follow it, or ask a new supervisor once.
        const supervisorLost = () => void readStartRecord(req.startFile).then((job) => {
          if (job) resolveSpawn({ ...job, exited: followOrphan({ ...job, exitFile: req.exitFile }) });
          else if (!retried) attempt(true).then(resolveSpawn, rejectSpawn);
          else rejectSpawn(new SpawnError('the process supervisor exited unexpectedly', undefined));
        });
        request({ t: 'spawn', id: nextId++, ...req }, { resolveSpawn, rejectSpawn, supervisorLost, exitFile: req.exitFile }).catch(rejectSpawn);
      });
      return attempt(false);
    },
    async sync() {
      await socket();
    },
    async follow(job) {
      const journaled = await readExitRecord(job.exitFile);
      if (journaled) return journaled;
      if (job.bootId && bootId && job.bootId !== bootId) {
        return { lost: 'the machine rebooted while the run was active; the job ended without a recorded exit status' };
      }
      if ((await processStartTime(job.pid)) !== job.start) {
        return (await readExitRecord(job.exitFile))
          ?? { lost: 'the process is gone and no exit status was recorded for it (its supervisor was stopped before it ended)' };
      }
      const id = nextId++;
      const r = await new Promise<ProcessExit | 'unknown'>((resolveExit, reject) => {
        request({ t: 'watch', id, pid: job.pid, exitFile: job.exitFile }, { resolveExit, exitFile: job.exitFile, orphan: job }).catch(reject);
      }).catch(() => 'unknown' as const);
      return r === 'unknown' ? followOrphan(job) : r;
    },
    pid: () => supervisorPid,
    async supports(feature) {
      await socket();
      return features.includes(feature);
    },
    close() {
      closed = true;
      void conn?.then((s) => s.end(), () => undefined);
      conn = undefined;
    },
  };
}

/**
 * The process supervisor: one small, long-lived process per data directory that spawns the jobs of
 * process runs and outlives the server (it ignores the signals that end the server). The server
 * talks to it over a unix socket (launcher-protocol.ts). Each job's stdout and stderr go straight
 * to its log file, so the log keeps growing while the server is away. When a job exits, its status
 * is journaled to a file in the attempt directory first (exit-journal.ts), then reported, so an exit
 * that happens while no server listens is still collected with its real exit code and end time.
 * Forking from this small process is also several times cheaper than from the server's large heap.
 * It exits when no server is connected and no job is left.
 *
 *   node supervisor-process.js <socket path>
 */
import { spawn } from 'node:child_process';
import { chmodSync, closeSync, lchownSync, mkdirSync, openSync, readFileSync, unlinkSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { appendExitRecord, readExitRecordSync, writeExitRecord, writeStartRecord } from './exit-journal.js';
import { readLines, type LauncherReply, type LauncherRequest, type SpawnRequest, type WatchRequest } from './launcher-protocol.js';

const socketPath = process.argv[2] ?? '';
if (!socketPath) {
  process.stderr.write('usage: supervisor-process.js <socket>\n');
  process.exit(2);
}
const IDLE_EXIT_MS = 2000;
const bootId = (() => {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return '';
  }
})();

interface Conn {
  env: Record<string, string>;
  send(m: LauncherReply): void;
  open: boolean;
}
interface Job {
  exitFile: string;
  /** The exit record is appended to the start record's file. */
  appendExit: boolean;
  watchers: { conn: Conn; id: number }[];
}
const jobs = new Map<number, Job>();
const conns = new Set<Conn>();
let idleTimer: NodeJS.Timeout | undefined;

const log = (msg: string) => process.stderr.write(`${new Date().toISOString()} ${msg}\n`);

/** Field 22 of /proc/PID/stat: start time in clock ticks, which tells a reused pid apart. */
function startTime(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '0';
  } catch {
    return '0';
  }
}

/** One mkdir for a directory whose parent exists (the common case); recursive only when needed. */
function makeDir(dir: string): void {
  try {
    mkdirSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') mkdirSync(dir, { recursive: true });
    else if (code !== 'EEXIST') throw e;
  }
}

function checkIdle(): void {
  if (idleTimer) clearTimeout(idleTimer);
  idleTimer = undefined;
  if (conns.size || jobs.size) return;
  idleTimer = setTimeout(() => {
    if (conns.size || jobs.size) return;
    log('idle: exiting');
    process.exit(0);
  }, IDLE_EXIT_MS);
}

function handleSpawn(conn: Conn, req: SpawnRequest): void {
  let fd: number;
  try {
    for (const d of req.mkdirs) makeDir(d);
    // lchown: a link planted where a directory was expected is not followed to what it names.
    if (req.uid !== undefined && req.gid !== undefined) for (const d of req.own ?? []) lchownSync(d, req.uid, req.gid);
    fd = openSync(req.log, 'a');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    conn.send({ t: 'failed', id: req.id, ...(err.code ? { code: err.code } : {}), message: err.message });
    return;
  }
  let child;
  try {
    child = spawn(req.file, req.args, {
      cwd: req.cwd,
      env: { ...conn.env, ...req.env },
      detached: true, // its own process group, so a stop reaches every descendant
      stdio: ['ignore', fd, fd],
      ...(req.uid !== undefined && req.gid !== undefined ? { uid: req.uid, gid: req.gid } : {}),
    });
  } catch (e) {
    closeSync(fd);
    conn.send({ t: 'failed', id: req.id, message: (e as Error).message });
    return;
  }
  closeSync(fd);
  const pid = child.pid;
  if (pid === undefined) {
    // It did not start (no such program, not executable...): libuv reports why on the next tick.
    child.once('error', (err: NodeJS.ErrnoException) => {
      conn.send({ t: 'failed', id: req.id, ...(err.code ? { code: err.code } : {}), message: err.message });
    });
    return;
  }
  child.on('error', (err) => log(`job ${pid}: ${err.message}`));
  const start = startTime(pid);
  jobs.set(pid, { exitFile: req.exitFile, appendExit: req.exitFile === req.startFile, watchers: [{ conn, id: req.id }] });
  // The reply goes first (it is what the run waits for); the journal is written in the same tick,
  // so any request this supervisor reads later, from any server, sees it.
  conn.send({ t: 'spawned', id: req.id, pid, start });
  try {
    writeStartRecord(req.startFile, { pid, start, ...(bootId ? { bootId } : {}) });
  } catch (e) {
    log(`journaling the start of ${pid} to ${req.startFile} failed: ${String(e)}`);
  }
  child.once('exit', (code, signal) => {
    const job = jobs.get(pid);
    if (!job) return;
    const status = { code, signal, endedAt: Date.now() };
    // Reported and journaled in one tick: a server that dies before recording what it was told
    // finds the journal, and a watch request read later is answered from it.
    for (const w of job.watchers) if (w.conn.open) w.conn.send({ t: 'exit', id: w.id, ...status });
    try {
      (job.appendExit ? appendExitRecord : writeExitRecord)(job.exitFile, { pid, ...status });
    } catch (e) {
      log(`journaling the exit of ${pid} to ${job.exitFile} failed: ${String(e)}`);
    }
    jobs.delete(pid);
    // Stragglers left in its group go with it (the group's id cannot be reused while they live).
    try { process.kill(-pid, 'SIGKILL'); } catch { /* none left */ }
    checkIdle();
  });
}

function handleWatch(conn: Conn, req: WatchRequest): void {
  const job = jobs.get(req.pid);
  if (job) {
    job.watchers.push({ conn, id: req.id });
    return;
  }
  // Not running here: it ended (journaled before it was forgotten, in the same tick) or it is not ours.
  const status = readExitRecordSync(req.exitFile);
  conn.send(status ? { t: 'exit', id: req.id, ...status } : { t: 'unknown', id: req.id });
}

function serve(socket: Socket): void {
  const conn: Conn = {
    env: {},
    open: true,
    send: (m) => { if (conn.open) socket.write(`${JSON.stringify(m)}\n`); },
  };
  conns.add(conn);
  checkIdle();
  readLines(socket, (line) => {
    let m: LauncherRequest;
    try {
      m = JSON.parse(line) as LauncherRequest;
    } catch {
      log('ignored a malformed request');
      return;
    }
    if (m.t === 'hello') {
      conn.env = m.env;
      conn.send({ t: 'ready', pid: process.pid, features: ['own'] });
    } else if (m.t === 'spawn') handleSpawn(conn, m);
    else if (m.t === 'watch') handleWatch(conn, m);
  });
  const gone = () => {
    if (!conn.open) return;
    conn.open = false;
    conns.delete(conn);
    checkIdle();
  };
  socket.on('error', gone);
  socket.on('close', gone);
}

function listen(retry: boolean): void {
  const server = createServer(serve);
  server.once('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EADDRINUSE' || !retry) {
      log(`cannot listen on ${socketPath}: ${e.message}`);
      process.exit(1);
    }
    // Another supervisor may own it; if nobody answers, the socket is stale.
    const probe = connect(socketPath);
    probe.once('connect', () => { probe.destroy(); process.exit(0); });
    probe.once('error', () => {
      try { unlinkSync(socketPath); } catch { /* gone already */ }
      listen(false);
    });
  });
  server.listen(socketPath, () => {
    // Whoever can connect can run commands: this user only.
    try { chmodSync(socketPath, 0o600); } catch (e) { log(`chmod ${socketPath}: ${String(e)}`); }
    log(`supervising on ${socketPath} (pid ${process.pid})`);
    checkIdle();
  });
}

// It shares the server's session and process group: a terminal's hang-up, Ctrl-C or a signal to
// the group must not end the jobs' supervisor with the server. It ends itself once idle (SIGKILL
// ends it at once; jobs then run on, their exits unrecorded).
for (const signal of ['SIGHUP', 'SIGINT', 'SIGTERM'] as const) process.on(signal, () => undefined);
// Losing the supervisor loses exit statuses: log a bug and keep going.
process.on('uncaughtException', (e) => log(`uncaught: ${e.stack ?? String(e)}`));
listen(true);

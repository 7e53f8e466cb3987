/**
 * The process launcher: a small child of the server that creates run directories, opens log files
 * and spawns jobs. Forking from this small process is several times cheaper than from the server's
 * large heap, and it happens off the server's event loop. It exits with the server; the jobs it
 * started keep running and are cleaned up by the server's recovery.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import type { LauncherReply, SpawnRequest } from './launcher-protocol.js';

const send = (m: LauncherReply) => process.send?.(m);

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

function handle(req: SpawnRequest): void {
  let fd: number;
  try {
    for (const d of req.mkdirs) makeDir(d);
    fd = openSync(req.log, 'a');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    send({ t: 'failed', id: req.id, ...(err.code ? { code: err.code } : {}), message: err.message });
    return;
  }
  let child;
  try {
    child = spawn(req.file, req.args, {
      cwd: req.cwd,
      env: { ...process.env, ...req.env },
      detached: true, // its own process group, so a stop reaches every descendant
      stdio: ['ignore', fd, fd],
      ...(req.uid !== undefined && req.gid !== undefined ? { uid: req.uid, gid: req.gid } : {}),
    });
  } catch (e) {
    closeSync(fd);
    send({ t: 'failed', id: req.id, message: (e as Error).message });
    return;
  }
  closeSync(fd);
  child.once('error', (err: NodeJS.ErrnoException) => {
    send({ t: 'failed', id: req.id, ...(err.code ? { code: err.code } : {}), message: err.message });
  });
  child.once('spawn', () => {
    if (child.pid !== undefined) send({ t: 'spawned', id: req.id, pid: child.pid, start: startTime(child.pid) });
  });
  child.once('exit', (code, signal) => send({ t: 'exit', id: req.id, code, signal }));
}

process.on('message', (m: SpawnRequest) => {
  if (m.t === 'spawn') handle(m);
});
process.on('disconnect', () => process.exit(0));

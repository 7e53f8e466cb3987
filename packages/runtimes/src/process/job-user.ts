/**
 * Who a process job runs as. A job that ran as the server could read the server's secret and
 * database and signal its processes; when the server is root, jobs run as an unprivileged user
 * instead, owning only their attempt's directories. Kept apart from the launcher: it only computes
 * a uid/gid and prepares ownership, and the spawn takes them as options.
 */
import { execFileSync } from 'node:child_process';
import { lstatSync, type Stats } from 'node:fs';
import { chown, lstat, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Launcher } from './launcher.js';

export interface JobIdentity {
  name: string;
  uid: number;
  gid: number;
}

/** The user the server creates (a system user with no login and no home) when none is configured. */
export const DEFAULT_JOB_USER = 'regatta-job';

function lookup(name: string): JobIdentity | undefined {
  try {
    const [, , uid, gid] = execFileSync('getent', ['passwd', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split(':');
    if (uid === undefined || gid === undefined) return undefined;
    return { name, uid: Number(uid), gid: Number(gid) };
  } catch {
    return undefined;
  }
}

/**
 * The identity process jobs run as, or undefined when the server is not root (then it cannot
 * switch users: jobs share its uid). `configured` must exist; the default user is created if
 * missing (useradd --system), else `nobody` is used.
 */
export function resolveJobUser(configured: string | undefined, serverUid: number | undefined): JobIdentity | undefined {
  if (serverUid !== 0) return undefined;
  if (configured) {
    const found = lookup(configured);
    if (!found) throw new Error(`jobs.user: no user named '${configured}' on this machine`);
    if (found.uid === 0) throw new Error(`jobs.user: '${configured}' is root; jobs must run as an unprivileged user`);
    return found;
  }
  const existing = lookup(DEFAULT_JOB_USER);
  if (existing) return existing;
  try {
    execFileSync('useradd', ['--system', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', DEFAULT_JOB_USER], { stdio: 'ignore' });
  } catch {
    // No useradd (or it failed): nobody is unprivileged everywhere.
  }
  const made = lookup(DEFAULT_JOB_USER) ?? lookup('nobody');
  if (!made) throw new Error(`cannot find or create a user for jobs ('${DEFAULT_JOB_USER}' or 'nobody'): set jobs.user`);
  return made;
}

/**
 * The identity one attempt runs as: the owner of the workdir it was given when that is not root
 * (the workdir stays usable, and that user could read it anyway), else the job user.
 */
export function identityFor(jobUser: JobIdentity, workdir: string | undefined): JobIdentity {
  if (workdir === undefined) return jobUser;
  try {
    const st = lstatSync(workdir);
    if (st.isDirectory() && st.uid !== 0) return { name: String(st.uid), uid: st.uid, gid: st.gid };
  } catch {
    // A missing workdir fails at spawn, with its own message.
  }
  return jobUser;
}

async function chownTree(path: string, who: JobIdentity): Promise<void> {
  await chown(path, who.uid, who.gid);
  for (const e of await readdir(path, { withFileTypes: true })) {
    const full = join(path, e.name);
    if (e.isDirectory()) await chownTree(full, who);
    else if (!e.isSymbolicLink()) await chown(full, who.uid, who.gid);
  }
}

/**
 * Creates the attempt's directories owned by `who`: the attempt directory, its outputs and (when
 * Regatta made it) the work directory with the files copied into it. Nothing else is theirs.
 */
export async function prepareAttemptDirs(paths: { dir: string; outputs: string }, ownWorkdir: string | undefined, who: JobIdentity): Promise<void> {
  await mkdir(paths.outputs, { recursive: true });
  await chown(paths.dir, who.uid, who.gid);
  await chown(paths.outputs, who.uid, who.gid);
  if (ownWorkdir !== undefined) {
    await mkdir(ownWorkdir, { recursive: true });
    await chownTree(ownWorkdir, who);
  }
}

/**
 * A launcher whose every spawn runs as `who`, with HOME in a directory it may write. The attempt
 * directory and the directories a spawn asks for inside it, and the outputs directory it is given
 * (a service's own), are made the job's first: by the supervisor, in the request that spawns it
 * (no round trips of the server's own for mkdir and chown).
 */
export function launcherAs(launcher: Launcher, who: JobIdentity, home: string, attemptDir: string): Launcher {
  const ours = (d: string | undefined): d is string => d !== undefined && (d === attemptDir || d.startsWith(`${attemptDir}/`));
  return {
    baseEnv: launcher.baseEnv,
    bootId: launcher.bootId,
    spawnAs: { uid: who.uid, gid: who.gid },
    async spawn(req) {
      const outputs = req.env.REGATTA_OUTPUTS;
      const mkdirs = ours(outputs) && !req.mkdirs.includes(outputs) ? [...req.mkdirs, outputs] : req.mkdirs;
      if (!(await launcher.supports('own'))) {
        // A supervisor from before `own` (still running across an upgrade): hand them over here.
        for (const d of mkdirs.filter(ours)) {
          await mkdir(d, { recursive: true });
          await chown(d, who.uid, who.gid);
        }
      }
      return launcher.spawn({
        ...req, mkdirs, own: mkdirs.filter(ours), uid: who.uid, gid: who.gid, env: { HOME: home, USER: who.name, LOGNAME: who.name, ...req.env },
      });
    },
    sync: () => launcher.sync(),
    follow: (job) => launcher.follow(job),
    pid: () => launcher.pid(),
    supports: (feature) => launcher.supports(feature),
    close: () => launcher.close(),
  };
}

/**
 * Whether the user `uid`/`gid` may read a file with these stats (owner, group, other bits;
 * supplementary groups are not counted, which only refuses more). Root reads everything.
 */
export function readableBy(st: Pick<Stats, 'uid' | 'gid' | 'mode'>, uid: number, gid: number): boolean {
  if (uid === 0) return true;
  if (st.uid === uid) return (st.mode & 0o400) !== 0;
  if (st.gid === gid) return (st.mode & 0o040) !== 0;
  return (st.mode & 0o004) !== 0;
}

/** Whether a job owning `dir` could read `file` itself (for outputs: a planted hard link or symlink must not serve more). */
export async function jobCouldRead(dir: string, file: string): Promise<boolean> {
  const [owner, st] = await Promise.all([lstat(dir), lstat(file)]);
  return !st.isSymbolicLink() && readableBy(st, owner.uid, owner.gid);
}

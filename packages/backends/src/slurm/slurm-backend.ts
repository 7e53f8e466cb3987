/**
 * A Slurm cluster as a backend. Slurm places the work: the cluster appears as one external node
 * (its partition), the engine hands it every run bound to it at once, and each run becomes a Slurm
 * job. Items of a fan-out group handed over together become one job array with `%max_parallel`.
 *
 * One poll per tick follows every job (a single squeue call; sacct for jobs squeue forgot), maps
 * Slurm's states onto the attempt, tails logs from the shared directory and, at the end, copies the
 * outputs back. Jobs outlive the server: after a restart they are found again by their job id.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NonRetriableError, type Clock, type Logger } from '@regatta/core';
import type { ExitInfo, LaunchHooks, LaunchRequest, RunHandle } from '@regatta/runtimes';
import type { Backend, NodeInfo } from '../backend.js';
import {
  arrayLog, arrayScript, jobFiles, sbatchScript, slurmDirectives, taskScript,
  type SlurmDefaults, type SlurmDockerOptions, type SlurmJobFiles,
} from './sbatch-script.js';
import type { SlurmCli } from './slurm-cli.js';
import { copyOutputs, fileSize, readExitCode, readTail, tailInto } from './job-files.js';
import { mapSlurmState, type SlurmJobState } from './slurm-state.js';

export interface SlurmBackendOptions {
  /** The backend's name, as specs and queue mappings name it (default `slurm`). */
  name?: string;
  cli: SlurmCli;
  /** A directory the server and every node see at the same path. */
  sharedDir: string;
  defaults: SlurmDefaults;
  docker?: SlurmDockerOptions;
  /** Time between two polls of all jobs. */
  pollIntervalMs: number;
  /** Group items launched within this quiet time of each other share one job array. */
  batchWindowMs: number;
  clock: Clock;
  logger: Logger;
}

interface Job {
  /** `123`, or `123_4` for an array task. */
  id: string;
  parent: string;
  req: LaunchRequest;
  hooks?: LaunchHooks;
  files: SlurmJobFiles;
  /** Where Slurm writes the job's output. */
  log: string;
  offset: number;
  running: boolean;
  note?: string;
  /** Polls in a row that did not find the job. */
  missing: number;
  /** Stops the job at `timeout`, counted from when it was first seen running. */
  timer?: { cancel(): void };
  timedOut?: string;
  resolve(info: ExitInfo): void;
}

interface PendingItem {
  req: LaunchRequest;
  hooks: LaunchHooks;
  files: SlurmJobFiles;
  settle(r: { jobId: string } | { error: unknown }): void;
}

const TERMINAL = new Set(['succeeded', 'failed', 'timed_out', 'canceled', 'lost']);

export async function createSlurmBackend(o: SlurmBackendOptions): Promise<Backend> {
  const name = o.name ?? 'slurm';
  const jobs = new Map<string, Job>();
  const batches = new Map<string, { items: PendingItem[]; directives: string[]; maxParallel?: number; timer: { cancel(): void }; first: number }>();
  let closed = false;
  let timer: { cancel(): void } | undefined;
  let polling = false;
  let arrays = 0;
  await mkdir(join(o.sharedDir, 'arrays'), { recursive: true });

  const node: NodeInfo = {
    name, total: { cpus: 0, memory: 0, gpus: 0 }, gpuIndices: [], ready: false, backend: name, runtimes: ['process', 'docker'], external: true,
  };
  const refreshNode = async (): Promise<void> => {
    try {
      const p = await o.cli.partition(o.defaults.partition);
      node.total = { cpus: p.cpus, memory: p.memory, gpus: p.gpus };
      node.gpuIndices = Array.from({ length: p.gpus }, (_, i) => i);
      node.ready = p.nodes > 0;
    } catch (e) {
      node.ready = false;
      o.logger.warn({ err: e }, 'Slurm does not answer (sinfo)');
    }
  };
  await refreshNode();
  // Keeps asking a cluster that did not answer at start.
  if (!node.ready) queueMicrotask(() => schedulePoll());

  const finish = async (job: Job, st: SlurmJobState | undefined): Promise<void> => {
    jobs.delete(job.id);
    job.timer?.cancel();
    // A short job can start and end between two polls: it still ran, on nodes Slurm names.
    if (!job.running && st?.nodes) job.hooks?.onPhase('running', `ran in Slurm job ${job.id} on ${st.nodes} (started and ended between two polls)`);
    let info: ExitInfo;
    try {
      await tailInto(job.log, job.req.paths.log, job.offset);
      await copyOutputs(job.files.outputs, job.req.paths.outputs);
      info = await exitInfo(job, st);
    } catch (e) {
      info = { error: `reading the job's files failed: ${e instanceof Error ? e.message : String(e)}` };
    }
    job.resolve(info);
  };

  const exitInfo = async (job: Job, st: SlurmJobState | undefined): Promise<ExitInfo> => {
    const code = await readExitCode(job.files.exit);
    const where = st?.nodes ? ` on ${st.nodes}` : '';
    if (job.timedOut) return { ended: { outcome: 'timed_out', reason: job.timedOut } };
    if (!st) {
      return code !== undefined ? { exitCode: code } : { lost: `Slurm no longer knows job ${job.id} and it left no exit status` };
    }
    const mapped = mapSlurmState(st);
    switch (mapped?.status) {
      case 'timed_out':
        return { ended: { outcome: 'timed_out', reason: `Slurm job ${job.id} reached its time limit${where}` } };
      case 'canceled':
        return { ended: { outcome: 'canceled', reason: `Slurm job ${job.id} was canceled in Slurm` } };
      case 'lost':
        return { lost: `${mapped.reason ?? 'lost'} (Slurm job ${job.id})` };
      default:
        break;
    }
    if (st.state === 'OUT_OF_MEMORY') return { error: `oom: Slurm job ${job.id} ran out of memory${where}`, ...(code !== undefined ? { exitCode: code } : {}) };
    if (code !== undefined) return { exitCode: code };
    // jobacct_gather's OverMemoryKill ends the job FAILED; only its log says why.
    if (/exceeded (job )?memory limit/i.test(await readTail(job.log))) return { error: `oom: Slurm job ${job.id} exceeded its memory limit${where}` };
    if (st.state === 'COMPLETED') return { exitCode: st.exitCode ?? 0 };
    return { error: `Slurm job ${job.id} ended ${st.state}${st.reason && st.reason !== 'None' ? ` (${st.reason})` : ''}${where}` };
  };

  const follow = (job: SlurmJobState | undefined, j: Job): void => {
    const mapped = job && mapSlurmState(job);
    if (!job || !mapped) return;
    if (TERMINAL.has(mapped.status)) {
      void finish(j, job);
      return;
    }
    if (mapped.status === 'queued') {
      const note = `queued in Slurm (job ${j.id}): ${job.reason ?? 'pending'}`;
      if (note !== j.note) {
        j.note = note;
        j.hooks?.onWaiting?.(note);
      }
      return;
    }
    if (mapped.status === 'running' && !j.running) {
      j.running = true;
      const timeoutMs = j.req.spec.timeoutMs;
      if (timeoutMs !== undefined) {
        j.timer = o.clock.setTimeout(() => {
          j.timedOut = `exceeded its timeout of ${timeoutMs / 1000}s`;
          void o.cli.cancel([j.id]).catch((e: unknown) => o.logger.warn({ err: e, jobId: j.id }, 'scancel failed'));
        }, timeoutMs);
      }
      j.hooks?.onPhase('running', `running in Slurm job ${j.id}${job.nodes ? ` on ${job.nodes}` : ''}`);
    }
  };

  const poll = async (): Promise<void> => {
    if (!node.ready) await refreshNode();
    if (polling || !jobs.size) return;
    polling = true;
    try {
      const all = [...jobs.values()];
      const states = new Map((await o.cli.queue([...new Set(all.map((j) => j.parent))])).map((s) => [s.jobId, s]));
      const gone: Job[] = [];
      for (const j of all) {
        const st = states.get(j.id);
        if (!st) {
          // Give a just-finished job one more tick before asking accounting.
          if (++j.missing >= 2) gone.push(j);
          continue;
        }
        j.missing = 0;
        follow(st, j);
      }
      if (gone.length) {
        const acct = await o.cli.accounting([...new Set(gone.map((j) => j.id))]).catch((e: unknown) => {
          o.logger.warn({ err: e }, 'sacct failed');
          return undefined;
        });
        const byId = new Map((acct ?? []).map((s) => [s.jobId, s]));
        for (const j of gone) {
          const st = byId.get(j.id);
          const mapped = st && mapSlurmState(st);
          if (!st) void finish(j, undefined); // the exit status decides, else it is lost
          else if (mapped && TERMINAL.has(mapped.status)) void finish(j, st);
          else j.missing = 0;
        }
      }
      await Promise.all([...jobs.values()].filter((j) => j.running).map(async (j) => {
        j.offset = await tailInto(j.log, j.req.paths.log, j.offset);
      }));
    } catch (e) {
      o.logger.warn({ err: e }, 'polling Slurm failed');
      await refreshNode();
    } finally {
      polling = false;
    }
  };

  const schedulePoll = (): void => {
    if (closed || timer) return;
    timer = o.clock.setTimeout(() => {
      timer = undefined;
      void poll().finally(() => {
        if (jobs.size || !node.ready) schedulePoll();
      });
    }, o.pollIntervalMs);
  };

  const track = (jobId: string, req: LaunchRequest, files: SlurmJobFiles, hooks: LaunchHooks | undefined, offset: number): RunHandle => {
    let resolve: (i: ExitInfo) => void = () => {};
    const done = new Promise<ExitInfo>((r) => { resolve = r; });
    const parent = jobId.split('_')[0] ?? jobId;
    const job: Job = {
      id: jobId, parent, req, files, offset, running: false, missing: 0, resolve,
      log: jobId.includes('_') ? arrayLog(o.sharedDir, jobId) : files.log, ...(hooks ? { hooks } : {}),
    };
    jobs.set(jobId, job);
    schedulePoll();
    return {
      externalId: jobId,
      done,
      stop: async () => {
        // Slurm sends SIGTERM, then SIGKILL after the cluster's KillWait.
        await o.cli.cancel([jobId]).catch((e: unknown) => o.logger.warn({ err: e, jobId }, 'scancel failed'));
      },
      detach: () => {
        jobs.get(jobId)?.timer?.cancel();
        jobs.delete(jobId);
      },
    };
  };

  const flush = async (key: string): Promise<void> => {
    const b = batches.get(key);
    if (!b) return;
    batches.delete(key);
    b.timer.cancel();
    const script = join(o.sharedDir, 'arrays', `${b.items[0]?.req.group?.id ?? 'group'}-${process.pid}-${++arrays}.sh`);
    try {
      await writeFile(script, arrayScript(b.directives, b.items.map((i) => i.files.task), o.sharedDir, b.maxParallel));
      const id = await o.cli.submit(script);
      b.items.forEach((item, i) => item.settle({ jobId: `${id}_${i}` }));
    } catch (error) {
      for (const item of b.items) item.settle({ error });
    }
  };

  const enqueue = (item: PendingItem, directives: string[]): void => {
    const group = item.req.group;
    const key = `${group?.id ?? ''}\0${directives.join('\0')}`;
    const b = batches.get(key);
    const now = o.clock.now();
    // Quiet-time batching: wait for the rest of the items handed over in this pass, never past 1 s.
    const wait = b && now - b.first > 1000 ? 0 : o.batchWindowMs;
    if (b) {
      b.items.push(item);
      b.timer.cancel();
      b.timer = o.clock.setTimeout(() => void flush(key), wait);
      return;
    }
    batches.set(key, {
      items: [item], directives, ...(group?.maxParallel !== undefined ? { maxParallel: group.maxParallel } : {}), first: now,
      timer: o.clock.setTimeout(() => void flush(key), wait),
    });
  };

  const prepare = async (req: LaunchRequest): Promise<SlurmJobFiles> => {
    const { spec } = req;
    if (spec.runtime === 'docker' && (spec.build || !spec.image)) {
      throw new NonRetriableError('a docker run on Slurm needs a prebuilt image (image:); build: is not supported there');
    }
    if (spec.runtime === 'docker' && (spec.resources.nodes ?? 1) > 1) throw new NonRetriableError('runs over several nodes use runtime: process on Slurm');
    if (spec.files) throw new NonRetriableError('files: (uploaded directories) are not supported on Slurm yet; use a workdir on the shared directory');
    const files = jobFiles(o.sharedDir, req.runId, req.attempt);
    await mkdir(files.dir, { recursive: true });
    await mkdir(req.paths.outputs, { recursive: true });
    await writeFile(req.paths.log, '', { flag: 'a' });
    await writeFile(files.task, taskScript(req, files, o.docker ?? {}), { mode: 0o755 });
    return files;
  };

  return {
    name,
    runtimes: ['process', 'docker'],
    nodes: () => [node],
    async launch(req, hooks) {
      if (closed) throw new Error('the Slurm backend is closed');
      const files = await prepare(req);
      const directives = slurmDirectives(req, o.defaults);
      if (req.group) {
        const jobId = await new Promise<string>((resolve, reject) => {
          enqueue({ req, hooks, files, settle: (r) => ('jobId' in r ? resolve(r.jobId) : reject(r.error)) }, directives);
        });
        return track(jobId, req, files, hooks, 0);
      }
      const script = join(files.dir, 'job.sh');
      await writeFile(script, sbatchScript(req, files, o.defaults));
      return track(await o.cli.submit(script), req, files, hooks, 0);
    },
    async recover(req, externalId, hooks) {
      if (!/^\d+(_\d+)?$/.test(externalId)) return undefined;
      const files = jobFiles(o.sharedDir, req.runId, req.attempt);
      // What was copied before the restart is in the run's log already.
      return track(externalId, req, files, hooks, await fileSize(req.paths.log));
    },
    async close() {
      closed = true;
      timer?.cancel();
      for (const key of [...batches.keys()]) await flush(key);
    },
  };
}

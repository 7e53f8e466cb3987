/**
 * The part of Slurm Regatta uses, through its command-line clients (sbatch, squeue, sacct, scancel,
 * sinfo): the same way users drive it, and no library binding to keep in step with the cluster.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { parseSacct, parseSqueue, type SlurmJobState } from './slurm-state.js';

export interface SlurmCli {
  /** Submits a script file; resolves to the job id. */
  submit(scriptPath: string): Promise<string>;
  /** States of the given jobs (array jobs by their id: one line per task); one squeue call. */
  queue(jobIds: readonly string[]): Promise<SlurmJobState[]>;
  /** States from accounting, for jobs squeue no longer shows; undefined where accounting is off. */
  accounting(jobIds: readonly string[]): Promise<SlurmJobState[] | undefined>;
  cancel(jobIds: readonly string[]): Promise<void>;
  /** CPUs, memory (bytes), GPUs and nodes of a partition (the default one when undefined). */
  partition(name?: string): Promise<{ name: string; cpus: number; memory: number; gpus: number; nodes: number }>;
}

export interface SlurmCliOptions {
  /** Directory of the Slurm clients; default: found on PATH. */
  binDir?: string;
  /** Environment of the clients (PATH, SLURM_CONF). */
  env: Record<string, string>;
  /** Clients running at once (a burst of submissions must not fork hundreds of processes). */
  maxConcurrent?: number;
}

export class SlurmCommandError extends Error {
  constructor(readonly command: string, readonly stderr: string, options?: { cause?: unknown }) {
    super(`${command}: ${stderr.trim().split('\n').slice(-3).join(' ') || 'failed'}`, options);
    this.name = 'SlurmCommandError';
  }
}

export function createSlurmCli(o: SlurmCliOptions): SlurmCli {
  const limit = o.maxConcurrent ?? 8;
  let running = 0;
  const waiting: (() => void)[] = [];
  const bin = (name: string) => (o.binDir ? join(o.binDir, name) : name);

  const exec = async (name: string, args: readonly string[]): Promise<string> => {
    if (running >= limit) await new Promise<void>((r) => waiting.push(r));
    running++;
    try {
      return await new Promise<string>((resolve, reject) => {
        execFile(bin(name), args, { env: o.env, encoding: 'utf8', timeout: 60_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
          if (err) reject(new SlurmCommandError(`${name} ${args.slice(0, 4).join(' ')}`, stderr || err.message, { cause: err }));
          else resolve(stdout);
        });
      });
    } finally {
      running--;
      waiting.shift()?.();
    }
  };

  return {
    async submit(scriptPath) {
      const out = await exec('sbatch', ['--parsable', scriptPath]);
      const id = out.trim().split(';')[0] ?? '';
      if (!/^\d+$/.test(id)) throw new SlurmCommandError('sbatch', `unexpected answer: ${out}`);
      return id;
    },
    async queue(jobIds) {
      if (!jobIds.length) return [];
      try {
        return parseSqueue(await exec('squeue', ['-h', '-r', '-t', 'all', '-j', jobIds.join(','), '-o', '%i|%T|%r|%N']));
      } catch (e) {
        // A single unknown id is an error to squeue; several are filtered quietly.
        if (e instanceof SlurmCommandError && /Invalid job id/i.test(e.stderr)) return [];
        throw e;
      }
    },
    async accounting(jobIds) {
      if (!jobIds.length) return [];
      try {
        return parseSacct(await exec('sacct', ['-n', '-P', '-X', '-j', jobIds.join(','), '-o', 'JobID,State,ExitCode,NodeList']));
      } catch (e) {
        if (e instanceof SlurmCommandError && /accounting storage is disabled|not running a supported accounting_storage/i.test(e.stderr)) return undefined;
        throw e;
      }
    },
    async cancel(jobIds) {
      if (jobIds.length) await exec('scancel', [...jobIds]);
    },
    async partition(name) {
      const out = await exec('sinfo', ['-h', '-N', '-o', '%N|%P|%c|%m|%G', ...(name ? ['-p', name] : [])]);
      const seen = new Set<string>();
      const total = { name: name ?? '', cpus: 0, memory: 0, gpus: 0, nodes: 0 };
      for (const line of out.split('\n')) {
        const [node = '', part = '', cpus = '', mem = '', gres = ''] = line.trim().split('|');
        if (!node) continue;
        const isDefault = part.endsWith('*');
        if (!name && !isDefault) continue;
        if (!total.name) total.name = part.replace(/\*$/, '');
        if (seen.has(node)) continue;
        seen.add(node);
        total.nodes++;
        total.cpus += Number(cpus) || 0;
        total.memory += (Number(mem) || 0) * 1024 * 1024;
        total.gpus += Number(/gpu(?::[^:,()]+)?:(\d+)/.exec(gres)?.[1] ?? 0);
      }
      return total;
    },
  };
}

/**
 * A real, private Slurm cluster for tests (see scripts/slurm-test-env.sh): two nodes (two slurmd)
 * on this host, so that jobs over several nodes run for real.
 *
 *   let env: SlurmEnv;
 *   beforeAll(async () => { env = await startSlurmEnv(); }, SLURM_ENV_TIMEOUT_MS);
 *   afterAll(() => env?.stop(), 60_000);
 *
 * Clients reach it with SLURM_CONF=env.conf. Needs Linux and root (the script installs slurmctld,
 * slurmd, slurm-client and munge with apt-get when they are missing).
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { runEnvScript, startEnv } from './env-script.js';

const execFileAsync = promisify(execFile);

export const SLURM_ENV_SCRIPT = resolve(import.meta.dirname, '../scripts/slurm-test-env.sh');
/** For beforeAll: a first run installs packages before starting. */
export const SLURM_ENV_TIMEOUT_MS = 300_000;

export interface SlurmEnv {
  /** SLURM_CONF for the clients. */
  conf: string;
  partition: string;
  /** The first node's name. */
  node: string;
  /** Every node (several slurmd on this host, each a node of its own). */
  nodes: string[];
  /** State of the daemons; removed by stop(). */
  dir: string;
  /** Runs a Slurm client (squeue, sbatch...) against this cluster. */
  client(cmd: string, args: string[]): Promise<string>;
  /** Cancels every job, stops the daemons and removes `dir`; safe to call more than once. */
  stop(): Promise<void>;
}

export function canStartSlurmEnv(): boolean {
  return process.platform === 'linux' && process.getuid?.() === 0;
}

const script = (args: string[], timeoutMs: number): Promise<string> => runEnvScript(SLURM_ENV_SCRIPT, args, timeoutMs);

let installing: Promise<unknown> | undefined;

export function installSlurmEnv(): Promise<unknown> {
  installing ??= script(['install'], 280_000);
  return installing;
}

export async function startSlurmEnv(): Promise<SlurmEnv> {
  await installSlurmEnv();
  return startEnv(SLURM_ENV_SCRIPT, 'rsl-', ({ dir, vars, stop }) => {
    const conf = vars.get('SLURM_CONF');
    if (!conf) throw new Error('slurm-test-env.sh start printed no SLURM_CONF');
    const client = async (cmd: string, args: string[]): Promise<string> =>
      (await execFileAsync(cmd, args, { env: { ...process.env, SLURM_CONF: conf }, encoding: 'utf8' })).stdout;
    const nodes = (vars.get('SLURM_NODES') ?? '').split(' ').filter(Boolean);
    return { conf, partition: vars.get('SLURM_PARTITION') ?? 'debug', node: vars.get('SLURM_NODE') ?? '', nodes, dir, client, stop };
  });
}

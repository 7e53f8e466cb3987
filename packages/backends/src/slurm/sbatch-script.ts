/**
 * What Regatta asks of Slurm, as pure functions of the launch request: the per-run task script, the
 * sbatch script of one run, and the one of a job array over a group's items. Unit-tested on their own
 * (like the Docker create body).
 *
 * Every attempt has a directory on the shared file system (seen by the server and every node): the
 * task script, its log (a single job's --output), its exit status, its work directory and
 * $REGATTA_OUTPUTS. The server tails the log and copies the outputs back when the job has ended.
 */
import { join } from 'node:path';
import type { LaunchRequest } from '@regatta/runtimes';

export interface SlurmDefaults {
  partition?: string;
  account?: string;
  qos?: string;
}

export interface SlurmDockerOptions {
  /** DOCKER_HOST on the allocated node (default: the node's own engine). */
  host?: string;
  network?: string;
}

/** An attempt's files on the shared directory. */
export interface SlurmJobFiles {
  dir: string;
  task: string;
  log: string;
  exit: string;
  outputs: string;
  work: string;
}

export function jobFiles(sharedDir: string, runId: string, attempt: number): SlurmJobFiles {
  const dir = join(sharedDir, 'runs', runId, String(attempt));
  return { dir, task: join(dir, 'task.sh'), log: join(dir, 'log'), exit: join(dir, 'exit'), outputs: join(dir, 'outputs'), work: join(dir, 'work') };
}

/** The log of one array task: slurmstepd writes there, so the file name follows Slurm's %A_%a. */
export function arrayLog(sharedDir: string, jobId: string): string {
  return join(sharedDir, 'arrays', `${jobId}.log`);
}

/** Quotes a value for a POSIX shell: 'it'\''s' */
export function shellQuote(v: string): string {
  return `'${v.replace(/'/g, `'\\''`)}'`;
}

/** Slurm's --time format; minutes are the smallest unit Slurm enforces, so always rounded up. */
export function slurmTime(ms: number): string {
  const minutes = Math.max(1, Math.ceil(ms / 60_000));
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  const hhmm = `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:00`;
  return d ? `${d}-${hhmm}` : hhmm;
}

/** The resource and placement directives of a run; items of a group with equal directives share an array. */
export function slurmDirectives(req: LaunchRequest, defaults: SlurmDefaults = {}): string[] {
  const { spec } = req;
  const r = spec.resources;
  const nodes = r.nodes ?? 1;
  return [
    `--job-name=${`regatta-${spec.name}`.slice(0, 100)}`,
    `--nodes=${nodes}`,
    nodes > 1 ? '--ntasks-per-node=1' : '--ntasks=1',
    `--cpus-per-task=${Math.max(1, Math.ceil(r.cpus))}`,
    ...(r.memory > 0 ? [`--mem=${Math.ceil(r.memory / (1024 * 1024))}M`] : []),
    ...(r.gpus > 0 ? [`--gres=gpu:${r.gpus}`] : []),
    ...(spec.timeoutMs !== undefined ? [`--time=${slurmTime(spec.timeoutMs)}`] : []),
    ...(defaults.partition ? [`--partition=${defaults.partition}`] : []),
    ...(defaults.account ? [`--account=${defaults.account}`] : []),
    ...(defaults.qos ? [`--qos=${defaults.qos}`] : []),
  ];
}

function commandLine(command: string | readonly string[]): string {
  return typeof command === 'string' ? `/bin/sh -c ${shellQuote(command)}` : command.map(shellQuote).join(' ');
}

function dockerCommand(req: LaunchRequest, files: SlurmJobFiles, env: Record<string, string>, docker: SlurmDockerOptions): string {
  const { spec } = req;
  const name = `regatta-${req.runId}-${req.attempt}`;
  const args = [
    'docker', 'run', '--rm', '--init', '--name', name, '--label', `dev.regatta.run=${req.runId}`,
    ...(docker.network ? ['--network', docker.network] : []),
    ...Object.keys(env).filter((k) => k !== 'REGATTA_OUTPUTS').flatMap((k) => ['-e', k]),
    '-e', 'REGATTA_OUTPUTS=/regatta/outputs', '-v', `${files.outputs}:/regatta/outputs`,
    ...spec.mounts.flatMap((m) => ['-v', `${m.source}:${m.target}${m.readonly ? ':ro' : ''}`]),
    ...spec.datasets.flatMap((d) => (d.source ? ['-v', `${d.source}:${d.target}:ro`] : [])),
    ...(spec.resources.shmSize ? ['--shm-size', String(spec.resources.shmSize)] : []),
    ...(spec.resources.gpus > 0 ? ['--gpus', 'all'] : []),
    ...(spec.workdir ? ['-w', spec.workdir] : []),
    spec.image ?? '',
  ].map(shellQuote).join(' ');
  const command = typeof spec.command === 'string' ? ['/bin/sh', '-c', spec.command] : spec.command;
  // `docker run` is only the client: the trap removes the container when Slurm signals the job.
  return [
    ...(docker.host ? [`export DOCKER_HOST=${shellQuote(docker.host)}`] : []),
    `trap 'docker rm -f ${name} >/dev/null 2>&1; exit 143' TERM INT`,
    `${args} ${command.map(shellQuote).join(' ')} &`,
    'wait $!',
  ].join('\n');
}

/**
 * The script one run executes on its (first) node. A run over several nodes starts one task per node
 * with `srun`, each with the rendezvous variables a distributed trainer reads.
 */
export function taskScript(req: LaunchRequest, files: SlurmJobFiles, docker: SlurmDockerOptions = {}): string {
  const { spec } = req;
  const nodes = spec.resources.nodes ?? 1;
  const env: Record<string, string> = { ...spec.env, ...req.env, REGATTA_OUTPUTS: files.outputs };
  const exports = Object.entries(env).map(([k, v]) => `export ${k}=${shellQuote(v)}`);
  const workdir = spec.workdir ?? files.work;
  const run = spec.runtime === 'docker' ? dockerCommand(req, files, env, docker) : commandLine(spec.command);
  const rendezvous = [
    // One node needs no call to the controller: it is the master.
    nodes > 1 ? 'MASTER_ADDR=$(scontrol show hostnames "$SLURM_JOB_NODELIST" 2>/dev/null | head -n 1)' : 'MASTER_ADDR=${SLURMD_NODENAME:-}',
    'export MASTER_ADDR=${MASTER_ADDR:-$(hostname)}',
    // A port per job, so that two jobs sharing a node do not collide.
    'export MASTER_PORT=$((20000 + ${SLURM_JOB_ID:-0} % 20000))',
    `export WORLD_SIZE=${nodes} REGATTA_WORLD_SIZE=${nodes} REGATTA_MASTER_ADDR="$MASTER_ADDR" REGATTA_MASTER_PORT="$MASTER_PORT"`,
  ];
  const rank = 'export RANK=${SLURM_PROCID:-0} LOCAL_RANK=${SLURM_LOCALID:-0} REGATTA_RANK=${SLURM_PROCID:-0}';
  // --label prefixes each line with its task's rank (`0: `), so the nodes' lines in the one log stay
  // apart (`regatta logs ID --rank N`).
  const body = nodes > 1
    ? [`srun --label --kill-on-bad-exit=1 --ntasks=${nodes} --ntasks-per-node=1 /bin/sh -c ${shellQuote(`${rank}\nexec ${commandLine(spec.command)}`)}`]
    : [rank, run];
  return [
    '#!/bin/sh',
    '# Written by Regatta: one attempt of a run; reports through $REGATTA_OUTPUTS on the shared directory.',
    ...exports,
    `mkdir -p ${shellQuote(files.outputs)} ${shellQuote(files.work)}`,
    `cd ${shellQuote(workdir)} || exit 127`,
    ...rendezvous,
    ...body,
    'code=$?',
    // Written last and renamed, so that the server never reads half a status.
    `echo "$code" > ${shellQuote(`${files.exit}.tmp`)} && mv ${shellQuote(`${files.exit}.tmp`)} ${shellQuote(files.exit)}`,
    'exit "$code"',
    '',
  ].join('\n');
}

/** The sbatch script of a single run: its directives and its task script. */
export function sbatchScript(req: LaunchRequest, files: SlurmJobFiles, defaults: SlurmDefaults = {}): string {
  return [
    '#!/bin/sh',
    ...[...slurmDirectives(req, defaults), `--output=${files.log}`, `--error=${files.log}`, '--open-mode=append'].map((d) => `#SBATCH ${d}`),
    `exec /bin/sh ${shellQuote(files.task)}`,
    '',
  ].join('\n');
}

/**
 * One job array over items of a group that share their directives: array task i runs item i's task
 * script; `%maxParallel` lets Slurm hold the rest.
 */
export function arrayScript(directives: readonly string[], tasks: readonly string[], sharedDir: string, maxParallel?: number): string {
  const spec = `0-${tasks.length - 1}${maxParallel !== undefined ? `%${maxParallel}` : ''}`;
  return [
    '#!/bin/sh',
    ...[...directives, `--array=${spec}`, `--output=${join(sharedDir, 'arrays', '%A_%a.log')}`, '--open-mode=append'].map((d) => `#SBATCH ${d}`),
    'case "$SLURM_ARRAY_TASK_ID" in',
    ...tasks.map((t, i) => `  ${i}) exec /bin/sh ${shellQuote(t)} ;;`),
    'esac',
    'echo "no task for array index $SLURM_ARRAY_TASK_ID" >&2',
    'exit 2',
    '',
  ].join('\n');
}

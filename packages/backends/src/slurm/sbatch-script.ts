/**
 * The sbatch script of an attempt, as a pure function of the launch request: what Regatta asks of
 * Slurm is unit-tested on its own (like the Docker create body).
 */
import type { LaunchRequest } from '@regatta/runtimes';

export interface SlurmDefaults {
  partition?: string;
  account?: string;
  qos?: string;
}

/** Quotes a value for a POSIX shell: 'it'\''s' */
export function shellQuote(v: string): string {
  return `'${v.replace(/'/g, `'\\''`)}'`;
}

/** Slurm's --time format (minutes are the smallest unit Slurm takes; always rounded up). */
export function slurmTime(ms: number): string {
  const minutes = Math.max(1, Math.ceil(ms / 60_000));
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  const hhmm = `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:00`;
  return d ? `${d}-${hhmm}` : hhmm;
}

export function sbatchScript(req: LaunchRequest, defaults: SlurmDefaults = {}): string {
  const { spec, paths } = req;
  const r = spec.resources;
  const directives = [
    `--job-name=${`regatta-${spec.name}`.slice(0, 100)}`,
    `--output=${paths.log}`,
    `--error=${paths.log}`,
    '--open-mode=append',
    '--nodes=1',
    '--ntasks=1',
    `--cpus-per-task=${Math.max(1, Math.ceil(r.cpus))}`,
    ...(r.memory > 0 ? [`--mem=${Math.ceil(r.memory / (1024 * 1024))}M`] : []),
    ...(r.gpus > 0 ? [`--gres=gpu:${r.gpus}`] : []),
    ...(spec.timeoutMs !== undefined ? [`--time=${slurmTime(spec.timeoutMs)}`] : []),
    ...(defaults.partition ? [`--partition=${defaults.partition}`] : []),
    ...(defaults.account ? [`--account=${defaults.account}`] : []),
    ...(defaults.qos ? [`--qos=${defaults.qos}`] : []),
    ...(spec.workdir ? [`--chdir=${spec.workdir}`] : []),
  ];
  const env = { ...spec.env, ...req.env };
  const command = typeof spec.command === 'string'
    ? `exec /bin/sh -c ${shellQuote(spec.command)}`
    : `exec ${spec.command.map(shellQuote).join(' ')}`;
  return [
    '#!/bin/sh',
    ...directives.map((d) => `#SBATCH ${d}`),
    '# Written by Regatta; the job reports through $REGATTA_OUTPUTS on the shared directory.',
    ...Object.entries(env).map(([k, v]) => `export ${k}=${shellQuote(v)}`),
    `mkdir -p ${shellQuote(paths.outputs)}`,
    ...(spec.workdir ? [] : [`mkdir -p ${shellQuote(`${paths.dir}/work`)} && cd ${shellQuote(`${paths.dir}/work`)}`]),
    command,
    '',
  ].join('\n');
}

/**
 * The flags people reach for on `run` and `template run` (as on sbatch, dstack and sky), mapped onto
 * spec fields; the check that stray words do not silently replace a spec's command; and Ctrl-C.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { RegattaError } from '@regatta/core';

const collect = (v: string, prev: string[]) => [...prev, v];

export interface RunFlags {
  name?: string;
  gpus?: string;
  cpus?: string;
  memory?: string;
  env: string[];
  queue?: string;
  label: string[];
  priority?: string;
  timeout?: string;
  workdir?: string;
}

/** Adds the flags; their values override the spec (file or template), and --set overrides them. */
export function addRunFlags(cmd: Command): Command {
  return cmd
    .option('--name <name>', 'run name (default: the script or program of the command, e.g. train for python3 train.py)')
    .option('--gpus <n>', 'GPUs (resources.gpus)')
    .option('--cpus <n>', 'CPU cores (resources.cpus), e.g. 2 or 0.5')
    .option('--memory <size>', 'memory (resources.memory), e.g. 8Gi')
    .option('--env <KEY=VALUE>', 'environment variable (repeatable; REGATTA_* names are reserved)', collect, [])
    .option('--queue <queue>', 'queue')
    .option('--label <key=value>', 'label (repeatable)', collect, [])
    .option('--priority <n>', 'priority (higher runs first)')
    .option('--timeout <duration>', 'time limit, e.g. 30m or 2h')
    .option('--workdir <dir>', 'working directory on the node (relative to the current directory)');
}

function pair(flag: string, text: string): [string, string] {
  const i = text.indexOf('=');
  if (i <= 0) throw new RegattaError('invalid_request', `${flag} '${text}' must look like KEY=VALUE`);
  return [text.slice(0, i), text.slice(i + 1)];
}

function number(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n)) throw new RegattaError('invalid_request', `${flag} '${text}' is not a number`);
  return n;
}

function object(spec: Record<string, unknown>, key: string): Record<string, unknown> {
  const v = spec[key];
  if (v !== undefined && v !== null && (typeof v !== 'object' || Array.isArray(v))) throw new RegattaError('invalid_spec', `${key}: expected a mapping`);
  const o = (v ?? {}) as Record<string, unknown>;
  spec[key] = o;
  return o;
}

/** Writes the flags into a spec or an overrides object (the server checks the values). */
export function applyRunFlags(spec: Record<string, unknown>, f: RunFlags): void {
  if (f.name !== undefined) spec.name = f.name;
  if (f.queue !== undefined) spec.queue = f.queue;
  if (f.timeout !== undefined) spec.timeout = f.timeout;
  if (f.workdir !== undefined) spec.workdir = resolve(f.workdir);
  const priority = number('--priority', f.priority);
  if (priority !== undefined) spec.priority = priority;
  const gpus = number('--gpus', f.gpus);
  const cpus = number('--cpus', f.cpus);
  if (gpus !== undefined || cpus !== undefined || f.memory !== undefined) {
    const r = object(spec, 'resources');
    if (gpus !== undefined) r.gpus = gpus;
    if (cpus !== undefined) r.cpus = cpus;
    if (f.memory !== undefined) r.memory = f.memory;
  }
  if (f.env.length) {
    const env = object(spec, 'env');
    for (const e of f.env) {
      const [k, v] = pair('--env', e);
      env[k] = v;
    }
  }
  if (f.label.length) {
    const labels = object(spec, 'labels');
    for (const l of f.label) {
      const [k, v] = pair('--label', l);
      labels[k] = v;
    }
  }
}

/**
 * With -f, words after the options replace the spec's command only when they follow `--`; otherwise
 * they are a slip (`--set timeout=5 minutes` without quotes) and running `minutes` would be wrong.
 * Returns the command that replaces the spec's, if any.
 */
export function commandOverride(file: string | undefined, words: readonly string[], argv: readonly string[] = process.argv): string[] {
  if (!file || !words.length) return [...words];
  const dd = argv.indexOf('--');
  const explicit = dd >= 0 ? argv.length - dd - 1 : 0;
  const stray = words.slice(0, words.length - explicit);
  if (stray.length) {
    throw new RegattaError('invalid_request',
      `unexpected word(s) ${stray.map((w) => `'${w}'`).join(' ')} after the options. Quote a value with spaces (--set 'timeout=5 minutes'); `
      + `to replace the spec's command, put it after --: regatta run -f ${file} -- ${stray.join(' ')}`);
  }
  return [...words];
}

/**
 * Ctrl-C while following or waiting detaches, as `docker logs -f` and `dstack attach` do: the run is
 * durable and keeps running on the server. Exit status 130, as for any interrupted command.
 */
export function detachOnInterrupt(what: string): () => void {
  const onSigint = () => {
    process.stderr.write(`\nregatta: detached: ${what}\n`);
    process.exit(130);
  };
  process.once('SIGINT', onSigint);
  return () => process.off('SIGINT', onSigint);
}

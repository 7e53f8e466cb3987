/**
 * The training API (seed 002) in Regatta's terms, as pure functions: which uploaded file is the
 * Dockerfile and which the script, the command `docker run IMAGE` would have run, the template spec
 * of a training, and the task status a run shows as.
 */
import type { RunStatus } from '@regatta/core';

export const LABEL_TRAINING = 'regatta.compat/training';
export const LABEL_TRAINING_NAME = 'regatta.compat/name';
/** The training's algorithm: the last *.py uploaded. */
export const LABEL_ALGORITHM = 'regatta.compat/algorithm';
/** A task's number (the original's integer task id). */
export const LABEL_TASK = 'regatta.compat/task';

/** The name the original stored every uploaded Dockerfile under. */
export const DOCKERFILE = 'Dockerfile.dms';

/**
 * What the original's upload accepted: a `*.py` script (the training's algorithm, the last one
 * uploaded) or a file whose name ends in `Dockerfile.dms` (stored as Dockerfile.dms); else undefined.
 */
export function uploadKind(name: string): 'algorithm' | 'dockerfile' | undefined {
  if (name.endsWith('Dockerfile.dms')) return 'dockerfile';
  if (name.endsWith('.py') && name.length > 3) return 'algorithm';
  return undefined;
}

export interface TrainingFiles {
  dockerfile?: string;
  /** The training's algorithm (its script). */
  script?: string;
}

type Form = { exec: string[] } | { shell: string };

function form(arg: string): Form {
  if (arg.startsWith('[')) {
    try {
      const v: unknown = JSON.parse(arg);
      if (Array.isArray(v) && v.every((x): x is string => typeof x === 'string')) return { exec: v };
    } catch {
      // Not JSON: Docker runs it in the shell form too.
    }
  }
  return { shell: arg };
}

/** The ENTRYPOINT and CMD of a Dockerfile's final stage. */
function dockerfileProcess(text: string): { entrypoint?: Form; cmd?: Form } {
  const lines: string[] = [];
  let current = '';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!current && (line.startsWith('#') || !line)) continue;
    if (line.endsWith('\\')) {
      current += line.slice(0, -1);
      continue;
    }
    if (line.startsWith('#')) continue; // a comment inside a continued instruction
    lines.push(current + line);
    current = '';
  }
  if (current) lines.push(current);
  let entrypoint: Form | undefined;
  let cmd: Form | undefined;
  for (const l of lines) {
    const m = /^(\S+)\s*(.*)$/.exec(l);
    const op = m?.[1]?.toUpperCase();
    const arg = (m?.[2] ?? '').trim();
    if (op === 'FROM') {
      entrypoint = undefined;
      cmd = undefined;
    } else if (op === 'CMD') cmd = form(arg);
    // Docker drops a CMD inherited from the base image when ENTRYPOINT is set; one set in this stage stays.
    else if (op === 'ENTRYPOINT') entrypoint = form(arg);
  }
  return { ...(entrypoint ? { entrypoint } : {}), ...(cmd ? { cmd } : {}) };
}

/**
 * What `docker run IMAGE` runs for an image built from this Dockerfile (its final stage), as a
 * Regatta command (a string runs with `sh -c`, as Docker's shell form does), or undefined when the
 * Dockerfile sets neither CMD nor ENTRYPOINT.
 */
export function dockerfileCommand(text: string, args?: readonly string[]): string | string[] | undefined {
  const { entrypoint, cmd } = dockerfileProcess(text);
  if (entrypoint && 'shell' in entrypoint) return entrypoint.shell;
  // Arguments given to `docker run IMAGE ARGS` replace CMD.
  const cmdArgs = args ? [...args] : (cmd === undefined ? [] : 'exec' in cmd ? cmd.exec : ['/bin/sh', '-c', cmd.shell]);
  if (entrypoint) return [...entrypoint.exec, ...cmdArgs];
  if (cmd && 'shell' in cmd) return cmd.shell;
  return cmdArgs.length ? cmdArgs : undefined;
}

/** The folder the original mounted the training into, and named to its script as `-V /training_output/`. */
export const TRAINING_OUTPUT = '/training_output';

/**
 * The task's command under the original's contract: `docker run IMAGE -V /training_output/` (the
 * arguments go to the ENTRYPOINT), with /training_output being the run's outputs, where score.json
 * is read. A Dockerfile with only a CMD runs its CMD (the original would have run `-V` and failed).
 */
export function trainingCommand(dockerfileText: string): string[] | undefined {
  const { entrypoint } = dockerfileProcess(dockerfileText);
  const argv = entrypoint && 'exec' in entrypoint ? dockerfileCommand(dockerfileText, ['-V', `${TRAINING_OUTPUT}/`]) : dockerfileCommand(dockerfileText);
  if (argv === undefined) return undefined;
  const exec = typeof argv === 'string' ? ['/bin/sh', '-c', argv] : argv;
  return ['/bin/sh', '-c', `[ -e ${TRAINING_OUTPUT} ] || ln -s "$REGATTA_OUTPUTS" ${TRAINING_OUTPUT}; exec "$@"`, 'sh', ...exec];
}

export interface TrainingMeta {
  id: number;
  name?: string;
  templateName: string;
  queue?: string;
}

/**
 * The template spec of a training; complete (build and command) once it has a Dockerfile.dms with
 * an ENTRYPOINT (or CMD) and an algorithm, otherwise with `missing` saying what is lacking.
 */
export function trainingSpec(meta: TrainingMeta, files: TrainingFiles, dockerfileText: string | undefined): { spec: Record<string, unknown>; missing: string[] } {
  const labels = {
    'regatta.compat': 'training', [LABEL_TRAINING]: String(meta.id),
    ...(meta.name ? { [LABEL_TRAINING_NAME]: meta.name } : {}), ...(files.script ? { [LABEL_ALGORITHM]: files.script } : {}),
  };
  const spec: Record<string, unknown> = { name: meta.templateName, runtime: 'docker', labels, ...(meta.queue ? { queue: meta.queue } : {}) };
  const missing: string[] = [];
  if (!files.dockerfile) missing.push(`the Dockerfile (upload ${DOCKERFILE})`);
  if (!files.script) missing.push('the algorithm (upload a *.py script)');
  const command = dockerfileText !== undefined ? trainingCommand(dockerfileText) : undefined;
  if (files.dockerfile && command === undefined) missing.push(`an ENTRYPOINT (or CMD) in ${files.dockerfile} (what runs the script)`);
  if (!missing.length && files.dockerfile && command !== undefined) {
    spec.build = { context: '.', dockerfile: files.dockerfile };
    spec.command = command;
  }
  return { spec, missing };
}

export type TaskStatus = 'created' | 'building' | 'training' | 'complete' | 'aborted' | 'failure';

export function taskStatus(s: RunStatus): TaskStatus {
  switch (s) {
    case 'queued':
    case 'starting':
      return 'created';
    case 'building':
      return 'building';
    case 'running':
    case 'cleanup':
      return 'training';
    case 'succeeded':
      return 'complete';
    case 'canceled':
      return 'aborted';
    case 'failed':
    case 'timed_out':
    case 'lost':
      return 'failure';
  }
}

const SCORES = ['test_loss', 'test_accuracy'] as const;
export type Scores = Record<(typeof SCORES)[number], number | null>;

/** test_loss and test_accuracy from the first source that has each: reported metrics, the result, score.json. */
export function pickScores(...sources: readonly unknown[]): Scores {
  const out: Scores = { test_loss: null, test_accuracy: null };
  for (const key of SCORES) {
    for (const s of sources) {
      const v = typeof s === 'object' && s !== null && !Array.isArray(s) ? (s as Record<string, unknown>)[key] : undefined;
      const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
      if (typeof n === 'number' && Number.isFinite(n)) {
        out[key] = n;
        break;
      }
    }
  }
  return out;
}

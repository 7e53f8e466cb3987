/** Reading a job spec from a file, applying `--set path=value`, and resolving a relative workdir. */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { RegattaError, parseSpecText } from '@regatta/core';
import type { RegattaClient } from '@regatta/sdk';
import { create as createTar } from 'tar';

/** `params.lr=0.01` → sets spec.params.lr to the number 0.01 (values are read as YAML scalars). */
export function applySet(spec: Record<string, unknown>, assignment: string): void {
  const eq = assignment.indexOf('=');
  if (eq <= 0) throw new RegattaError('invalid_request', `--set '${assignment}' must look like path.to.field=value`);
  const path = assignment.slice(0, eq).split('.');
  if (path.some((p) => !p || p === '__proto__' || p === 'constructor' || p === 'prototype')) {
    throw new RegattaError('invalid_request', `--set '${assignment}' has an invalid path`);
  }
  const raw = assignment.slice(eq + 1);
  let value: unknown;
  try {
    value = raw === '' ? '' : (parseYaml(raw) as unknown);
  } catch {
    value = raw;
  }
  let obj: Record<string, unknown> = spec;
  for (const key of path.slice(0, -1)) {
    const next = obj[key];
    if (next === undefined || next === null) obj[key] = {};
    else if (typeof next !== 'object' || Array.isArray(next)) {
      throw new RegattaError('invalid_request', `--set '${assignment}': '${key}' is not an object`);
    }
    obj = obj[key] as Record<string, unknown>;
  }
  obj[path[path.length - 1] as string] = value;
}

/**
 * The spec from a file (or stdin), with an inline command, then `flags` (the run flags), then each
 * `--set`.
 */
export function loadSpec(
  file: string | undefined, sets: readonly string[], inlineCommand: readonly string[], flags?: (spec: Record<string, unknown>) => void,
): { spec: Record<string, unknown>; baseDir: string } {
  let spec: Record<string, unknown> = {};
  let baseDir = process.cwd();
  if (file) {
    const text = file === '-' ? readFileSync(0, 'utf8') : readFileSync(file, 'utf8');
    const parsed = parseSpecText(text, file);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new RegattaError('invalid_spec', `${file} must hold a mapping (a job spec), not ${Array.isArray(parsed) ? 'a list' : typeof parsed}`);
    }
    spec = parsed as Record<string, unknown>;
    if (file !== '-') baseDir = dirname(resolve(file));
  }
  if (inlineCommand.length) spec.command = inlineCommand.length === 1 ? inlineCommand[0] : [...inlineCommand];
  flags?.(spec);
  for (const s of sets) applySet(spec, s);
  // A relative workdir means "relative to the spec file" (or the current directory for inline runs);
  // a container's workdir is a path inside the image and is left as written.
  if (typeof spec.workdir === 'string' && !isAbsolute(spec.workdir) && spec.runtime !== 'docker') {
    spec.workdir = resolve(baseDir, spec.workdir);
  }
  return { spec, baseDir };
}

/**
 * A docker run's `build.context` naming a local directory (relative to the spec file) is packed and
 * uploaded, and replaced by the upload's reference; anything else is left for the server to judge.
 */
export async function uploadBuildContext(spec: Record<string, unknown>, baseDir: string, api: RegattaClient): Promise<void> {
  const build = spec.build;
  if (typeof build !== 'object' || build === null || Array.isArray(build)) return;
  const b = build as Record<string, unknown>;
  if (typeof b.context !== 'string' || b.context.startsWith('upload:')) return;
  const dir = resolve(baseDir, b.context);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    if (isAbsolute(b.context)) return; // a path on the server
    throw new RegattaError('invalid_spec', `build.context: ${dir} is not a directory`);
  }
  const chunks: Buffer[] = [];
  for await (const c of createTar({ cwd: dir, gzip: true, portable: true }, ['.'])) chunks.push(c as Buffer);
  b.context = (await api.upload(Buffer.concat(chunks))).ref;
}

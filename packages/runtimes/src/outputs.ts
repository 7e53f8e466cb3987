/** Collecting declared outputs into the artifacts directory, and listing what is there. */
import { readdirSync } from 'node:fs';
import { copyFile, mkdir, readdir, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { glob } from 'tinyglobby';
import type { Artifact } from '@regatta/core';
import { jobCouldRead } from './process/job-user.js';

/** Copies files matching `patterns` (relative to `workdir`) into `outputs`, keeping relative paths. */
export async function collectOutputs(workdir: string, patterns: readonly string[], outputs: string): Promise<void> {
  if (!patterns.length) return;
  const root = resolve(workdir);
  const files = await glob([...patterns], { cwd: root, onlyFiles: true, dot: true, followSymbolicLinks: false, expandDirectories: true });
  for (const f of files) {
    const src = resolve(root, f);
    if (!src.startsWith(root + sep)) continue; // never copy from outside the workdir
    // The server copies as itself: a link the job planted must not hand it a file the job could not read.
    if (!(await jobCouldRead(root, src))) continue;
    const dst = join(outputs, relative(root, src));
    await mkdir(dirname(dst), { recursive: true });
    await copyFile(src, dst);
  }
}

/** Every regular file under `dir`, with its path relative to `dir` (POSIX separators). */
export async function listArtifacts(dir: string): Promise<Artifact[]> {
  let entries;
  try {
    // Most attempts leave nothing: one getdents on a local directory answers that without the
    // thread-pool round trips of a recursive listing.
    if (!readdirSync(dir).length) return [];
    entries = await readdir(dir, { recursive: true, withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const out: Artifact[] = [];
  for (const e of entries) {
    if (!e.isFile()) continue;
    const full = join(e.parentPath, e.name);
    out.push({ path: relative(dir, full).split(sep).join('/'), size: (await stat(full)).size });
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

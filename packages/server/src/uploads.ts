/**
 * Uploaded directories (build contexts now, template files later): a tar or tar.gz is checked
 * entry by entry before anything is written, refused whole when one entry is unsafe, then stored
 * under its content hash, so the same upload twice is stored once.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { Parser, extract, type ReadEntry } from 'tar';
import { RegattaError } from '@regatta/core';
import { hashDirectory } from '@regatta/runtimes';

export interface UploadLimits {
  maxFiles: number;
  maxBytes: number;
}

export interface StoredUpload {
  id: string;
  files: number;
  bytes: number;
}

const ALLOWED = new Set(['File', 'OldFile', 'ContiguousFile', 'Directory', 'SymbolicLink']);

function refuse(path: string, why: string): RegattaError {
  return new RegattaError('invalid_request', `upload refused: '${path}' ${why}`, { issues: [{ path: `body:${path}`, message: why }] });
}

/** Lists the archive's entries and throws on the first unsafe one. */
async function check(archive: Buffer, limits: UploadLimits): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  let problem: RegattaError | undefined;
  const parser = new Parser({
    onReadEntry: (entry: ReadEntry) => {
      const p = entry.path;
      const norm = posix.normalize(p);
      if (!problem) {
        if (!ALLOWED.has(entry.type)) problem = refuse(p, `is a ${entry.type} entry; only files, directories and links inside the upload are allowed`);
        else if (p.startsWith('/') || norm.split('/').includes('..')) problem = refuse(p, 'leaves the upload directory (absolute or ..)');
        else if (entry.type === 'SymbolicLink') {
          const target = entry.linkpath ?? '';
          const resolved = posix.normalize(posix.join(posix.dirname(norm), target));
          if (target.startsWith('/') || resolved.split('/')[0] === '..') problem = refuse(p, `links outside the upload (${target})`);
        }
        if (entry.type !== 'Directory') files++;
        bytes += entry.size ?? 0;
        if (!problem && files > limits.maxFiles) problem = refuse(p, `exceeds the limit of ${limits.maxFiles} files`);
        if (!problem && bytes > limits.maxBytes) problem = refuse(p, `exceeds the limit of ${limits.maxBytes} bytes`);
        // Stop reading at the first problem: a compressed bomb is not unpacked to the end.
        if (problem) parser.abort(problem);
      }
      entry.resume();
    },
  });
  await new Promise<void>((resolve, reject) => {
    parser.on('end', resolve);
    parser.on('abort', () => resolve());
    parser.on('error', (e: Error) => (problem ? resolve() : reject(new RegattaError('invalid_request', `upload is not a valid tar or tar.gz archive: ${e.message}`))));
    parser.end(archive);
  });
  if (problem) throw problem;
  if (!files) throw new RegattaError('invalid_request', 'upload refused: the archive holds no files');
  return { files, bytes };
}

/** Stores a directory the caller filled (a multipart upload) under its content hash; removes `dir`. */
export async function storeDirectory(dir: string, uploadsDir: string): Promise<string> {
  const id = await hashDirectory(dir);
  try {
    await rename(dir, join(uploadsDir, id));
  } catch {
    await rm(dir, { recursive: true, force: true }); // stored already
  }
  return id;
}

/** A fresh private directory under the uploads directory, for an upload being received. */
export async function uploadScratch(uploadsDir: string): Promise<string> {
  const tmp = join(uploadsDir, `.tmp-${randomBytes(8).toString('hex')}`);
  await mkdir(tmp, { recursive: true });
  return tmp;
}

export async function storeUpload(archive: Buffer, uploadsDir: string, limits: UploadLimits): Promise<StoredUpload> {
  const { files, bytes } = await check(archive, limits);
  const tmp = await uploadScratch(uploadsDir);
  try {
    await new Promise<void>((resolve, reject) => {
      const x = extract({ cwd: tmp, strict: true, preservePaths: false, preserveOwner: false });
      x.on('error', reject);
      x.on('close', resolve);
      x.end(archive);
    });
    return { id: await storeDirectory(tmp, uploadsDir), files, bytes };
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e instanceof RegattaError ? e : new RegattaError('invalid_request', `upload could not be unpacked: ${(e as Error).message}`);
  }
}

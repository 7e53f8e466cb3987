/**
 * Uploaded directories (build contexts, template files): a tar or tar.gz stream is unpacked into a
 * private directory with every entry checked before it is written, refused whole (the directory
 * removed) when one entry is unsafe or a limit is crossed, then stored under its content hash, so
 * the same upload twice is stored once.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { Unpack, type ReadEntry } from 'tar';
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

function refuse(path: string, why: string, code: 'invalid_request' | 'payload_too_large' = 'invalid_request'): RegattaError {
  return new RegattaError(code, `upload refused: '${path}' ${why}`, { issues: [{ path: `body:${path}`, message: why }] });
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

/** The first problem of an entry (unsafe type or path, or over a limit), checked before it is written. */
function entryProblem(entry: ReadEntry, totals: { files: number; bytes: number }, limits: UploadLimits): RegattaError | undefined {
  const p = entry.path;
  const norm = posix.normalize(p);
  if (!ALLOWED.has(entry.type)) return refuse(p, `is a ${entry.type} entry; only files, directories and links inside the upload are allowed`);
  if (p.startsWith('/') || norm.split('/').includes('..')) return refuse(p, 'leaves the upload directory (absolute or ..)');
  if (entry.type === 'SymbolicLink') {
    const target = entry.linkpath ?? '';
    const resolved = posix.normalize(posix.join(posix.dirname(norm), target));
    if (target.startsWith('/') || resolved.split('/')[0] === '..') return refuse(p, `links outside the upload (${target})`);
  }
  if (entry.type !== 'Directory') totals.files++;
  totals.bytes += entry.size ?? 0;
  if (totals.files > limits.maxFiles) return refuse(p, `exceeds the limit of ${limits.maxFiles} files`, 'payload_too_large');
  if (totals.bytes > limits.maxBytes) return refuse(p, `exceeds the limit of ${limits.maxBytes} bytes`, 'payload_too_large');
  return undefined;
}

const tooLarge = (limits: UploadLimits) => new RegattaError('payload_too_large', `upload refused: the archive is larger than ${limits.maxBytes} bytes`, {
  issues: [{ path: 'body', message: `at most ${limits.maxBytes} bytes, unpacked` }],
});

/**
 * Unpacks a tar or tar.gz stream into a private directory while checking each entry before it is
 * written, then stores it under its content hash. Nothing is held whole in memory: gzip is inflated
 * by a stream with backpressure, and the compressed and unpacked bytes are counted as they pass, so
 * a bomb is stopped at the limit. On any problem the partial directory is removed.
 */
export async function storeUpload(archive: Readable, uploadsDir: string, limits: UploadLimits): Promise<StoredUpload> {
  const totals = { files: 0, bytes: 0 };
  // Tar adds a 512-byte header per entry and pads to 512 bytes; the unpacked stream may exceed the
  // content by that much before an entry's own size is over the limit.
  const maxTarBytes = limits.maxBytes + (limits.maxFiles + 2) * 1024 + 1024 * 1024;
  let problem: RegattaError | undefined;
  const tmp = await uploadScratch(uploadsDir);
  const unpack = new Unpack({
    cwd: tmp, strict: true, preservePaths: false, preserveOwner: false,
    filter: (_path, entry) => {
      if (problem || !('type' in entry)) return false;
      problem = entryProblem(entry, totals, limits);
      if (problem) unpack.abort(problem);
      return !problem;
    },
  });
  const done = new Promise<void>((resolve, reject) => {
    unpack.on('close', () => resolve());
    unpack.on('abort', () => resolve());
    unpack.on('error', (e: Error) => (problem ? resolve() : reject(e)));
  });
  try {
    let compressed = 0;
    let unpacked = 0;
    const it = archive[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    const head = await it.next();
    const counted = async function* () {
      for (let r = head; !r.done; r = await it.next()) {
        compressed += r.value.length;
        if (compressed > maxTarBytes) throw tooLarge(limits);
        yield r.value;
      }
    };
    const consume = async (src: AsyncIterable<Buffer>) => {
      for await (const chunk of src) {
        unpacked += chunk.length;
        if (unpacked > maxTarBytes) problem ??= tooLarge(limits);
        if (problem) throw problem;
        if (!unpack.write(chunk)) await new Promise<void>((r) => { unpack.once('drain', r); unpack.once('close', r); });
      }
    };
    try {
      if (!head.done && head.value[0] === 0x1f && head.value[1] === 0x8b) await pipeline(counted, createGunzip(), consume);
      else await pipeline(counted, consume);
    } catch (e) {
      problem ??= e instanceof RegattaError ? e : new RegattaError('invalid_request', `upload is not a valid tar or tar.gz archive: ${(e as Error).message}`);
    }
    if (problem) {
      unpack.abort(problem);
      archive.resume(); // the client may still be sending: drain it, so it reads the answer
    } else unpack.end();
    await done;
    if (problem) throw problem;
    if (!totals.files) throw new RegattaError('invalid_request', 'upload refused: the archive holds no files');
    return { id: await storeDirectory(tmp, uploadsDir), ...totals };
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e instanceof RegattaError ? e : new RegattaError('invalid_request', `upload is not a valid tar or tar.gz archive: ${(e as Error).message}`);
  }
}

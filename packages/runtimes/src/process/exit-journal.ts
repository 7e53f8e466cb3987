/**
 * The job journal: two small files per job, written by the supervisor before it tells anyone. The
 * start record (pid, start time, boot) is written as the job starts, so a server that dies before
 * storing the job's id still finds it and never starts the attempt twice; the exit record is
 * written when the job exits, so an exit is never lost while the server is down. Each is written to
 * a temporary name and renamed, so a reader sees all of it or nothing.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { ExitStatus } from './launcher-protocol.js';
import type { JobId } from './job-id.js';

function writeAtomically(file: string, value: unknown): void {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(value)}\n`);
  renameSync(tmp, file);
}

export function writeExitRecord(file: string, status: ExitStatus & { pid: number }): void {
  writeAtomically(file, status);
}

export function writeStartRecord(file: string, job: JobId): void {
  writeAtomically(file, job);
}

export async function readStartRecord(file: string): Promise<JobId | undefined> {
  try {
    const v = JSON.parse(await readFile(file, 'utf8')) as Partial<JobId>;
    if (typeof v.pid !== 'number' || typeof v.start !== 'string') return undefined;
    return { pid: v.pid, start: v.start, ...(typeof v.bootId === 'string' && v.bootId ? { bootId: v.bootId } : {}) };
  } catch {
    return undefined;
  }
}

function parse(text: string): ExitStatus | undefined {
  try {
    const v = JSON.parse(text) as Partial<ExitStatus>;
    if (typeof v.endedAt !== 'number') return undefined;
    return {
      code: typeof v.code === 'number' ? v.code : null,
      signal: typeof v.signal === 'string' ? v.signal : null,
      endedAt: v.endedAt,
    };
  } catch {
    return undefined;
  }
}

export async function readExitRecord(file: string): Promise<ExitStatus | undefined> {
  try {
    return parse(await readFile(file, 'utf8'));
  } catch {
    return undefined;
  }
}

export function readExitRecordSync(file: string): ExitStatus | undefined {
  try {
    return parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

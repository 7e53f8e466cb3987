/**
 * The job journal, written by the supervisor in the same tick as it tells the server (so before it
 * reads any other request). The start record (pid, start time, boot) is written as the job starts,
 * so a server that dies before storing the job's id still finds it and never starts the attempt
 * twice; the exit record is written when the job exits, so an exit is never lost while the server
 * is down. Both are JSON lines: the exit record goes to its own file, or is appended to the start
 * record's when they are one file (a process run's `job.json`: creating a file costs far more than
 * appending to one).
 */
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { ExitStatus } from './launcher-protocol.js';
import type { JobId } from './job-id.js';

/**
 * One small write, no rename (it is on every run's path): a reader racing it sees an empty or
 * partial record, reads it as none, and asks the supervisor, which answers after the write.
 */
function writeRecord(file: string, value: unknown): void {
  writeFileSync(file, `${JSON.stringify(value)}\n`);
}

export function writeExitRecord(file: string, status: ExitStatus & { pid: number }): void {
  writeRecord(file, status);
}

/** The exit record as the last line of the file that holds the start record. */
export function appendExitRecord(file: string, status: ExitStatus & { pid: number }): void {
  appendFileSync(file, `${JSON.stringify(status)}\n`);
}

/** The first line: the start record (or the only record). */
function firstLine(text: string): string {
  const nl = text.indexOf('\n');
  return nl < 0 ? text : text.slice(0, nl);
}

/** The last line: the exit record, when there is one (a partial one does not parse: none yet). */
function lastLine(text: string): string {
  const t = text.trimEnd();
  return t.slice(t.lastIndexOf('\n') + 1);
}

export function writeStartRecord(file: string, job: JobId): void {
  writeRecord(file, job);
}

export async function readStartRecord(file: string): Promise<JobId | undefined> {
  try {
    const v = JSON.parse(firstLine(await readFile(file, 'utf8'))) as Partial<JobId>;
    if (typeof v.pid !== 'number' || typeof v.start !== 'string') return undefined;
    return { pid: v.pid, start: v.start, ...(typeof v.bootId === 'string' && v.bootId ? { bootId: v.bootId } : {}) };
  } catch {
    return undefined;
  }
}

function parse(text: string): ExitStatus | undefined {
  try {
    const v = JSON.parse(lastLine(text)) as Partial<ExitStatus>;
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

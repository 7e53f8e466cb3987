/**
 * Messages between the server and the process supervisor (see supervisor-process.ts), one JSON
 * object per line over a unix socket in the data directory.
 */
import type { Socket } from 'node:net';

/** Calls `onLine` with each complete line the socket receives (the protocol's framing). */
export function readLines(socket: Socket, onLine: (line: string) => void): void {
  let buffered = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buffered += chunk;
    let nl;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      onLine(line);
    }
  });
}

/** First message of a connection: the environment jobs of this server start from. */
export interface HelloRequest {
  t: 'hello';
  env: Record<string, string>;
}

/** How a job is spawned. Kept as one flat record so new spawn options (uid, gid...) are one field each. */
export interface SpawnOptions {
  file: string;
  args: string[];
  cwd: string;
  /** Added to the connection's base environment. */
  env: Record<string, string>;
  /** Directories to create first, parents before children. */
  mkdirs: string[];
  /** Of those, the ones given to `uid`/`gid` once made (the job user's own attempt directories). */
  own?: string[];
  log: string;
  /** Run as this user and group (the server is root); absent: as the launcher's own. */
  uid?: number;
  gid?: number;
  /** Where the supervisor journals the start (pid, start time, boot) before reporting it. */
  startFile: string;
  /** Where the supervisor journals the exit before reporting it (see exit-journal.ts); appended when it is `startFile`. */
  exitFile: string;
}

export interface SpawnRequest extends SpawnOptions {
  t: 'spawn';
  id: number;
}

/** Follow a job started earlier (by this supervisor, before the server restarted). */
export interface WatchRequest {
  t: 'watch';
  id: number;
  pid: number;
  exitFile: string;
}

export type LauncherRequest = HelloRequest | SpawnRequest | WatchRequest;

export interface ExitStatus {
  code: number | null;
  signal: string | null;
  /** Wall-clock milliseconds when the supervisor saw the exit. */
  endedAt: number;
}

export type LauncherReply =
  /** The answer to hello; `features` names what this supervisor handles beyond the first protocol ('own'). */
  | { t: 'ready'; pid: number; features?: string[] }
  | { t: 'spawned'; id: number; pid: number; start: string }
  | { t: 'failed'; id: number; code?: string; message: string }
  | ({ t: 'exit'; id: number } & ExitStatus)
  /** A watched pid that is not this supervisor's child and has no journaled exit. */
  | { t: 'unknown'; id: number };

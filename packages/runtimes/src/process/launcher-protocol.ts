/** Messages between the server and its process launcher (see launcher.ts). */

export interface SpawnRequest {
  t: 'spawn';
  id: number;
  file: string;
  args: string[];
  cwd: string;
  /** Added to the launcher's own environment (the jobs' base environment). */
  env: Record<string, string>;
  /** Directories to create first, parents before children. */
  mkdirs: string[];
  log: string;
  /** Run as this user and group (the server is root); absent: as the launcher's own. */
  uid?: number;
  gid?: number;
}

export type LauncherReply =
  | { t: 'spawned'; id: number; pid: number; start: string }
  | { t: 'failed'; id: number; code?: string; message: string }
  | { t: 'exit'; id: number; code: number | null; signal: string | null };

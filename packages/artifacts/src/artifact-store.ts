/**
 * The artifact store port: where an attempt's files (and, optionally, its log) live once it has
 * ended. `local` keeps them where the runtime left them, on the server's disk; `s3` uploads them to
 * an S3-compatible bucket when the attempt ends, and serves downloads from there.
 */
import type { Readable } from 'node:stream';

/** Which attempt of which run: what keys are made from. */
export interface AttemptRef {
  runId: string;
  attempt: number;
  groupId?: string;
  itemKey?: string;
  params: Record<string, unknown>;
  labels: Record<string, string>;
  /** The run's `artifacts.key` template, when it has one. */
  keyTemplate?: string;
}

export interface StoredFile {
  path: string;
  size: number;
}

export interface ArtifactStore {
  readonly kind: 'local' | 's3';
  /**
   * Makes the attempt's files durable; `dir` holds them on this server. Called when the attempt
   * ends, before the run is reported ended. Rejects when they could not be stored.
   */
  persist(ref: AttemptRef, dir: string, files: readonly StoredFile[]): Promise<void>;
  /** Keeps a copy of the attempt's log (a no-op where the log is already where it stays). */
  archiveLog(ref: AttemptRef, logPath: string): Promise<void>;
  /** The attempt's archived log, streamed; a NotFoundError when none was archived. */
  openLog(ref: AttemptRef): Promise<{ body: Readable; size?: number }>;
  /** One artifact, streamed; a NotFoundError when there is none at `path`. */
  open(ref: AttemptRef, path: string): Promise<{ body: Readable; size?: number }>;
  /** Where `path` of the attempt is stored, for people (`s3://bucket/key`, or the local file). */
  locate(ref: AttemptRef, path: string): string;
  close(): Promise<void>;
}

/**
 * The tracks builder: every raw file (`*.cdv`, `*.nmea`, `*.ais`) under the input directory → one CSV file per track in
 * `<out>/tracks/`, bad lines in `<out>/errors.txt`, counts in `<out>/tracks-summary.json`.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { DecoderOptions } from './reassembly.js';
import { BOX, type Region } from './track.js';
import type { BuildReply, DecodeReply, WorkerRequest } from './tracks-worker.js';

export interface TracksSummary {
  files: number;
  lines: number;
  decoded: number;
  skipped: number;
  /** Parts of multi-sentence messages. */
  fragments: number;
  errors: number;
  /** Bad lines by reason (they are in errors.txt). */
  errorsByReason: Record<string, number>;
  /** Points outside the region or faster than 30 knots. */
  dropped: number;
  tracks: number;
  points: number;
  workers: number;
  seconds: number;
  region: Region;
}

export interface TracksJobOptions {
  /** Points outside are dropped (default: the Brittany box). */
  region?: Region;
  /** Receive time of bare sentences, reassembly timeout and buffer. */
  decoder?: DecoderOptions;
}

const RAW_EXT = /\.(cdv|nmea|ais)$/;

export function listRawFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && RAW_EXT.test(e.name))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/** The CPUs the run was given (REGATTA_CPUS, rounded down, at least 1), else this machine's. */
export function workerCount(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.REGATTA_CPUS);
  return Number.isFinite(n) && n > 0 ? Math.max(1, Math.floor(n)) : availableParallelism();
}

function ask<T>(w: Worker, req: WorkerRequest, transfer: ArrayBuffer[] = []): Promise<T> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error) => reject(e);
    w.once('error', onError);
    w.once('message', (m: T) => {
      w.off('error', onError);
      resolve(m);
    });
    w.postMessage(req, transfer);
  });
}

export async function buildTracksJob(input: string, out: string, workers: number, o: TracksJobOptions = {}): Promise<TracksSummary> {
  const region = o.region ?? BOX;
  const t0 = performance.now();
  const files = listRawFiles(input);
  const tracksDir = join(out, 'tracks');
  mkdirSync(tracksDir, { recursive: true });
  const n = Math.max(1, Math.min(workers, Math.max(files.length, 1)));
  const pool = Array.from({ length: n }, () => new Worker(new URL('./tracks-worker.js', import.meta.url)));
  try {
    // Files dealt round-robin (they are per day, of similar sizes).
    const decoded = await Promise.all(pool.map((w, i) => ask<DecodeReply>(w, { phase: 'decode', files: files.filter((_, j) => j % n === i), buckets: n, ...(o.decoder ? { decoder: o.decoder } : {}) })));
    const built = await Promise.all(pool.map((w, b) => {
      const columns = decoded.map((d) => d.buckets[b]!);
      return ask<BuildReply>(w, { phase: 'build', columns, outDir: tracksDir, region }, columns.map((c) => c.buffer));
    }));
    const errors = decoded.flatMap((d) => d.errors);
    writeFileSync(join(out, 'errors.txt'), errors.length ? `${errors.join('\n')}\n` : '');
    const sum = (f: (x: DecodeReply) => number) => decoded.reduce((s, d) => s + f(d), 0);
    const errorsByReason: Record<string, number> = {};
    for (const d of decoded) for (const [k, v] of Object.entries(d.errorsByReason)) errorsByReason[k] = (errorsByReason[k] ?? 0) + v;
    const summary: TracksSummary = {
      files: files.length, lines: sum((d) => d.lines), decoded: sum((d) => d.decoded), skipped: sum((d) => d.skipped), fragments: sum((d) => d.fragments), errors: errors.length, errorsByReason,
      dropped: built.reduce((s, b) => s + b.dropped, 0), tracks: built.reduce((s, b) => s + b.tracks, 0), points: built.reduce((s, b) => s + b.points, 0),
      workers: n, seconds: Math.round(performance.now() - t0) / 1000, region,
    };
    writeFileSync(join(out, 'tracks-summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
    return summary;
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }
}

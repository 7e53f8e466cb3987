/**
 * A worker of the tracks builder. Phase "decode": read raw files, decode them and hand back the
 * points bucketed by vessel (mmsi modulo the worker count) as transferable columns. Phase "build":
 * take every point of one bucket, cut them into tracks and write the track files. Both phases run
 * in every worker, so the whole job uses every CPU it was given.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parentPort } from 'node:worker_threads';
import { decodeLine } from './ais-message.js';
import { buildTracks, formatTrackCsv, trackFileName, type TrackPoint } from './track.js';

export const COLS = 9;

export type WorkerRequest =
  | { phase: 'decode'; files: string[]; buckets: number }
  | { phase: 'build'; columns: Float64Array<ArrayBuffer>[]; outDir: string };

export interface DecodeReply {
  phase: 'decode';
  buckets: Float64Array<ArrayBuffer>[];
  lines: number;
  decoded: number;
  skipped: number;
  errors: string[];
}

export interface BuildReply {
  phase: 'build';
  tracks: number;
  points: number;
  dropped: number;
}

export function decodeFiles(files: readonly string[], buckets: number): DecodeReply {
  const cols: number[][] = Array.from({ length: buckets }, () => []);
  const errors: string[] = [];
  let lines = 0;
  let decoded = 0;
  let skipped = 0;
  for (const file of files) {
    const text = readFileSync(file, 'latin1');
    let lineNo = 0;
    for (const line of text.split('\n')) {
      lineNo++;
      if (!line.trim()) continue;
      lines++;
      const r = decodeLine(line);
      if (!r.ok) {
        if (r.skip) skipped++;
        else errors.push(`${file}:${lineNo}: ${r.reason}: ${line.replace(/\r$/, '')}`);
        continue;
      }
      const m = r.msg;
      decoded++;
      cols[m.mmsi % buckets]!.push(m.lat, m.lon, m.sog, m.cog, m.heading, m.rot, m.navStatus, m.ts, m.mmsi);
    }
  }
  return { phase: 'decode', buckets: cols.map((c) => Float64Array.from(c)), lines, decoded, skipped, errors };
}

function* pointsOf(columns: readonly Float64Array<ArrayBuffer>[]): Generator<TrackPoint> {
  for (const c of columns) {
    for (let i = 0; i < c.length; i += COLS) {
      yield { lat: c[i]!, lon: c[i + 1]!, sog: c[i + 2]!, cog: c[i + 3]!, heading: c[i + 4]!, rot: c[i + 5]!, navStatus: c[i + 6]!, ts: c[i + 7]!, mmsi: c[i + 8]! };
    }
  }
}

export function buildAndWrite(columns: readonly Float64Array<ArrayBuffer>[], outDir: string): BuildReply {
  const total = columns.reduce((n, c) => n + c.length / COLS, 0);
  const tracks = buildTracks(pointsOf(columns));
  let points = 0;
  for (const t of tracks) {
    writeFileSync(join(outDir, trackFileName(t)), formatTrackCsv(t));
    points += t.length;
  }
  return { phase: 'build', tracks: tracks.length, points, dropped: total - points };
}

parentPort?.on('message', (req: WorkerRequest) => {
  if (req.phase === 'decode') {
    const reply = decodeFiles(req.files, req.buckets);
    parentPort?.postMessage(reply, reply.buckets.map((b) => b.buffer));
  } else {
    parentPort?.postMessage(buildAndWrite(req.columns, req.outDir));
  }
});

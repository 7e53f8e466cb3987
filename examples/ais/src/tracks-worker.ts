/**
 * A worker of the tracks builder. Phase "decode": read raw files, decode them and hand back the
 * points bucketed by vessel (mmsi modulo the worker count) as transferable columns. Phase "build":
 * take every point of one bucket, cut them into tracks and write the track files. Both phases run
 * in every worker, so the whole job uses every CPU it was given.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parentPort } from 'node:worker_threads';
import { AisDecoder, type DecoderOptions } from './reassembly.js';
import { buildTracks, formatTrackCsv, trackFileName, type Region, type TrackPoint } from './track.js';

export const COLS = 9;

export type WorkerRequest =
  | { phase: 'decode'; files: string[]; buckets: number; decoder?: DecoderOptions }
  | { phase: 'build'; columns: Float64Array<ArrayBuffer>[]; outDir: string; region: Region };

export interface DecodeReply {
  phase: 'decode';
  buckets: Float64Array<ArrayBuffer>[];
  lines: number;
  decoded: number;
  skipped: number;
  /** Parts of multi-sentence messages (held, then decoded or dropped as errors). */
  fragments: number;
  errors: string[];
  errorsByReason: Record<string, number>;
}

export interface BuildReply {
  phase: 'build';
  tracks: number;
  points: number;
  dropped: number;
}

/** Decodes files (each with its own decoder: a message does not continue in the next file). */
export function decodeFiles(files: readonly string[], buckets: number, decoder: DecoderOptions = {}): DecodeReply {
  const cols: number[][] = Array.from({ length: buckets }, () => []);
  const errors: string[] = [];
  const errorsByReason: Record<string, number> = {};
  const error = (reason: string, ref: string, line: string) => {
    errors.push(`${ref}: ${reason}: ${line.replace(/\r$/, '')}`);
    errorsByReason[reason] = (errorsByReason[reason] ?? 0) + 1;
  };
  let lines = 0;
  let decoded = 0;
  let skipped = 0;
  let fragments = 0;
  for (const file of files) {
    const text = readFileSync(file, 'latin1');
    const dec = new AisDecoder(decoder);
    let lineNo = 0;
    for (const line of text.split('\n')) {
      lineNo++;
      if (!line.trim()) continue;
      lines++;
      const r = dec.push(line, `${file}:${lineNo}`);
      for (const d of dec.dropped()) error(d.reason, d.ref, d.line);
      if (!r.ok) {
        if (r.fragment) fragments++;
        else if (r.skip) skipped++;
        else error(r.reason, `${file}:${lineNo}`, line);
        continue;
      }
      const m = r.msg;
      decoded++;
      cols[m.mmsi % buckets]!.push(m.lat, m.lon, m.sog, m.cog, m.heading, m.rot, m.navStatus, m.ts, m.mmsi);
    }
    for (const d of dec.flush()) error(d.reason, d.ref, d.line);
  }
  return { phase: 'decode', buckets: cols.map((c) => Float64Array.from(c)), lines, decoded, skipped, fragments, errors, errorsByReason };
}

function* pointsOf(columns: readonly Float64Array<ArrayBuffer>[]): Generator<TrackPoint> {
  for (const c of columns) {
    for (let i = 0; i < c.length; i += COLS) {
      yield { lat: c[i]!, lon: c[i + 1]!, sog: c[i + 2]!, cog: c[i + 3]!, heading: c[i + 4]!, rot: c[i + 5]!, navStatus: c[i + 6]!, ts: c[i + 7]!, mmsi: c[i + 8]! };
    }
  }
}

export function buildAndWrite(columns: readonly Float64Array<ArrayBuffer>[], outDir: string, region: Region): BuildReply {
  const total = columns.reduce((n, c) => n + c.length / COLS, 0);
  const tracks = buildTracks(pointsOf(columns), region);
  let points = 0;
  for (const t of tracks) {
    writeFileSync(join(outDir, trackFileName(t)), formatTrackCsv(t));
    points += t.length;
  }
  return { phase: 'build', tracks: tracks.length, points, dropped: total - points };
}

parentPort?.on('message', (req: WorkerRequest) => {
  if (req.phase === 'decode') {
    const reply = decodeFiles(req.files, req.buckets, req.decoder);
    parentPort?.postMessage(reply, reply.buckets.map((b) => b.buffer));
  } else {
    parentPort?.postMessage(buildAndWrite(req.columns, req.outDir, req.region));
  }
});

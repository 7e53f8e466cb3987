/** Batch steps over track files: learn the model, and detect abnormal tracks. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DETECT_DEFAULTS, detectTrack, type DetectOptions } from './detector.js';
import { trainModel, type AisModel } from './model.js';
import { npyTracks } from './npy.js';
import { preprocessTrack, type ResampledPoint } from './preprocess.js';
import { parseTrackCsv, TRACK_COLUMNS, type Region, type TrackPoint } from './track.js';

/**
 * Every track file under `dir` (any depth: `<group>/<year>/tracks/...` as downloaded): CSV files with
 * the track header, and `.npy` arrays in the MultitaskAIS layout.
 */
export function listTrackFiles(dir: string): string[] {
  const header = TRACK_COLUMNS.join(',');
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && (e.name.endsWith('.csv') || e.name.endsWith('.npy')))
    .map((e) => join(e.parentPath, e.name))
    .filter((f) => f.endsWith('.npy') || readFileSync(f, 'utf8').slice(0, header.length) === header)
    .sort();
}

export function* readTracks(dir: string): Generator<TrackPoint[]> {
  for (const f of listTrackFiles(dir)) {
    if (!f.endsWith('.npy')) yield parseTrackCsv(readFileSync(f, 'utf8'));
    else {
      try {
        yield* npyTracks(readFileSync(f));
      } catch (e) {
        throw new Error(`${f}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }
}

export interface TrainSummary {
  files: number;
  used: number;
  rejected: Record<string, number>;
  cells: number;
  points: number;
  /** The model's area (given, or learned from the tracks). */
  box: Region;
}

export function trainFromTracks(tracks: Iterable<readonly TrackPoint[]>, region?: Region | 'learn'): { model: AisModel; summary: TrainSummary } {
  const used: ResampledPoint[][] = [];
  const rejected: Record<string, number> = {};
  let files = 0;
  for (const t of tracks) {
    files++;
    const r = preprocessTrack(t);
    if (r.ok) used.push(r.points);
    else rejected[r.reason] = (rejected[r.reason] ?? 0) + 1;
  }
  const model = trainModel(used, region);
  return { model, summary: { files, used: used.length, rejected, cells: Object.keys(model.cells).length, points: model.trainedOn.points, box: model.box } };
}

export interface TrackVerdict {
  mmsi: number;
  first: number;
  last: number;
  scored: boolean;
  abnormal: boolean;
  minNfa?: number;
  reason?: string;
}

export function detectTracks(model: AisModel, tracks: Iterable<readonly TrackPoint[]>, o: DetectOptions = DETECT_DEFAULTS): TrackVerdict[] {
  const out: TrackVerdict[] = [];
  for (const t of tracks) {
    const d = detectTrack(model, t, o);
    const base = { mmsi: t[0]?.mmsi ?? 0, first: t[0]?.ts ?? 0, last: t[t.length - 1]?.ts ?? 0 };
    out.push(d.scored ? { ...base, scored: true, abnormal: d.abnormal, minNfa: d.minNfa } : { ...base, scored: false, abnormal: false, reason: d.reason });
  }
  return out;
}

/**
 * Tracks: a vessel's position reports in time order, without a gap of more than two hours. A track
 * file is CSV with a header, one point per line, named `<first_ts>-<last_ts>-<mmsi>-<n>.csv` (epoch
 * seconds; n = number of points), as the original MultitaskAIS tracks builder names them.
 */

/** A rectangle of latitudes and longitudes (degrees), bounds included. */
export interface Region {
  latMin: number;
  latMax: number;
  lonMin: number;
  lonMax: number;
}

/** The area of the original data set, off Brittany (the default). */
export const BOX: Region = { latMin: 47.5, latMax: 49.5, lonMin: -7.0, lonMax: -4.0 };
/** Every valid position (91 and 181, "not available", are outside). */
export const WORLD: Region = { latMin: -90, latMax: 90, lonMin: -180, lonMax: 180 };
export const MAX_SOG = 30;
/** A vessel silent for longer than this starts a new track (seconds). */
export const MAX_GAP_S = 7200;

export interface TrackPoint {
  lat: number;
  lon: number;
  sog: number;
  cog: number;
  heading: number;
  rot: number;
  navStatus: number;
  /** Epoch seconds. */
  ts: number;
  mmsi: number;
}

export const TRACK_COLUMNS = ['lat', 'lon', 'sog', 'cog', 'heading', 'rot', 'nav_status', 'timestamp', 'mmsi'] as const;

export function inBox(lat: number, lon: number, r: Region = BOX): boolean {
  return lat >= r.latMin && lat <= r.latMax && lon >= r.lonMin && lon <= r.lonMax;
}

/** Points the builder and the stream operator keep: inside the region, at a plausible speed. */
export function keepPoint(p: { lat: number; lon: number; sog: number }, r: Region = BOX): boolean {
  return inBox(p.lat, p.lon, r) && p.sog <= MAX_SOG;
}

/**
 * `--region`: "brittany" (the default box), "world" (no area filter) or
 * "LAT_MIN,LAT_MAX,LON_MIN,LON_MAX"; a string says what is wrong.
 */
export function parseRegion(s: string): Region | string {
  if (s === 'brittany') return BOX;
  if (s === 'world') return WORLD;
  const v = s.split(',').map((x) => (x.trim() === '' ? NaN : Number(x)));
  if (v.length !== 4 || v.some((x) => !Number.isFinite(x))) return 'brittany, world, or LAT_MIN,LAT_MAX,LON_MIN,LON_MAX (four numbers)';
  const [latMin, latMax, lonMin, lonMax] = v as [number, number, number, number];
  if (latMin < -90 || latMax > 90 || latMin >= latMax) return 'latitudes: -90 <= LAT_MIN < LAT_MAX <= 90';
  if (lonMin < -180 || lonMax > 180 || lonMin >= lonMax) return 'longitudes: -180 <= LON_MIN < LON_MAX <= 180';
  return { latMin, latMax, lonMin, lonMax };
}

export function trackFileName(points: readonly TrackPoint[]): string {
  const first = points[0];
  const last = points[points.length - 1];
  if (!first || !last) throw new Error('an empty track has no name');
  return `${first.ts}-${last.ts}-${first.mmsi}-${points.length}.csv`;
}

export function formatTrackCsv(points: readonly TrackPoint[]): string {
  let s = `${TRACK_COLUMNS.join(',')}\n`;
  for (const p of points) s += `${p.lat},${p.lon},${p.sog},${p.cog},${p.heading},${p.rot},${p.navStatus},${p.ts},${p.mmsi}\n`;
  return s;
}

export function parseTrackCsv(text: string): TrackPoint[] {
  const lines = text.split('\n');
  if (lines[0]?.trim() !== TRACK_COLUMNS.join(',')) throw new Error(`not a track file (header must be ${TRACK_COLUMNS.join(',')})`);
  const out: TrackPoint[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if (!line) continue;
    const v = line.split(',').map(Number);
    if (v.length !== TRACK_COLUMNS.length || v.some((x) => Number.isNaN(x))) throw new Error(`track line ${i + 1}: expected ${TRACK_COLUMNS.length} numbers`);
    const [lat, lon, sog, cog, heading, rot, navStatus, ts, mmsi] = v as [number, number, number, number, number, number, number, number, number];
    out.push({ lat, lon, sog, cog, heading, rot, navStatus, ts, mmsi });
  }
  return out;
}

/**
 * Cuts one vessel's points into tracks: filters the region and speed, sorts by time (stable, so
 * reports of the same second keep their order in the files) and splits after a gap of more than
 * MAX_GAP_S.
 */
export function splitTracks(points: readonly TrackPoint[], region: Region = BOX): TrackPoint[][] {
  const kept = points.filter((p) => keepPoint(p, region));
  kept.sort((a, b) => a.ts - b.ts);
  const tracks: TrackPoint[][] = [];
  let cur: TrackPoint[] = [];
  for (const p of kept) {
    const prev = cur[cur.length - 1];
    if (prev && p.ts - prev.ts > MAX_GAP_S) {
      tracks.push(cur);
      cur = [];
    }
    cur.push(p);
  }
  if (cur.length) tracks.push(cur);
  return tracks;
}

/** Groups points by vessel, then splits each vessel's points into tracks (ordered by mmsi, then time). */
export function buildTracks(points: Iterable<TrackPoint>, region: Region = BOX): TrackPoint[][] {
  const byMmsi = new Map<number, TrackPoint[]>();
  for (const p of points) {
    let list = byMmsi.get(p.mmsi);
    if (!list) byMmsi.set(p.mmsi, (list = []));
    list.push(p);
  }
  return [...byMmsi.keys()].sort((a, b) => a - b).flatMap((m) => splitTracks(byMmsi.get(m) ?? [], region));
}

import { describe, expect, it } from 'vitest';
import { buildTracks, formatTrackCsv, parseTrackCsv, trackFileName, type TrackPoint } from './track.js';

const pt = (mmsi: number, ts: number, o: Partial<TrackPoint> = {}): TrackPoint => ({
  lat: 48, lon: -5, sog: 10, cog: 90, heading: 90, rot: 0, navStatus: 0, ts, mmsi, ...o,
});

describe('tracks builder', () => {
  it('groups by vessel, orders by time and splits after a gap of more than 7200 s (exactly 7200 s does not split)', () => {
    const a = 228000001;
    const b = 228000002;
    const input = [
      pt(b, 5000), pt(a, 1200), pt(a, 0), pt(a, 600),
      pt(a, 1200 + 7200), // a gap of exactly 7200 s: same track
      pt(a, 8400 + 7201), // more than 7200 s: a new track
      pt(a, 15601 + 60), pt(b, 4000),
    ];
    const tracks = buildTracks(input);
    expect(tracks.map((t) => t.map((p) => [p.mmsi, p.ts]))).toEqual([
      [[a, 0], [a, 600], [a, 1200], [a, 8400]],
      [[a, 15601], [a, 15661]],
      [[b, 4000], [b, 5000]],
    ]);
    expect(tracks.map(trackFileName)).toEqual([`0-8400-${a}-4.csv`, `15601-15661-${a}-2.csv`, `4000-5000-${b}-2.csv`]);
  });

  it('drops points outside the box and faster than 30 knots before splitting', () => {
    const m = 1;
    const tracks = buildTracks([
      pt(m, 0), pt(m, 60, { lat: 49.6 }), pt(m, 120, { lat: 47.4 }), pt(m, 180, { lon: -7.01 }), pt(m, 240, { lon: -3.99 }),
      pt(m, 300, { sog: 30.1 }), pt(m, 360, { sog: 30, lat: 49.5, lon: -4 }), pt(m, 420, { lat: 47.5, lon: -7 }),
      // Only out-of-box points in between: the kept points are 7500 s apart, so this splits.
      pt(m, 3000, { lat: 50 }), pt(m, 7920),
    ]);
    expect(tracks.map((t) => t.map((p) => p.ts))).toEqual([[0, 360, 420], [7920]]);
  });

  it('keeps reports of the same second in arrival order', () => {
    const t = buildTracks([pt(7, 10, { sog: 1 }), pt(7, 5), pt(7, 10, { sog: 2 })])[0] ?? [];
    expect(t.map((p) => [p.ts, p.sog])).toEqual([[5, 10], [10, 1], [10, 2]]);
  });

  it('writes and reads track files (CSV with a header)', () => {
    const t = [pt(9, 1, { lat: 48.292322, lon: -5.181832, sog: 7.8, cog: 287.6, heading: 511, rot: -128, navStatus: 7 })];
    const csv = formatTrackCsv(t);
    expect(csv).toBe('lat,lon,sog,cog,heading,rot,nav_status,timestamp,mmsi\n48.292322,-5.181832,7.8,287.6,511,-128,7,1,9\n');
    expect(parseTrackCsv(csv)).toEqual(t);
    expect(() => parseTrackCsv('a,b\n')).toThrow(/not a track file/);
  });
});

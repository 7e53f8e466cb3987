/** The detector's region: the Brittany box by default, any box given, or learned from the tracks. */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BOX, buildTracks, cellOf, detectTrack, parseRegion, trainFromTracks, WORLD, type AisPosition, type TrackPoint } from './index.js';

const AIS = join(dirname(fileURLToPath(import.meta.url)), '../bin/ais.js');

/** One vessel a day sailing a straight lane east at 12 knots, one report every 5 minutes for 10 hours. */
function lane(lat0: number, lon0: number, mmsi: number, day: number): AisPosition[] {
  return Array.from({ length: 120 }, (_, i) => ({
    ts: 1293840000 + day * 86400 + i * 300, type: 1 as const, mmsi, navStatus: 0, rot: 0, sog: 12, lon: lon0 + i * 0.0017, lat: lat0, cog: 90, heading: 90,
  }));
}

describe('region', () => {
  it('parses brittany, world and four bounds, and says what is wrong otherwise', () => {
    expect(parseRegion('brittany')).toEqual(BOX);
    expect(parseRegion('world')).toEqual(WORLD);
    expect(parseRegion('10,20,-30,-20.5')).toEqual({ latMin: 10, latMax: 20, lonMin: -30, lonMax: -20.5 });
    expect(parseRegion('20,10,0,1')).toMatch(/LAT_MIN < LAT_MAX/);
    expect(parseRegion('1,2,3')).toMatch(/four numbers/);
    expect(parseRegion('0,1,0,181')).toMatch(/longitudes/);
    const r = spawnSync(process.execPath, [AIS, 'tracks', '--input', '.', '--out', '.', '--region', 'atlantis'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--region: brittany, world, or LAT_MIN,LAT_MAX,LON_MIN,LON_MAX/);
  });

  it('keeps tracks outside Brittany with a region that holds them, and learns the model\'s box from the tracks', () => {
    // Off Singapore: nothing of it is in the default box.
    const msgs = [0, 1, 2, 3].flatMap((d) => [0, 1, 2, 3, 4].flatMap((v) => lane(1.1 + v * 0.02, 103.6, 563000000 + v, d)));
    expect(buildTracks(msgs)).toEqual([]);
    const tracks: TrackPoint[][] = buildTracks(msgs, WORLD);
    expect(tracks).toHaveLength(20);
    const { model, summary } = trainFromTracks(tracks, 'learn');
    expect(summary.box).toEqual({ latMin: 1.1, latMax: 1.2, lonMin: 103.6, lonMax: 103.9 });
    expect(cellOf(1.15, 103.65, model.box)).toBe('0:0');
    expect(cellOf(1.2, 103.9, model.box)).toBe('0:2');
    expect(cellOf(48, -5, model.box)).toBeUndefined();
    // A lane sailed as the training did is normal; the same lane sailed west is not.
    const normal = lane(1.14, 103.6, 563000099, 9);
    expect(detectTrack(model, normal)).toMatchObject({ scored: true, abnormal: false });
    const west = normal.map((p) => ({ ...p, cog: 270, heading: 270 }));
    expect(detectTrack(model, west)).toMatchObject({ scored: true, abnormal: true });
    // The Brittany model knows no cell there: every point flagged.
    expect(detectTrack(trainFromTracks(tracks).model, normal)).toMatchObject({ scored: true, abnormal: true });
  });
});

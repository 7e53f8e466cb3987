/**
 * Tracks in the MultitaskAIS `.npy` layout (fixtures written by NumPy itself: testdata/npy/README.md),
 * read by the model and detect steps beside the CSV tracks.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { buildTracks, generateMessages, npyTracks, parseNpy, readTracks, trainFromTracks } from './index.js';

const AIS = join(dirname(fileURLToPath(import.meta.url)), '..');
const NPY = join(AIS, 'testdata/npy');
const dir = mkdtempSync(join(tmpdir(), 'ais-npy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('.npy tracks', () => {
  it('reads float64 C order and big-endian float32 Fortran order alike', () => {
    const f8 = npyTracks(readFileSync(join(NPY, 'ok/track-f8.npy')));
    const f4 = npyTracks(readFileSync(join(NPY, 'ok/track-f4-fortran-big-endian.npy')));
    expect(f8).toHaveLength(1);
    expect(f8[0]).toHaveLength(30);
    expect(f8[0]![29]).toEqual({ lat: 48.029, lon: -5.71, sog: 12.5, cog: 90, heading: 91, rot: 0, navStatus: 0, ts: 1293840000 + 29 * 600, mmsi: 227000001 });
    expect(f4[0]!.map((p) => [Math.fround(p.lat), p.ts, p.mmsi])).toEqual(f8[0]!.map((p) => [Math.fround(p.lat), Math.fround(p.ts), Math.fround(p.mmsi)]));
    // A new track where the MMSI changes.
    expect(npyTracks(readFileSync(join(NPY, 'ok/two-vessels-f8.npy'))).map((t) => [t[0]!.mmsi, t.length])).toEqual([[227000001, 15], [227000002, 15]]);
    expect([...readTracks(join(NPY, 'ok'))].map((t) => t.length)).toEqual([30, 30, 15, 15]);
  });

  it('says what is wrong with a file it cannot read', () => {
    expect(() => npyTracks(readFileSync(join(NPY, 'bad/wrong-columns.npy')))).toThrow('expected 9 columns (LAT, LON, SOG, COG, HEADING, ROT, NAV_STT, TIMESTAMP, MMSI), got 8');
    expect(() => parseNpy(new TextEncoder().encode('lat,lon\n'))).toThrow('not a .npy file');
    const f8 = readFileSync(join(NPY, 'ok/track-f8.npy'));
    expect(() => parseNpy(f8.subarray(0, 200))).toThrow('truncated data');
    expect(() => readTracks(NPY).next()).toThrow(/wrong-columns\.npy: expected 9 columns/);
  });

  it('detect reads .npy tracks from the command line', () => {
    const train = generateMessages({ years: [2011], vessels: 40, days: 2, seed: 3, abnormalRate: 0 });
    writeFileSync(join(dir, 'model.json'), JSON.stringify(trainFromTracks(buildTracks(train.messages)).model));
    const r = spawnSync(process.execPath, [join(AIS, 'bin/ais.js'), 'detect', '--model', join(dir, 'model.json'), '--tracks', join(NPY, 'ok')], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    // 4 tracks; the 15-point halves are too short to score.
    expect(JSON.parse(r.stdout.trim().split('\n').pop()!)).toMatchObject({ tracks: 4, scored: 2 });
    const bad = spawnSync(process.execPath, [join(AIS, 'bin/ais.js'), 'detect', '--model', join(dir, 'model.json'), '--tracks', NPY], { encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/wrong-columns\.npy: expected 9 columns/);
  });
});

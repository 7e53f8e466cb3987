import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
// The built package: its worker threads load compiled JavaScript (npm test builds first).
import { buildTracksJob, encodeLine, parseTrackCsv, workerCount, type AisPosition } from '@regatta/example-ais';

const dir = mkdtempSync(join(tmpdir(), 'ais-tracks-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const m = (mmsi: number, ts: number, o: Partial<AisPosition> = {}): AisPosition => ({ ts, type: 1, mmsi, navStatus: 0, rot: 0, sog: 10, lon: -5, lat: 48, cog: 90, heading: 90, ...o });

describe('tracks job (worker threads)', () => {
  it('decodes files in parallel and writes one file per track, errors apart, whatever the worker count', async () => {
    const t0 = Date.UTC(2011, 0, 1) / 1000;
    mkdirSync(join(dir, 'raw/2011/01/01'), { recursive: true });
    mkdirSync(join(dir, 'raw/2011/01/02'), { recursive: true });
    // Vessel 1's reports are spread over two files (two days) and out of order within each.
    writeFileSync(join(dir, 'raw/2011/01/01/a.cdv'), [
      encodeLine(m(1, t0 + 600)), encodeLine(m(1, t0)), encodeLine(m(2, t0 + 60)), 'corrupt line',
      encodeLine(m(2, t0 + 120, { sog: 45 })), encodeLine(m(3, t0, { lat: 51 })), `${encodeLine(m(2, t0 + 180)).slice(0, -1)}0`,
    ].join('\n'));
    writeFileSync(join(dir, 'raw/2011/01/02/b.cdv'), [encodeLine(m(1, t0 + 86400)), encodeLine(m(1, t0 + 1200))].join('\r\n'));
    writeFileSync(join(dir, 'raw/2011/01/02/notes.txt'), 'not a raw file');
    for (const workers of [1, 3]) {
      const out = join(dir, `out${workers}`);
      const s = await buildTracksJob(join(dir, 'raw'), out, workers);
      expect(s).toMatchObject({ files: 2, lines: 9, decoded: 7, errors: 2, dropped: 2, tracks: 3, points: 5, workers: Math.min(workers, 2) });
      expect(readdirSync(join(out, 'tracks')).sort()).toEqual([`${t0 + 60}-${t0 + 60}-2-1.csv`, `${t0 + 86400}-${t0 + 86400}-1-1.csv`, `${t0}-${t0 + 1200}-1-3.csv`].sort());
      expect(parseTrackCsv(readFileSync(join(out, 'tracks', `${t0}-${t0 + 1200}-1-3.csv`), 'utf8')).map((p) => p.ts)).toEqual([t0, t0 + 600, t0 + 1200]);
      const errors = readFileSync(join(out, 'errors.txt'), 'utf8').trim().split('\n');
      expect(errors.map((e) => e.replace(/^.*\/raw\//, ''))).toEqual([
        '2011/01/01/a.cdv:4: no NMEA sentence: corrupt line', expect.stringMatching(/^2011\/01\/01\/a\.cdv:7: bad checksum: /),
      ]);
    }
  });

  it('sizes its pool by REGATTA_CPUS', () => {
    expect(workerCount({ REGATTA_CPUS: '2.5' })).toBe(2);
    expect(workerCount({ REGATTA_CPUS: '0.5' })).toBe(1);
    expect(workerCount({})).toBeGreaterThanOrEqual(1);
  });
});

import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
// The built package: its worker threads load compiled JavaScript (npm test builds first).
import { buildTracksJob, encodeLine, generateDataset, parseTrackCsv, WORLD, workerCount, type AisPosition, type LineFormat } from '@regatta/example-ais';

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

  it('builds the same tracks from the original layout, tag blocks (the seed\'s "global" input) and every wrapping mixed', async () => {
    const built = new Map<LineFormat, string[]>();
    for (const format of ['cdv', 'global', 'mixed'] as const) {
      const raw = join(dir, `gen-${format}`);
      const labels = generateDataset({ out: raw, years: [2011], vessels: 12, days: 1, seed: 5, corruptRate: 0.01, format });
      const s = await buildTracksJob(raw, join(dir, `gen-out-${format}`), 2);
      // Every corrupt line is one error, counted under its reason, and nothing else is.
      expect(s.errors).toBe(labels.corruptLines);
      expect(Object.values(s.errorsByReason).reduce((a, b) => a + b, 0)).toBe(s.errors);
      expect(s.decoded + s.errors).toBe(labels.messages);
      if (format === 'mixed') expect(s.fragments).toBeGreaterThan(0);
      // Without corrupt lines (which differ by format), the very same tracks.
      generateDataset({ out: join(dir, `clean-${format}`), years: [2011], vessels: 12, days: 1, seed: 5, corruptRate: 0, format });
      await buildTracksJob(join(dir, `clean-${format}`), join(dir, `clean-out-${format}`), 2);
      built.set(format, readdirSync(join(dir, `clean-out-${format}`, 'tracks')).sort());
    }
    expect(built.get('global')).toEqual(built.get('cdv'));
    expect(built.get('mixed')).toEqual(built.get('cdv'));
  });

  it('builds tracks from real receiver lines anywhere (region world), bare sentences taking the caller\'s receive time', async () => {
    const raw = join(dir, 'real/2015');
    mkdirSync(raw, { recursive: true });
    // USCG N-AIS lines of libais test/uscg_test.py, and bare sentences of gpsd test/sample.aivdm.
    writeFileSync(join(raw, 'uscg.nmea'), [
      '!SAVDM,1,1,7,B,18158j001ErSVGdE>>1Unlcp0l1n,0*44,d-105,S2235,t000059.00,T59.605270,D05MN-NC-MAMBS1,1428796799',
      '!ANVDM,2,1,1,A,55NH7SP00001L@GOO7QHT=@u8T6222222222220O0000040Ht00000000000,0*06,r08ACERDC,1428798766',
      '!ANVDM,2,2,1,A,00000000000,2*22,r08ACERDC,1428798766',
      '!BSVDM,1,1,,A,23?v;T002:G2hUFKhOP:JpHD0D0@,0*2A,b003669974,1428969792',
      '!ABVDM,1,1,,A,35NJ5OPP@9qPECnA:O?QDI`8015Q,0*0F,b003669955,1429041003',
      '!AIVDM,2,1,5,A,85Np7J1Kf4j5lTUDTFNrtFc:0fM;quuUDBU6SV?dTI2,0*55,r17MKET3,1428796942',
    ].join('\n'));
    writeFileSync(join(raw, 'gpsd.ais'), [
      '!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A', '!AIVDM,1,1,,A,13aIkM@P00PJ@qPNL=e@0?wJ28JO,5*63', '# a comment',
    ].join('\n'));
    const s = await buildTracksJob(join(dir, 'real'), join(dir, 'real-out'), 2, { region: WORLD, decoder: { receivedAt: 1428796800 } });
    expect(s).toMatchObject({ files: 2, lines: 9, decoded: 5, skipped: 1, fragments: 2, errors: 2, tracks: 5, points: 5, errorsByReason: { 'no NMEA sentence': 1, 'incomplete multi-sentence message': 1 } });
    expect(readdirSync(join(dir, 'real-out/tracks'))).toContain('1428796800-1428796800-244740981-1.csv');
    expect(readdirSync(join(dir, 'real-out/tracks'))).toContain('1428969792-1428969792-218074000-1.csv');
    // The Brittany box (the default) keeps none of them.
    expect(await buildTracksJob(join(dir, 'real'), join(dir, 'real-out-box'), 1, { decoder: { receivedAt: 1428796800 } })).toMatchObject({ decoded: 5, tracks: 0, dropped: 5 });
  });

  it('sizes its pool by REGATTA_CPUS', () => {
    expect(workerCount({ REGATTA_CPUS: '2.5' })).toBe(2);
    expect(workerCount({ REGATTA_CPUS: '0.5' })).toBe(1);
    expect(workerCount({})).toBeGreaterThanOrEqual(1);
  });
});

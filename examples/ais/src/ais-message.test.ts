import { describe, expect, it } from 'vitest';
import { decodeLine, encodeLine, nmeaChecksum, type AisPosition } from './ais-message.js';

const REAL = '2011/07/08 14:30:34 !AIVDM,1,1,,A,13JEhD7P1>w`ApbK`Q8K??w22@CD,0*12';

describe('AIS decoder', () => {
  it('decodes the real line exactly', () => {
    expect(decodeLine(REAL)).toEqual({
      ok: true,
      msg: {
        ts: Date.UTC(2011, 6, 8, 14, 30, 34) / 1000, type: 1, mmsi: 228946000, navStatus: 7, rot: -128,
        sog: 7.8, lon: -5.181832, lat: 48.292322, cog: 287.6, heading: 511,
      },
    });
  });

  it('refuses a bad checksum, a corrupt payload and garbage, with the reason', () => {
    expect(decodeLine(REAL.replace('*12', '*13'))).toEqual({ ok: false, reason: 'bad checksum' });
    // One payload character changed: the checksum no longer matches.
    expect(decodeLine(REAL.replace('13JEhD', '13JEhE'))).toEqual({ ok: false, reason: 'bad checksum' });
    expect(decodeLine('2011/07/08 14:30:34 !AIVDM,1,1,,A,13JEh,0*' + nmeaChecksum('AIVDM,1,1,,A,13JEh,0'))).toEqual({ ok: false, reason: 'position report too short' });
    expect(decodeLine('garbage')).toEqual({ ok: false, reason: 'no NMEA sentence' });
    expect(decodeLine(REAL.replace('2011/07/08', '2011/13/08'))).toEqual({ ok: false, reason: 'bad timestamp' });
    expect(decodeLine(REAL.slice(0, 40))).toEqual({ ok: false, reason: 'no checksum' });
  });

  it('skips (but does not fail on) other message types', () => {
    const body = 'AIVDM,1,1,,A,55NBWB0000000000000000000000000000000000000000000000000000000,0';
    const r = decodeLine(`2011/07/08 14:30:34 !${body}*${nmeaChecksum(body)}`);
    expect(r).toMatchObject({ ok: false, skip: true, reason: 'message type 5' });
  });

  it('round-trips generated reports, negative coordinates and rates included', () => {
    const msgs: AisPosition[] = [
      { ts: 1310135434, type: 1, mmsi: 228946000, navStatus: 7, rot: -128, sog: 7.8, lon: -5.181832, lat: 48.292322, cog: 287.6, heading: 511 },
      { ts: 1293840000, type: 3, mmsi: 1, navStatus: 0, rot: 127, sog: 0, lon: 179.999998, lat: -89.5, cog: 0, heading: 0 },
      { ts: 1546300799, type: 2, mmsi: 999999999, navStatus: 15, rot: -5, sog: 102.2, lon: -7, lat: 49.5, cog: 359.9, heading: 359 },
    ];
    for (let i = 0; i < 200; i++) {
      msgs.push({
        ts: 1293840000 + i * 3571, type: 1, mmsi: 200000000 + i * 7919, navStatus: i % 16, rot: (i % 255) - 127,
        sog: (i % 300) / 10, lon: Math.round((-7 + (i * 0.0137) % 3) * 600000) / 600000,
        lat: Math.round((47.5 + (i * 0.0091) % 2) * 600000) / 600000, cog: (i * 17) % 3600 / 10, heading: (i * 7) % 360,
      });
    }
    for (const m of msgs) {
      const r = decodeLine(encodeLine(m));
      expect(r.ok).toBe(true);
      if (!r.ok) continue;
      expect(r.msg).toEqual({ ...m, lon: Math.round(m.lon * 1e6) / 1e6, lat: Math.round(m.lat * 1e6) / 1e6 });
    }
    // Same bits as the real line up to the heading (the rest is the radio state, not encoded).
    expect(encodeLine(msgs[0]!).slice(0, 57)).toBe(REAL.slice(0, 57));
  });
});

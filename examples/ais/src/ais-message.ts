/**
 * AIS position reports (types 1, 2, 3) in the raw file format of the original data set: one NMEA
 * sentence per line, prefixed by its reception time in UTC:
 *
 *   2011/07/08 14:30:34 !AIVDM,1,1,,A,13JEhD7P1>w`ApbK`Q8K??w22@CD,0*12
 *
 * The payload is ITU-R M.1371 "6-bit armoured": each character carries 6 bits of a 168-bit report.
 */

export interface AisPosition {
  /** Reception time, epoch seconds (UTC). */
  ts: number;
  type: 1 | 2 | 3;
  mmsi: number;
  navStatus: number;
  /** Rate of turn as sent (signed, −128 = not available). */
  rot: number;
  /** Speed over ground, knots (102.3 = not available). */
  sog: number;
  /** Degrees, 6 decimals (181 = not available). */
  lon: number;
  /** Degrees, 6 decimals (91 = not available). */
  lat: number;
  /** Course over ground, degrees (360 = not available). */
  cog: number;
  /** True heading, degrees (511 = not available). */
  heading: number;
}

export type DecodeResult =
  | { ok: true; msg: AisPosition }
  | { ok: false; reason: string; skip?: boolean };

const REPORT_BITS = 168;

/** The NMEA checksum: XOR of every character between '!' and '*'. */
export function nmeaChecksum(body: string): string {
  let x = 0;
  for (let i = 0; i < body.length; i++) x ^= body.charCodeAt(i);
  return x.toString(16).toUpperCase().padStart(2, '0');
}

function sixBit(c: number): number {
  let v = c - 48;
  if (v > 40) v -= 8;
  return v;
}

function armourChar(v: number): string {
  return String.fromCharCode(v < 40 ? v + 48 : v + 56);
}

/** Reads `len` bits from the armoured payload at `start` (big-endian), unsigned. */
function bitsOf(payload: string, start: number, len: number): number {
  let v = 0;
  for (let i = start; i < start + len; i++) {
    const c = sixBit(payload.charCodeAt(Math.floor(i / 6)));
    v = v * 2 + ((c >> (5 - (i % 6))) & 1);
  }
  return v;
}

function signed(v: number, len: number): number {
  return v >= 2 ** (len - 1) ? v - 2 ** len : v;
}

const round6 = (x: number) => Math.round(x * 1e6) / 1e6;

/** Parses "YYYY/MM/DD HH:MM:SS" as UTC; NaN when malformed. */
function parseTime(s: string): number {
  const m = /^(\d{4})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(s);
  if (!m) return NaN;
  const [, y, mo, d, h, mi, se] = m.map(Number) as [number, number, number, number, number, number, number];
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) return NaN;
  return Date.UTC(y, mo - 1, d, h, mi, se) / 1000;
}

export function formatTime(ts: number): string {
  const d = new Date(ts * 1000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}/${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

/** Decodes one raw line. Never throws: a bad line is an `ok: false` with the reason. */
export function decodeLine(line: string): DecodeResult {
  const bang = line.indexOf('!');
  if (bang < 0) return { ok: false, reason: 'no NMEA sentence' };
  const ts = parseTime(line.slice(0, bang).trim());
  if (Number.isNaN(ts)) return { ok: false, reason: 'bad timestamp' };
  const sentence = line.slice(bang).trim();
  const star = sentence.lastIndexOf('*');
  if (star < 0 || sentence.length !== star + 3) return { ok: false, reason: 'no checksum' };
  if (nmeaChecksum(sentence.slice(1, star)) !== sentence.slice(star + 1).toUpperCase()) return { ok: false, reason: 'bad checksum' };
  const f = sentence.slice(1, star).split(',');
  if (f.length !== 7 || (f[0] !== 'AIVDM' && f[0] !== 'AIVDO')) return { ok: false, reason: 'not an AIVDM sentence' };
  if (f[1] !== '1') return { ok: false, reason: 'multi-fragment message', skip: true };
  const payload = f[5] ?? '';
  const fill = Number(f[6]);
  if (!/^[0-W`-w]*$/.test(payload) || !(fill >= 0 && fill <= 5)) return { ok: false, reason: 'bad payload' };
  if (payload.length === 0) return { ok: false, reason: 'empty payload' };
  const type = bitsOf(payload, 0, 6);
  if (type !== 1 && type !== 2 && type !== 3) return { ok: false, reason: `message type ${type}`, skip: true };
  if (payload.length * 6 - fill < REPORT_BITS) return { ok: false, reason: 'position report too short' };
  return {
    ok: true,
    msg: {
      ts,
      type,
      mmsi: bitsOf(payload, 8, 30),
      navStatus: bitsOf(payload, 38, 4),
      rot: signed(bitsOf(payload, 42, 8), 8),
      sog: bitsOf(payload, 50, 10) / 10,
      lon: round6(signed(bitsOf(payload, 61, 28), 28) / 600000),
      lat: round6(signed(bitsOf(payload, 89, 27), 27) / 600000),
      cog: bitsOf(payload, 116, 12) / 10,
      heading: bitsOf(payload, 128, 9),
    },
  };
}

/** Encodes a position report as a raw line (the generator's output; the inverse of decodeLine). */
export function encodeLine(m: AisPosition): string {
  const fields: [number, number][] = [
    [m.type, 6], [0, 2], [m.mmsi, 30], [m.navStatus, 4], [m.rot < 0 ? m.rot + 256 : m.rot, 8],
    [Math.round(m.sog * 10), 10], [1, 1],
    [toTwos(Math.round(m.lon * 600000), 28), 28], [toTwos(Math.round(m.lat * 600000), 27), 27],
    [Math.round(m.cog * 10), 12], [m.heading, 9], [Math.floor(m.ts) % 60, 6], [0, 2], [0, 3], [0, 1], [0, 19],
  ];
  let bits = '';
  for (const [v, len] of fields) bits += v.toString(2).padStart(len, '0').slice(-len);
  let payload = '';
  for (let i = 0; i < bits.length; i += 6) payload += armourChar(parseInt(bits.slice(i, i + 6), 2));
  const body = `AIVDM,1,1,,A,${payload},0`;
  return `${formatTime(m.ts)} !${body}*${nmeaChecksum(body)}`;
}

function toTwos(v: number, len: number): number {
  return v < 0 ? v + 2 ** len : v;
}

/**
 * AIS position reports (types 1, 2, 3, ITU-R M.1371) from raw lines. The original data set has one
 * NMEA sentence per line, prefixed by its reception time in UTC:
 *
 *   2011/07/08 14:30:34 !AIVDM,1,1,,A,13JEhD7P1>w`ApbK`Q8K??w22@CD,0*12
 *
 * Real feeds wrap sentences in other ways (nmea.ts) and split long messages over several sentences
 * (reassembly.ts). The payload is "6-bit armoured": each character carries 6 bits of the report.
 */
import { formatTime, nmeaChecksum, parseSentence, type Sentence, type WrapOptions } from './nmea.js';

export { formatTime, nmeaChecksum, parseTimePrefix } from './nmea.js';

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
  /** skip: not an error (another message type, a non-AIS sentence); fragment: part of a multi-sentence message. */
  | { ok: false; reason: string; skip?: boolean; fragment?: boolean };

/**
 * A report is 168 bits; the last 5 (radio state) are missing from some transmitters' (163 bits, fill
 * 5, as gpsd accepts). Every field read here ends by bit 137.
 */
const MIN_REPORT_BITS = 163;

/** 6-bit value of each armour character ('0'..'W', '`'..'w'). */
const SIXBIT = new Int8Array(128).fill(-1);
for (let c = 48; c < 88; c++) SIXBIT[c] = c - 48;
for (let c = 96; c < 120; c++) SIXBIT[c] = c - 56;

function armourChar(v: number): string {
  return String.fromCharCode(v < 40 ? v + 48 : v + 56);
}

/** Reads `len` (≤ 30) bits at `start`, big-endian, unsigned; a character at a time. */
function bitsOf(payload: string, start: number, len: number): number {
  let v = 0;
  let pos = start;
  let left = len;
  while (left > 0) {
    const c = SIXBIT[payload.charCodeAt((pos / 6) | 0)]!;
    const off = pos % 6;
    const take = Math.min(6 - off, left);
    v = v * (1 << take) + ((c >> (6 - off - take)) & ((1 << take) - 1));
    pos += take;
    left -= take;
  }
  return v;
}

function signed(v: number, len: number): number {
  return v >= 2 ** (len - 1) ? v - 2 ** len : v;
}

const round6 = (x: number) => Math.round(x * 1e6) / 1e6;

/** Decodes a whole (reassembled) payload received at `ts`. */
export function decodePayload(payload: string, fill: number, ts: number): DecodeResult {
  if (payload.length === 0) return { ok: false, reason: 'empty payload' };
  const type = bitsOf(payload, 0, 6);
  if (type !== 1 && type !== 2 && type !== 3) return { ok: false, reason: `message type ${type}`, skip: true };
  if (payload.length * 6 - fill < MIN_REPORT_BITS) return { ok: false, reason: 'position report too short' };
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

/**
 * Decodes one line on its own. Never throws: a bad line is an `ok: false` with the reason. A part of
 * a multi-sentence message cannot be decoded alone (`fragment`): feed lines to an `AisDecoder`.
 */
export function decodeLine(line: string, o?: WrapOptions): DecodeResult {
  const r = parseSentence(line, o);
  if (!r.ok) return r;
  if (r.s.fragments > 1) return { ok: false, reason: 'multi-sentence fragment', skip: true, fragment: true };
  return decodePayload(r.s.payload, r.s.fill, r.s.ts);
}

/** The armoured payload of a position report (the generator's, and the tests' own encodings). */
export function encodePayload(m: AisPosition): string {
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
  return payload;
}

/** Encodes a position report as a raw line of the original data set (the inverse of decodeLine). */
export function encodeLine(m: AisPosition): string {
  const body = `AIVDM,1,1,,A,${encodePayload(m)},0`;
  return `${formatTime(m.ts)} !${body}*${nmeaChecksum(body)}`;
}

function toTwos(v: number, len: number): number {
  return v < 0 ? v + 2 ** len : v;
}

export type { Sentence };

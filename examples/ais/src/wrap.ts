/**
 * Writing reports as real feeds do (the generator's `--format`): the original data set's lines, or a
 * mix of the wrappings receivers and providers use, so the builder and the tests see every one of them.
 */
import { encodeLine, encodePayload, type AisPosition } from './ais-message.js';
import { nmeaChecksum } from './nmea.js';

export type LineFormat = 'cdv' | 'global' | 'mixed';
export const LINE_FORMATS: readonly LineFormat[] = ['cdv', 'global', 'mixed'];

const TALKERS = ['AI', 'BS', 'SA', 'AB', 'AN'] as const;

const sentence = (body: string) => `!${body}*${nmeaChecksum(body)}`;
const tagBlock = (params: string) => `\\${params}*${nmeaChecksum(params)}\\`;

function isoTime(ts: number): string {
  return new Date(ts * 1000).toISOString().replace('.000Z', 'Z');
}

/**
 * The lines of one report: "cdv" is the original layout; "global" NMEA 4.10 tag blocks with c:
 * (a satellite provider's feed); "mixed" picks, by `pick` ∈ [0, 1), one of: the original prefix,
 * epoch seconds, ISO-8601, a tag block, USCG receiver suffixes, another talker, or the report split
 * over two sentences (`seq` is its sequential message id, 0–9).
 */
export function wrapReport(m: AisPosition, format: LineFormat, pick = 0, seq = 0): string[] {
  if (format === 'cdv') return [encodeLine(m)];
  const payload = encodePayload(m);
  const one = (talker = 'AI') => sentence(`${talker}VDM,1,1,,A,${payload},0`);
  if (format === 'global') return [`${tagBlock(`s:rGEN${m.mmsi % 7},c:${m.ts}`)}${one()}`];
  const k = Math.floor(pick * 7);
  switch (k) {
    case 0: return [encodeLine(m)];
    case 1: return [`${m.ts} ${one()}`];
    case 2: return [`${isoTime(m.ts)} ${one()}`];
    case 3: return [`${tagBlock(`c:${m.ts},s:rGEN`)}${one()}`];
    case 4: return [`${one()},d-080,S2118,t050056.00,T56.48,r003669946,${m.ts},${m.ts - 59}`];
    case 5: return [`${m.ts} ${one(TALKERS[Math.floor(pick * 100) % TALKERS.length])}`];
    default: {
      const cut = 10 + Math.floor(pick * 100) % 15;
      return [1, 2].map((i) => `${m.ts} ${sentence(`AIVDM,2,${i},${seq % 10},B,${i === 1 ? payload.slice(0, cut) : payload.slice(cut)},0`)}`);
    }
  }
}

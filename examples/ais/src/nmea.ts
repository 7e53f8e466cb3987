/**
 * The wrapping of AIS sentences as receivers and providers write them (NMEA 0183 and its 4.10 tag
 * blocks), down to the fields of one `!xxVDM`/`!xxVDO` sentence. The payload itself is decoded in
 * ais-message.ts. Accepted around a sentence:
 *
 *   2011/07/08 14:30:34 !AIVDM,…*12                  the original data set's prefix (UTC)
 *   1325394060 !AIVDM,…  /  1325394060.25 !AIVDM,…   epoch seconds
 *   2012-01-01T05:00:56Z !AIVDM,…                    ISO-8601 (UTC without a zone)
 *   \c:1488326400,s:rORBCOMM115*2E\!AIVDM,…          NMEA 4.10 tag block (its own checksum checked)
 *   !AIVDM,…*30,d-080,S2118,…,r003669946,1325394060  receiver suffixes (USCG, AISHub): ignored, but
 *                                                    `r<station>,<epoch>` gives the receive time
 *   !AIVDM,…*30                                      bare: the caller supplies the receive time
 *
 * Any talker (AI, AB, AN, BS, SA, …) and both VDM (others) and VDO (own ship) are accepted.
 */

export interface Sentence {
  /** Receive time, epoch seconds (UTC). */
  ts: number;
  /** e.g. "AI", "BS", "SA". */
  talker: string;
  /** VDO: the receiver's own ship. */
  own: boolean;
  fragments: number;
  fragment: number;
  /** Sequential message id ("" for single-sentence messages). */
  seqId: string;
  /** Radio channel as written ("A", "B", "1", "2" or ""). */
  channel: string;
  payload: string;
  fill: number;
  /** The receiver (tag block s:, or the station of a USCG suffix): keeps parts of different receivers apart. */
  source: string;
  /** The tag block's group id (g:), "" without one. */
  group: string;
}

export type SentenceResult = { ok: true; s: Sentence } | { ok: false; reason: string; skip?: boolean };

export interface WrapOptions {
  /** Receive time for lines that carry none (epoch seconds). */
  receivedAt?: number;
}

/** The NMEA checksum: XOR of every character between the start delimiter and '*'. */
export function nmeaChecksum(body: string): string {
  let x = 0;
  for (let i = 0; i < body.length; i++) x ^= body.charCodeAt(i);
  return x.toString(16).toUpperCase().padStart(2, '0');
}

function checksumOk(text: string, from: number, star: number): boolean {
  let x = 0;
  for (let i = from; i < star; i++) x ^= text.charCodeAt(i);
  return x === parseInt(text.slice(star + 1, star + 3), 16);
}

const HEX2 = /^[0-9A-Fa-f]{2}$/;
const DATE_TIME = /^(\d{4})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;
const EPOCH = /^\d{9,11}(\.\d+)?$/;
const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/;

function utc(y: number, mo: number, d: number, h: number, mi: number, s: number): number {
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return NaN;
  return Date.UTC(y, mo - 1, d, h, mi, s) / 1000;
}

/** A timestamp prefix: "YYYY/MM/DD HH:MM:SS", epoch seconds or ISO-8601; NaN when none of these. */
export function parseTimePrefix(s: string): number {
  let m = DATE_TIME.exec(s);
  if (m) return utc(+m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  if (EPOCH.test(s)) return Number(s);
  m = ISO.exec(s);
  if (!m) return NaN;
  const base = utc(+m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, +m[6]!) + (m[7] ? Number(m[7]) : 0);
  const zone = m[8];
  if (!zone || zone === 'Z') return base;
  const z = /^([+-])(\d{2}):?(\d{2})$/.exec(zone)!;
  return base - (z[1] === '-' ? -1 : 1) * (+z[2]! * 3600 + +z[3]! * 60);
}

export function formatTime(ts: number): string {
  const d = new Date(ts * 1000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}/${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

interface TagBlock {
  ts: number;
  source: string;
  /** The group id of `g:<part>-<parts>-<id>` (NMEA 4.10 sentence grouping). */
  group: string;
}

/** `c:` is seconds since 1970 (NMEA 4.10); some providers write milliseconds. */
function tagTime(v: string): number {
  if (!/^\d+(\.\d+)?$/.test(v)) return NaN;
  const n = Number(v);
  return n > 1e11 ? n / 1000 : n;
}

/** One tag block `\…*hh\` starting at `at`; its end index, or a reason. */
function readTagBlock(line: string, at: number, into: TagBlock): number | string {
  const end = line.indexOf('\\', at + 1);
  if (end < 0) return 'unterminated tag block';
  const star = line.lastIndexOf('*', end);
  if (star <= at || end - star !== 3 || !HEX2.test(line.slice(star + 1, end))) return 'tag block without checksum';
  if (!checksumOk(line, at + 1, star)) return 'bad tag block checksum';
  for (const param of line.slice(at + 1, star).split(',')) {
    const colon = param.indexOf(':');
    const key = param.slice(0, colon);
    const value = param.slice(colon + 1);
    if (key === 'c') {
      into.ts = tagTime(value);
      if (Number.isNaN(into.ts)) return 'bad tag block time';
    } else if (key === 's') into.source = value;
    else if (key === 'g') into.group = value.slice(value.lastIndexOf('-') + 1);
  }
  return end + 1;
}

const STATION = /^[rRbBD][\w-]+$/;

/**
 * `…*hh,…,<station>,<epoch>[,…]` (USCG N-AIS, AISHub: stations r…, R…, b…, B…, D…): the receiving
 * station and the receive time (NaN when absent).
 */
function suffixInfo(suffix: string): { ts: number; station: string } {
  const f = suffix.split(',');
  let station = '';
  for (let i = 1; i < f.length; i++) {
    if (!STATION.test(f[i]!)) continue;
    station = f[i]!;
    if (i + 1 < f.length && /^\d{9,10}$/.test(f[i + 1]!)) return { ts: Number(f[i + 1]), station };
  }
  return { ts: NaN, station };
}

/** Splits one line into its time and sentence fields. Never throws. */
export function parseSentence(raw: string, o: WrapOptions = {}): SentenceResult {
  let end = raw.length;
  while (end > 0 && raw.charCodeAt(end - 1) <= 32) end--;
  const line = end === raw.length ? raw : raw.slice(0, end);
  let bang = line.indexOf('!');
  const slash = line.indexOf('\\');
  const tag: TagBlock = { ts: NaN, source: '', group: '' };
  let prefixEnd = bang;
  if (slash >= 0 && (bang < 0 || slash < bang)) {
    prefixEnd = slash;
    let at = slash;
    while (line.charCodeAt(at) === 92 /* \ */) {
      const next = readTagBlock(line, at, tag);
      if (typeof next === 'string') return { ok: false, reason: next };
      at = next;
    }
    if (line.charCodeAt(at) === 36 /* $ */) return { ok: false, reason: 'not an AIS sentence', skip: true };
    if (line.charCodeAt(at) !== 33 /* ! */) return { ok: false, reason: 'no NMEA sentence' };
    bang = at;
  }
  if (bang < 0) return /(^|\s)\$[A-Z]{5},/.test(line) ? { ok: false, reason: 'not an AIS sentence', skip: true } : { ok: false, reason: 'no NMEA sentence' };
  const star = line.indexOf('*', bang);
  if (star < 0 || star + 3 > line.length || !HEX2.test(line.slice(star + 1, star + 3))) return { ok: false, reason: 'no checksum' };
  const after = star + 3 === line.length ? '' : line.slice(star + 3);
  if (after && after.charCodeAt(0) !== 44 /* , */) return { ok: false, reason: 'no checksum' };
  if (!checksumOk(line, bang + 1, star)) return { ok: false, reason: 'bad checksum' };

  const f = line.slice(bang + 1, star).split(',');
  const head = f[0] ?? '';
  if (f.length !== 7 || head.length !== 5 || (!head.endsWith('VDM') && !head.endsWith('VDO'))) return { ok: false, reason: 'not an AIS sentence', skip: true };
  const fragments = Number(f[1]);
  const fragment = Number(f[2]);
  const fill = Number(f[6]);
  if (!(fragments >= 1 && fragments <= 9 && fragment >= 1 && fragment <= fragments) || !/^\d?$/.test(f[3]!)) return { ok: false, reason: 'bad fragment fields' };
  const payload = f[5]!;
  if (!/^[0-W`-w]*$/.test(payload) || !(fill >= 0 && fill <= 5) || f[6]!.length !== 1) return { ok: false, reason: 'bad payload' };

  let ts = NaN;
  // Parts of a message are kept apart per receiver: the tag block's source, else the suffix's station.
  const suffix = after ? suffixInfo(after) : undefined;
  const source = tag.source || (suffix?.station ?? '');
  const prefix = line.slice(0, prefixEnd < 0 ? 0 : prefixEnd).trim();
  if (prefix) {
    ts = parseTimePrefix(prefix);
    if (Number.isNaN(ts)) return { ok: false, reason: 'bad timestamp' };
  } else if (!Number.isNaN(tag.ts)) ts = tag.ts;
  else if (suffix) ts = suffix.ts;
  if (Number.isNaN(ts)) ts = o.receivedAt ?? NaN;
  if (Number.isNaN(ts)) return { ok: false, reason: 'no timestamp' };
  return {
    ok: true,
    s: { ts, talker: head.slice(0, 2), own: head.endsWith('VDO'), fragments, fragment, seqId: f[3]!, channel: f[4]!, payload, fill, source, group: tag.group },
  };
}

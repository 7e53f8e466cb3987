/**
 * Sentences we encode ourselves (encodePayload, nmeaChecksum) in every wrapping real feeds use: the
 * time prefixes, NMEA 4.10 tag blocks, receiver suffixes, other talkers, VDO, short reports and
 * multi-sentence messages, and what goes wrong with each.
 */
import { describe, expect, it } from 'vitest';
import { AisDecoder, createRandom, decodeLine, encodeLine, encodePayload, INCOMPLETE, nmeaChecksum, parseTimePrefix, type AisPosition } from './index.js';

const M: AisPosition = { ts: 1310135434, type: 1, mmsi: 228946000, navStatus: 7, rot: -128, sog: 7.8, lon: -5.181832, lat: 48.292322, cog: 287.6, heading: 511 };
const PAYLOAD = encodePayload(M);

const sentence = (body: string) => `!${body}*${nmeaChecksum(body)}`;
const tagBlock = (params: string) => `\\${params}*${nmeaChecksum(params)}\\`;
const single = (talker = 'AI', kind = 'VDM', payload = PAYLOAD, fill = 0) => sentence(`${talker}${kind},1,1,,A,${payload},${fill}`);

describe('time prefixes', () => {
  it.each([
    ['2011/07/08 14:30:34', 1310135434],
    ['1310135434', 1310135434],
    ['1310135434.75', 1310135434.75],
    ['2011-07-08T14:30:34Z', 1310135434],
    ['2011-07-08T14:30:34.5Z', 1310135434.5],
    ['2011-07-08 14:30:34', 1310135434],
    ['2011-07-08T16:30:34+02:00', 1310135434],
    ['2011-07-08T12:30:34-0200', 1310135434],
  ])('%s', (prefix, ts) => {
    expect(parseTimePrefix(prefix)).toBe(ts);
    expect(decodeLine(`${prefix} ${single()}`)).toEqual({ ok: true, msg: { ...M, ts } });
  });

  it('refuses a malformed prefix, and a bare sentence without a receive time from the caller', () => {
    expect(decodeLine(`2011/13/08 14:30:34 ${single()}`)).toEqual({ ok: false, reason: 'bad timestamp' });
    expect(decodeLine(`yesterday ${single()}`)).toEqual({ ok: false, reason: 'bad timestamp' });
    expect(decodeLine(single())).toEqual({ ok: false, reason: 'no timestamp' });
    expect(decodeLine(single(), { receivedAt: 1310135434 })).toEqual({ ok: true, msg: M });
    // A prefix wins over the caller's time.
    expect(decodeLine(`1310135435 ${single()}`, { receivedAt: 1 })).toMatchObject({ msg: { ts: 1310135435 } });
  });
});

describe('NMEA 4.10 tag blocks', () => {
  it('takes c: as the receive time (seconds, or milliseconds as some providers write) and checks the block\'s checksum', () => {
    expect(decodeLine(`${tagBlock('c:1310135434,s:rMyStation')}${single()}`)).toEqual({ ok: true, msg: M });
    expect(decodeLine(`${tagBlock('s:r1,c:1310135434000')}${single()}`)).toEqual({ ok: true, msg: M });
    // Two blocks in a row (NMEA 4.10 allows it): the time is in either.
    expect(decodeLine(`${tagBlock('s:r1')}${tagBlock('c:1310135434')}${single()}`)).toEqual({ ok: true, msg: M });
    const bad = `\\c:1310135434*00\\${single()}`;
    expect(decodeLine(bad)).toEqual({ ok: false, reason: 'bad tag block checksum' });
    expect(decodeLine(`\\c:1310135434\\${single()}`)).toEqual({ ok: false, reason: 'tag block without checksum' });
    expect(decodeLine(`\\c:1310135434*0${single()}`)).toMatchObject({ ok: false });
    expect(decodeLine(`${tagBlock('c:soon')}${single()}`)).toEqual({ ok: false, reason: 'bad tag block time' });
    // Without c:, the caller's time.
    expect(decodeLine(`${tagBlock('s:r1')}${single()}`, { receivedAt: 1310135434 })).toEqual({ ok: true, msg: M });
    // A tag block before a non-AIS sentence is skipped, not an error.
    expect(decodeLine(`${tagBlock('c:1310135434')}$GPGGA,1*00`)).toEqual({ ok: false, reason: 'not an AIS sentence', skip: true });
  });
});

describe('talkers, VDO, receiver suffixes, short reports', () => {
  it('decodes any talker, VDM and VDO', () => {
    for (const talker of ['AI', 'AB', 'AD', 'AN', 'AR', 'AS', 'AT', 'AX', 'BS', 'SA']) {
      for (const kind of ['VDM', 'VDO']) expect(decodeLine(single(talker, kind), { receivedAt: M.ts }), talker + kind).toEqual({ ok: true, msg: M });
    }
    expect(decodeLine(sentence('AIVDX,1,1,,A,x,0'), { receivedAt: 1 })).toEqual({ ok: false, reason: 'not an AIS sentence', skip: true });
    expect(decodeLine('$GPRMC,1,2,3*00')).toEqual({ ok: false, reason: 'not an AIS sentence', skip: true });
  });

  it('ignores what receivers append after the checksum, taking the time of a station,epoch pair', () => {
    expect(decodeLine(`${single()},raishub,1310135434`)).toEqual({ ok: true, msg: M });
    expect(decodeLine(`${single()},d-080,S2118,t050056.00,T56.4837741,r003669946,1310135434,1310135400`)).toEqual({ ok: true, msg: M });
    expect(decodeLine(`${single()},s36310,d-081,T59.01777335`, { receivedAt: M.ts })).toEqual({ ok: true, msg: M });
    expect(decodeLine(`${single()}\r`, { receivedAt: M.ts })).toEqual({ ok: true, msg: M });
    // Not a suffix: glued to the checksum.
    expect(decodeLine(`${single()}x`, { receivedAt: M.ts })).toEqual({ ok: false, reason: 'no checksum' });
  });

  it('accepts a report of 163 bits (fill 5) and refuses one shorter', () => {
    const last = PAYLOAD.charCodeAt(PAYLOAD.length - 1);
    // Clear the 5 low bits of the last character: 163 meaningful bits.
    const v = (last >= 96 ? last - 56 : last - 48) & 0b100000;
    const short = PAYLOAD.slice(0, -1) + String.fromCharCode(v < 40 ? v + 48 : v + 56);
    expect(decodeLine(single('AI', 'VDM', short, 5), { receivedAt: M.ts })).toEqual({ ok: true, msg: M });
    expect(decodeLine(single('AI', 'VDM', PAYLOAD.slice(0, 27), 0), { receivedAt: M.ts })).toEqual({ ok: false, reason: 'position report too short' });
    expect(decodeLine(single('AI', 'VDM', PAYLOAD, 6), { receivedAt: M.ts })).toEqual({ ok: false, reason: 'bad payload' });
    expect(decodeLine(single('AI', 'VDM', 'x~y', 0), { receivedAt: M.ts })).toEqual({ ok: false, reason: 'bad payload' });
  });
});

describe('multi-sentence messages', () => {
  const part = (n: number, i: number, seq: string, ch: string, payload: string, fill: number, ts = M.ts) => `${ts} ${sentence(`AIVDM,${n},${i},${seq},${ch},${payload},${fill}`)}`;
  const [a, b, c] = [PAYLOAD.slice(0, 10), PAYLOAD.slice(10, 20), PAYLOAD.slice(20)];

  it('reassembles parts keyed by sequence id and channel, interleaved', () => {
    const d = new AisDecoder();
    const other = { ...M, mmsi: 227000001 };
    const p2 = encodePayload(other);
    expect(d.push(part(3, 1, '4', 'A', a!, 0))).toMatchObject({ fragment: true });
    expect(d.push(part(2, 1, '4', 'B', p2.slice(0, 14), 0))).toMatchObject({ fragment: true });
    expect(d.push(encodeLine(M))).toEqual({ ok: true, msg: M });
    expect(d.push(part(3, 2, '4', 'A', b!, 0))).toMatchObject({ fragment: true });
    expect(d.push(part(2, 2, '4', 'B', p2.slice(14), 0))).toEqual({ ok: true, msg: other });
    expect(d.push(part(3, 3, '4', 'A', c!, 0))).toEqual({ ok: true, msg: M });
    expect(d.flush()).toEqual([]);
  });

  it('keeps messages apart by tag block group (g:) when they share an empty sequence id', () => {
    const d = new AisDecoder();
    const other = encodePayload({ ...M, mmsi: 227000002 });
    const tagged = (g: string, n: number, payload: string) => `${tagBlock(`g:${n}-2-${g},c:${M.ts}`)}${sentence(`AIVDM,2,${n},,A,${payload},0`)}`;
    expect(d.push(tagged('17', 1, PAYLOAD.slice(0, 12)))).toMatchObject({ fragment: true });
    expect(d.push(tagged('18', 1, other.slice(0, 12)))).toMatchObject({ fragment: true });
    expect(d.push(tagged('17', 2, PAYLOAD.slice(12)))).toEqual({ ok: true, msg: M });
    expect(d.push(tagged('18', 2, other.slice(12)))).toEqual({ ok: true, msg: { ...M, mmsi: 227000002 } });
    expect(d.flush()).toEqual([]);
  });

  it('counts out-of-order and missing parts as errors, with the line that started them', () => {
    const d = new AisDecoder();
    expect(d.push(part(3, 2, '1', 'A', b!, 0), 'l1')).toEqual({ ok: false, reason: 'fragment without its first part' });
    d.push(part(3, 1, '1', 'A', a!, 0), 'l2');
    expect(d.push(part(3, 3, '1', 'A', c!, 0), 'l3')).toEqual({ ok: false, reason: 'fragment out of order' });
    expect(d.dropped()).toEqual([{ reason: INCOMPLETE, ref: 'l2', line: part(3, 1, '1', 'A', a!, 0) }]);
    // A new first part while one is held: the held one is incomplete.
    d.push(part(2, 1, '2', 'A', a!, 0), 'l4');
    d.push(part(2, 1, '2', 'A', a!, 0), 'l5');
    expect(d.dropped().map((x) => [x.reason, x.ref])).toEqual([[INCOMPLETE, 'l4']]);
    expect(d.flush().map((x) => [x.reason, x.ref])).toEqual([[INCOMPLETE, 'l5']]);
  });

  it('drops parts held longer than the timeout (data time) and bounds the buffer', () => {
    const d = new AisDecoder({ timeoutS: 60, maxPending: 2 });
    d.push(part(2, 1, '1', 'A', a!, 0, M.ts), 'first');
    expect(d.push(encodeLine({ ...M, ts: M.ts + 61 }))).toMatchObject({ ok: true });
    expect(d.dropped()).toEqual([{ reason: `${INCOMPLETE} (timed out)`, ref: 'first', line: part(2, 1, '1', 'A', a!, 0, M.ts) }]);
    for (const seq of ['1', '2', '3']) d.push(part(2, 1, seq, 'A', a!, 0, M.ts + 70), `seq${seq}`);
    expect(d.inProgress).toBe(2);
    expect(d.dropped()).toEqual([expect.objectContaining({ reason: `${INCOMPLETE} (buffer full)`, ref: 'seq1' })]);
  });
});

describe('never throws', () => {
  it('on 20,000 random and mangled lines', () => {
    const rnd = createRandom(7);
    const good = [encodeLine(M), `${tagBlock('c:1310135434,g:1-2-9')}!AIVDM,2,1,9,A,${PAYLOAD.slice(0, 9)},0*00`, `${single()},r1,1310135434`];
    const alphabet = '!\\*,$:0123456789ABCDEFabcdefVDMIO-.`wW ';
    const d = new AisDecoder({ maxPending: 4 });
    for (let i = 0; i < 20_000; i++) {
      const base = good[i % good.length]!;
      let line = base.slice(0, Math.floor(rnd() * (base.length + 1)));
      for (let k = Math.floor(rnd() * 4); k > 0; k--) {
        const at = Math.floor(rnd() * (line.length + 1));
        line = line.slice(0, at) + alphabet[Math.floor(rnd() * alphabet.length)] + line.slice(at + 1);
      }
      expect(() => decodeLine(line)).not.toThrow();
      expect(() => d.push(line)).not.toThrow();
      expect(d.inProgress).toBeLessThanOrEqual(4);
    }
  });
});

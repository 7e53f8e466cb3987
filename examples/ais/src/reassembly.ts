/**
 * A stateful decoder for a stream of lines: single sentences are decoded at once, the parts of a
 * multi-sentence message are held (keyed by receiver, tag block group, sequence id and channel) until
 * the last one arrives. The buffer is bounded and parts wait at most `timeoutS` (in data time,
 * measured against later lines of the same receiver: receivers' clocks differ, and merged feeds are
 * not in time order); a part out of order, a message that never completes, and parts pushed out of a
 * full buffer are errors, handed back through `dropped()` with the line that started them.
 */
import { decodePayload, type DecodeResult } from './ais-message.js';
import { parseSentence, type WrapOptions } from './nmea.js';

export interface DecoderOptions extends WrapOptions {
  /** Seconds a message may take to complete (data time: the parts' receive times). Default 60. */
  timeoutS?: number;
  /** Messages in progress at most; the oldest is dropped beyond. Default 256. */
  maxPending?: number;
}

/** A line dropped after the fact: a part of a message that did not complete. */
export interface Dropped {
  reason: string;
  /** What the caller passed with the line (e.g. "file:line"). */
  ref: string;
  line: string;
}

interface Pending {
  source: string;
  ts: number;
  fragments: number;
  next: number;
  payload: string;
  ref: string;
  line: string;
}

export const INCOMPLETE = 'incomplete multi-sentence message';
const NONE: readonly Dropped[] = Object.freeze([]);
const MAX_SOURCES = 4096;

export class AisDecoder {
  private readonly pending = new Map<string, Pending>();
  private readonly drops: Dropped[] = [];
  private readonly timeoutS: number;
  private readonly maxPending: number;
  /** The latest receive time seen, per source. */
  private readonly latest = new Map<string, number>();

  constructor(private readonly o: DecoderOptions = {}) {
    this.timeoutS = o.timeoutS ?? 60;
    this.maxPending = o.maxPending ?? 256;
  }

  /**
   * Decodes one line; the result is the line's own (a held part is `fragment`, not an error).
   * `receivedAt` overrides the options' for this line (e.g. a Kafka message's timestamp).
   */
  push(line: string, ref = '', receivedAt?: number): DecodeResult {
    const r = parseSentence(line, receivedAt === undefined ? this.o : { receivedAt });
    if (!r.ok) return r;
    const s = r.s;
    const latest = this.latest.get(s.source) ?? -Infinity;
    if (s.ts > latest) {
      if (this.latest.size >= MAX_SOURCES && !this.latest.has(s.source)) this.latest.clear(); // garbled s: values
      this.latest.set(s.source, s.ts);
      if (this.pending.size) this.expire(s.source, s.ts);
    }
    if (s.fragments === 1) return decodePayload(s.payload, s.fill, s.ts);

    const key = `${s.source}|${s.group}|${s.seqId}|${s.channel}`;
    const held = this.pending.get(key);
    if (s.fragment === 1) {
      if (held) this.drop(key, held, INCOMPLETE);
      if (this.pending.size >= this.maxPending) {
        const [oldestKey, oldest] = this.pending.entries().next().value!;
        this.drop(oldestKey, oldest, `${INCOMPLETE} (buffer full)`);
      }
      this.pending.set(key, { source: s.source, ts: s.ts, fragments: s.fragments, next: 2, payload: s.payload, ref, line });
      return { ok: false, reason: 'fragment', skip: true, fragment: true };
    }
    if (!held || held.next !== s.fragment || held.fragments !== s.fragments) {
      if (held) this.drop(key, held, INCOMPLETE);
      return { ok: false, reason: held ? 'fragment out of order' : 'fragment without its first part' };
    }
    held.payload += s.payload;
    held.next++;
    if (held.next <= held.fragments) return { ok: false, reason: 'fragment', skip: true, fragment: true };
    this.pending.delete(key);
    return decodePayload(held.payload, s.fill, held.ts);
  }

  /** Lines dropped since the last call (parts of messages that will not complete). */
  dropped(): readonly Dropped[] {
    return this.drops.length ? this.drops.splice(0) : NONE;
  }

  /** Ends the input: messages still in progress are dropped. */
  flush(): readonly Dropped[] {
    for (const [key, p] of this.pending) this.drop(key, p, INCOMPLETE);
    return this.dropped();
  }

  get inProgress(): number {
    return this.pending.size;
  }

  private expire(source: string, now: number): void {
    for (const [key, p] of this.pending) if (p.source === source && now - p.ts > this.timeoutS) this.drop(key, p, `${INCOMPLETE} (timed out)`);
  }

  private drop(key: string, p: Pending, reason: string): void {
    this.pending.delete(key);
    this.drops.push({ reason, ref: p.ref, line: p.line });
  }
}

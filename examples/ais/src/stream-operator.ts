/**
 * The stream operator's state, without Kafka: each vessel's recent track, scored once it spans
 * eight hours. After a scoring, the points older than four hours are dropped (so every 4-hour
 * window is scored once whole), and a vessel is alerted at most once per track.
 */
import { DETECT_DEFAULTS, detectTrack, type DetectOptions } from './detector.js';
import type { AisModel } from './model.js';
import { keepPoint, MAX_GAP_S, type TrackPoint } from './track.js';

/** A message of the input topic (JSON value, key = mmsi). */
export interface StreamMessage {
  mmsi: number;
  lat: number;
  lon: number;
  sog: number;
  cog: number;
  heading: number;
  /** Epoch seconds. */
  timestamp: number;
  nav_status?: number;
  rot?: number;
}

export interface Alert {
  mmsi: number;
  /** Data time of the scored window (epoch seconds). */
  windowStart: number;
  windowEnd: number;
  firstAbnormalTs?: number;
  minNfa: number;
  points: number;
  flagged: number;
}

export interface OperatorOptions extends DetectOptions {
  spanS: number;
  keepS: number;
}

export const OPERATOR_DEFAULTS: OperatorOptions = { ...DETECT_DEFAULTS, spanS: 8 * 3600, keepS: 4 * 3600 };

/** Validates a JSON value of the input topic; a string says what is wrong. */
export function parseStreamMessage(value: unknown): StreamMessage | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
  const v = new Map(Object.entries(value));
  const n: Record<string, number> = {};
  for (const k of ['mmsi', 'lat', 'lon', 'sog', 'cog', 'heading', 'timestamp', 'nav_status', 'rot']) {
    const x = v.get(k);
    if (x === undefined && (k === 'nav_status' || k === 'rot')) continue;
    if (typeof x !== 'number' || !Number.isFinite(x)) return `${k}: a number is required`;
    n[k] = x;
  }
  return {
    mmsi: n.mmsi!, lat: n.lat!, lon: n.lon!, sog: n.sog!, cog: n.cog!, heading: n.heading!, timestamp: n.timestamp!,
    ...(n.nav_status !== undefined ? { nav_status: n.nav_status } : {}), ...(n.rot !== undefined ? { rot: n.rot } : {}),
  };
}

interface Vessel {
  points: TrackPoint[];
  alerted: boolean;
}

export class VesselTracker {
  private readonly vessels = new Map<number, Vessel>();
  private latestTs = 0;

  constructor(private readonly model: AisModel, private readonly o: OperatorOptions = OPERATOR_DEFAULTS) {}

  get activeVessels(): number {
    return this.vessels.size;
  }

  /** Adds one message; returns an alert when this message completes an abnormal window. */
  push(m: StreamMessage): Alert | undefined {
    if (!keepPoint(m, this.model.box)) return undefined;
    const p: TrackPoint = {
      lat: m.lat, lon: m.lon, sog: m.sog, cog: m.cog, heading: m.heading, rot: m.rot ?? -128, navStatus: m.nav_status ?? 15, ts: m.timestamp, mmsi: m.mmsi,
    };
    if (p.ts > this.latestTs) this.latestTs = p.ts;
    let v = this.vessels.get(m.mmsi);
    const last = v?.points[v.points.length - 1];
    if (!v || (last && p.ts - last.ts > MAX_GAP_S)) this.vessels.set(m.mmsi, (v = { points: [], alerted: false }));
    else if (last && p.ts <= last.ts) return undefined; // late or duplicate report
    v.points.push(p);
    const first = v.points[0]!;
    if (p.ts - first.ts < this.o.spanS) return undefined;
    const d = detectTrack(this.model, v.points, this.o);
    const cutoff = p.ts - this.o.keepS;
    v.points = v.points.filter((x) => x.ts >= cutoff);
    if (!d.scored || !d.abnormal || v.alerted) return undefined;
    v.alerted = true;
    return {
      mmsi: m.mmsi, windowStart: first.ts, windowEnd: p.ts, minNfa: d.minNfa, points: d.points, flagged: d.flagged,
      ...(d.firstAbnormalTs !== undefined ? { firstAbnormalTs: d.firstAbnormalTs } : {}),
    };
  }

  /** Forgets vessels silent for longer than the track gap (in data time), to bound memory. */
  evictIdle(): number {
    let n = 0;
    for (const [mmsi, v] of this.vessels) {
      const last = v.points[v.points.length - 1];
      if (!last || this.latestTs - last.ts > MAX_GAP_S) {
        this.vessels.delete(mmsi);
        n++;
      }
    }
    return n;
  }
}

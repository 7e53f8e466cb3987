/**
 * A synthetic AIS data set in the original layout (`<year>/<month>/<day>/ais-<yyyymmdd>.cdv`): vessels
 * sailing plausible lanes off Brittany, a known set of injected abnormal voyages, moored vessels, and
 * corrupt lines. `labels.json` says which vessels are abnormal (and when) and how many lines are corrupt.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatTime, type AisPosition } from './ais-message.js';
import { wrapReport, type LineFormat } from './wrap.js';

type LatLon = readonly [number, number];

/** One-way lanes (like a traffic separation scheme), so a vessel sailing one backwards is abnormal. */
export const LANES: readonly (readonly LatLon[])[] = [
  [[47.75, -6.95], [48.45, -6.1], [48.95, -5.3], [49.4, -4.1]], // north-east bound, off Ushant
  [[49.25, -4.05], [48.75, -5.2], [48.2, -6.0], [47.55, -6.8]], // south-west bound
  [[48.3, -4.2], [48.15, -5.0], [47.9, -5.9], [47.65, -6.95]], // from the Iroise sea, westward
  [[47.6, -4.1], [47.9, -4.6], [48.6, -4.7], [49.45, -4.35]], // coastal, northward
];

export type AnomalyKind = 'detour' | 'loiter' | 'wrong-way';

export interface AbnormalLabel {
  mmsi: number;
  kind: AnomalyKind;
  /** Epoch seconds: when the abnormal behaviour starts and ends. */
  start: number;
  end: number;
}

export interface Labels {
  seed: number;
  years: number[];
  vessels: number;
  abnormal: AbnormalLabel[];
  moored: number[];
  messages: number;
  corruptLines: number;
}

export interface GenerateOptions {
  out: string;
  years: number[];
  /** Vessels sailing each day (each sails one voyage a day). */
  vessels: number;
  days: number;
  /** Share of vessels whose first voyage is abnormal. */
  abnormalRate?: number;
  corruptRate?: number;
  seed?: number;
  /** Seconds between two reports of a vessel (min, max). */
  interval?: readonly [number, number];
  /** How lines are written (wrap.ts): the original layout (default), tag blocks, or every wrapping mixed. */
  format?: LineFormat;
}

/** mulberry32: small, fast and reproducible. */
export function createRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KM_PER_DEG_LAT = 111.2;
const CENTRE: LatLon = [48.5, -5.5];
const NM_KM = 1.852;

function bearing(a: LatLon, b: LatLon): number {
  const dy = b[0] - a[0];
  const dx = (b[1] - a[1]) * Math.cos((a[0] * Math.PI) / 180);
  return ((Math.atan2(dx, dy) * 180) / Math.PI + 360) % 360;
}

function move(p: LatLon, cogDeg: number, knots: number, seconds: number): LatLon {
  const km = (knots * NM_KM * seconds) / 3600;
  const r = (cogDeg * Math.PI) / 180;
  const lat = p[0] + (km * Math.cos(r)) / KM_PER_DEG_LAT;
  return [lat, p[1] + (km * Math.sin(r)) / (KM_PER_DEG_LAT * Math.cos((p[0] * Math.PI) / 180))];
}

const round = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;

interface VoyagePlan {
  mmsi: number;
  start: number;
  lane: readonly LatLon[];
  speed: number;
  offset: number;
  anomaly?: { kind: AnomalyKind; at: number; duration: number };
}

/** Reports of one voyage along a lane (or a deviation from it), every 1–4 minutes. */
export function sailVoyage(plan: VoyagePlan, rnd: () => number, interval: readonly [number, number]): AisPosition[] {
  const lane = plan.anomaly?.kind === 'wrong-way' ? [...plan.lane].reverse() : plan.lane;
  const out: AisPosition[] = [];
  let pos: LatLon = [lane[0]![0] + plan.offset, lane[0]![1] + plan.offset];
  let leg = 1;
  let t = plan.start;
  let detourCog = 0;
  const a = plan.anomaly;
  for (let guard = 0; guard < 5000 && leg < lane.length; guard++) {
    const target: LatLon = [lane[leg]![0] + plan.offset, lane[leg]![1] + plan.offset];
    let cog = bearing(pos, target);
    let sog = plan.speed + (rnd() - 0.5);
    const inAnomaly = a && a.kind !== 'wrong-way' && t >= a.at && t < a.at + a.duration;
    if (inAnomaly && a.kind === 'detour') {
      // Off the lane at a right angle, out to sea, for the first half; back for the second half.
      // Turn to the side of the box's centre, so the detour stays in the data set's area.
      if (!detourCog) detourCog = ((bearing(pos, CENTRE) - cog + 540) % 360) - 180 > 0 ? (cog + 90) % 360 : (cog + 270) % 360;
      cog = t < a.at + a.duration / 2 ? detourCog : (detourCog + 180) % 360;
    } else if (inAnomaly && a.kind === 'loiter') {
      sog = 1.5 + rnd() * 2;
      cog = rnd() * 360;
    }
    cog = (cog + (rnd() - 0.5) * 6 + 360) % 360;
    out.push({
      ts: Math.round(t), type: 1, mmsi: plan.mmsi, navStatus: 0, rot: 0, sog: round(sog, 1),
      lon: round(pos[1], 6), lat: round(pos[0], 6), cog: round(cog, 1), heading: Math.round(cog) % 360,
    });
    const dt = interval[0] + rnd() * (interval[1] - interval[0]);
    pos = move(pos, cog, sog, dt);
    t += dt;
    const dist = Math.hypot(target[0] - pos[0], (target[1] - pos[1]) * Math.cos((pos[0] * Math.PI) / 180)) * KM_PER_DEG_LAT;
    if (!inAnomaly && dist < (sog * NM_KM * dt) / 3600) leg++;
  }
  return out;
}

function mooredDay(mmsi: number, day: number, rnd: () => number, interval: readonly [number, number]): AisPosition[] {
  const out: AisPosition[] = [];
  const lat = 48.38 + rnd() * 0.02;
  const lon = -4.49 - rnd() * 0.02;
  for (let t = day; t < day + 86400; t += interval[0] + rnd() * (interval[1] - interval[0]) * 3) {
    out.push({ ts: Math.round(t), type: 3, mmsi, navStatus: 5, rot: 0, sog: 0, lon: round(lon, 6), lat: round(lat, 6), cog: 0, heading: 180 });
  }
  return out;
}

const KINDS: readonly AnomalyKind[] = ['detour', 'loiter', 'wrong-way'];

/** Every report of the data set, in time order, with the labels (pure; `generateDataset` writes it). */
export function generateMessages(o: Omit<GenerateOptions, 'out'>): { messages: AisPosition[]; labels: Omit<Labels, 'messages' | 'corruptLines'> } {
  const rnd = createRandom(o.seed ?? 1);
  const interval = o.interval ?? [60, 240];
  const messages: AisPosition[] = [];
  const abnormal: AbnormalLabel[] = [];
  const moored: number[] = [];
  const mooredCount = Math.max(1, Math.round(o.vessels * 0.05));
  for (const year of o.years) {
    for (let v = 0; v < o.vessels; v++) {
      const mmsi = 227000000 + (year % 100) * 100000 + v;
      const isAbnormal = v >= mooredCount && rnd() < (o.abnormalRate ?? 0.1);
      for (let d = 0; d < o.days; d++) {
        const day = Date.UTC(year, 0, 1) / 1000 + d * 86400;
        if (v < mooredCount) {
          messages.push(...mooredDay(mmsi, day, rnd, interval));
          if (d === 0) moored.push(mmsi);
          continue;
        }
        const start = day + rnd() * 6 * 3600;
        const plan: VoyagePlan = {
          mmsi, start, lane: LANES[Math.floor(rnd() * LANES.length)]!, speed: 9 + rnd() * 5, offset: (rnd() - 0.5) * 0.06,
        };
        if (isAbnormal && d === 0) {
          const kind = KINDS[v % KINDS.length]!;
          const at = start + (1.5 + rnd() * 2) * 3600;
          const duration = (2 + rnd()) * 3600;
          plan.anomaly = { kind, at, duration };
          // A vessel sailing a lane backwards is abnormal from its first report.
          abnormal.push(kind === 'wrong-way' ? { mmsi, kind, start: Math.round(start), end: Math.round(start + 12 * 3600) }
            : { mmsi, kind, start: Math.round(at), end: Math.round(at + duration) });
        }
        messages.push(...sailVoyage(plan, rnd, interval));
      }
    }
  }
  messages.sort((a, b) => a.ts - b.ts || a.mmsi - b.mmsi);
  return { messages, labels: { seed: o.seed ?? 1, years: o.years, vessels: o.vessels, abnormal, moored } };
}

/**
 * Lines that must fail: a wrong checksum, a truncated payload (the original layout only: a cut
 * receiver suffix may still decode), noise.
 */
function corrupt(line: string, rnd: () => number, truncate: boolean): string {
  const r = rnd();
  if (r < 0.4) return line.replace(/\*([0-9A-F]{2})(?=,|$)/, (_m, h: string) => `*${((parseInt(h, 16) + 1) % 256).toString(16).toUpperCase().padStart(2, '0')}`);
  if (r < 0.7 && truncate) return line.slice(0, Math.max(20, Math.floor(line.length * rnd())));
  return `${line.slice(0, 20)}#### receiver noise ####`;
}

export function generateDataset(o: GenerateOptions): Labels {
  const { messages, labels } = generateMessages(o);
  const rnd = createRandom((o.seed ?? 1) ^ 0x5bd1e995);
  const files = new Map<string, string[]>();
  let corruptLines = 0;
  for (const m of messages) {
    const [date] = formatTime(m.ts).split(' ') as [string];
    let lines = files.get(date);
    if (!lines) files.set(date, (lines = []));
    const format = o.format ?? 'cdv';
    const pick = format === 'mixed' ? rnd() : 0;
    if (rnd() < (o.corruptRate ?? 0.002)) {
      // One line each, so that one corrupt line is one error.
      lines.push(corrupt(wrapReport(m, format, Math.min(pick, 0.85)).join(''), rnd, format === 'cdv'));
      corruptLines++;
    } else lines.push(...wrapReport(m, format, pick, lines.length));
  }
  for (const [date, lines] of files) {
    const dir = join(o.out, date);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `ais-${date.replaceAll('/', '')}.cdv`), `${lines.join('\n')}\n`);
  }
  const full: Labels = { ...labels, messages: messages.length, corruptLines };
  writeFileSync(join(o.out, 'labels.json'), `${JSON.stringify(full, null, 2)}\n`);
  return full;
}

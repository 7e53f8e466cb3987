/**
 * Track preprocessing as the original MultitaskAIS does it before scoring: reject short, moored or
 * static tracks, cut at the first long gap, resample at a fixed step and keep one day.
 */
import type { TrackPoint } from './track.js';

export const PREPROCESS = {
  minPoints: 20,
  maxGapS: 2 * 3600,
  minDurationS: 4 * 3600,
  /** Share of points at anchor (1) or moored (5) above which a track is rejected. */
  mooredShare: 0.7,
  minMaxSog: 1,
  stepS: 5 * 60,
  maxDurationS: 24 * 3600,
} as const;

export interface ResampledPoint {
  ts: number;
  lat: number;
  lon: number;
  sog: number;
  cog: number;
}

export type PreprocessResult = { ok: true; points: ResampledPoint[] } | { ok: false; reason: string };

function lerpAngle(a: number, b: number, f: number): number {
  const d = ((b - a + 540) % 360) - 180;
  return (a + d * f + 360) % 360;
}

/** Linear interpolation every `step` seconds from the first point (course interpolated on the circle). */
export function resample(points: readonly TrackPoint[], step: number): ResampledPoint[] {
  const out: ResampledPoint[] = [];
  const first = points[0];
  const last = points[points.length - 1];
  if (!first || !last) return out;
  let j = 0;
  for (let t = first.ts; t <= last.ts; t += step) {
    while (j < points.length - 2 && points[j + 1]!.ts < t) j++;
    const a = points[j]!;
    const b = points[Math.min(j + 1, points.length - 1)]!;
    const f = b.ts > a.ts ? Math.min(1, Math.max(0, (t - a.ts) / (b.ts - a.ts))) : 0;
    out.push({ ts: t, lat: a.lat + (b.lat - a.lat) * f, lon: a.lon + (b.lon - a.lon) * f, sog: a.sog + (b.sog - a.sog) * f, cog: lerpAngle(a.cog, b.cog, f) });
  }
  return out;
}

export function preprocessTrack(track: readonly TrackPoint[]): PreprocessResult {
  const P = PREPROCESS;
  if (track.length < P.minPoints) return { ok: false, reason: 'fewer than 20 points' };
  let end = track.length;
  for (let i = 1; i < track.length; i++) {
    if (track[i]!.ts - track[i - 1]!.ts > P.maxGapS) {
      end = i;
      break;
    }
  }
  const cut = track.slice(0, end);
  if (cut.length < P.minPoints) return { ok: false, reason: 'fewer than 20 points before the first gap' };
  if (cut[cut.length - 1]!.ts - cut[0]!.ts < P.minDurationS) return { ok: false, reason: 'shorter than 4 hours' };
  const moored = cut.filter((p) => p.navStatus === 1 || p.navStatus === 5).length;
  if (moored / cut.length > P.mooredShare) return { ok: false, reason: 'mostly moored or at anchor' };
  if (Math.max(...cut.map((p) => p.sog)) < P.minMaxSog) return { ok: false, reason: 'never faster than 1 knot' };
  const day = cut[0]!.ts + P.maxDurationS;
  return { ok: true, points: resample(cut.filter((p) => p.ts <= day), P.stepS) };
}

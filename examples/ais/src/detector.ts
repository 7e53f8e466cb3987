/** Scoring a track with the cell model and the a-contrario test (shared by the batch and the stream). */
import { contrarioDetect } from './contrario.js';
import { flagPoint, type AisModel } from './model.js';
import { PREPROCESS, preprocessTrack, type ResampledPoint } from './preprocess.js';
import type { TrackPoint } from './track.js';

export interface DetectOptions {
  /** NFA threshold. */
  epsilon: number;
  /** Probability of a flagged point under the null hypothesis (the cells' quantile). */
  p: number;
  windowS: number;
}

export const DETECT_DEFAULTS: DetectOptions = { epsilon: 1e-9, p: 0.1, windowS: 4 * 3600 };

export type Detection =
  | { scored: false; reason: string }
  | { scored: true; abnormal: boolean; minNfa: number; points: number; flagged: number; firstAbnormalTs?: number };

export function detectResampled(model: AisModel, points: readonly ResampledPoint[], o: DetectOptions = DETECT_DEFAULTS): Detection {
  const flags = points.map((p) => flagPoint(model, p));
  const r = contrarioDetect(flags, { window: Math.round(o.windowS / PREPROCESS.stepS), p: o.p, epsilon: o.epsilon });
  const first = r.abnormalPoints.indexOf(true);
  return {
    scored: true, abnormal: r.abnormal, minNfa: r.minNfa, points: points.length, flagged: flags.filter(Boolean).length,
    ...(first >= 0 ? { firstAbnormalTs: points[first]!.ts } : {}),
  };
}

export function detectTrack(model: AisModel, track: readonly TrackPoint[], o: DetectOptions = DETECT_DEFAULTS): Detection {
  const pre = preprocessTrack(track);
  if (!pre.ok) return { scored: false, reason: pre.reason };
  return detectResampled(model, pre.points, o);
}

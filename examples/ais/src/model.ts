/**
 * The per-cell model learned from the batch output. MultitaskAIS scores each point by its
 * log-likelihood under a learned model and compares it with the 10% quantile of the scores of its
 * 0.1° × 0.1° cell; here the likelihood comes from each cell's histogram of (speed, course), which
 * needs no neural network and keeps the same detection logic on top.
 */
import { BOX } from './track.js';
import type { ResampledPoint } from './preprocess.js';

export const MODEL_DEFAULTS = {
  cellDeg: 0.1,
  /** Speed classes (knots): drifting, slow, manoeuvring, cruising, fast, very fast. Coarse on purpose:
   * a vessel's own cruising speed is a trait of the vessel, not of its behaviour, and fine bins would
   * flag the slowest and fastest vessels all along their track. */
  sogEdges: [1, 4, 7, 16, 22],
  cogBinDeg: 10,
  /** Laplace smoothing of the histograms. */
  alpha: 0.5,
  quantile: 0.1,
  /** A cell with fewer training points is unknown (its points are flagged). */
  minCount: 5,
} as const;

export interface CellStats {
  total: number;
  /** The score below which a point of this cell is flagged. */
  threshold: number;
  /** Histogram bin index → count (sparse). */
  bins: Record<string, number>;
}

export interface AisModel {
  kind: 'regatta-ais-cell-model';
  version: 1;
  box: typeof BOX;
  params: typeof MODEL_DEFAULTS;
  trainedOn: { tracks: number; points: number };
  cells: Record<string, CellStats>;
}

const COG_BINS = 360 / MODEL_DEFAULTS.cogBinDeg;
const BIN_COUNT = (MODEL_DEFAULTS.sogEdges.length + 1) * COG_BINS;

export function cellOf(lat: number, lon: number): string | undefined {
  if (lat < BOX.latMin || lat > BOX.latMax || lon < BOX.lonMin || lon > BOX.lonMax) return undefined;
  const r = Math.min(Math.floor((lat - BOX.latMin) / MODEL_DEFAULTS.cellDeg + 1e-9), 19);
  const c = Math.min(Math.floor((lon - BOX.lonMin) / MODEL_DEFAULTS.cellDeg + 1e-9), 29);
  return `${r}:${c}`;
}

function binOf(p: ResampledPoint): number {
  let s = 0;
  while (s < MODEL_DEFAULTS.sogEdges.length && p.sog >= MODEL_DEFAULTS.sogEdges[s]!) s++;
  const c = Math.floor((((p.cog % 360) + 360) % 360) / MODEL_DEFAULTS.cogBinDeg) % COG_BINS;
  return s * COG_BINS + c;
}

function scoreIn(cell: CellStats, bin: number): number {
  const a = MODEL_DEFAULTS.alpha;
  return Math.log(((cell.bins[bin] ?? 0) + a) / (cell.total + a * BIN_COUNT));
}

/** Learns the cells from preprocessed tracks: histograms first, then each cell's score quantile. */
export function trainModel(tracks: readonly (readonly ResampledPoint[])[]): AisModel {
  const cells: Record<string, CellStats> = {};
  let points = 0;
  for (const t of tracks) {
    for (const p of t) {
      const key = cellOf(p.lat, p.lon);
      if (!key) continue;
      const cell = (cells[key] ??= { total: 0, threshold: -Infinity, bins: {} });
      const b = binOf(p);
      cell.bins[b] = (cell.bins[b] ?? 0) + 1;
      cell.total++;
      points++;
    }
  }
  const scores = new Map<string, number[]>();
  for (const t of tracks) {
    for (const p of t) {
      const key = cellOf(p.lat, p.lon);
      const cell = key ? cells[key] : undefined;
      if (!key || !cell) continue;
      let list = scores.get(key);
      if (!list) scores.set(key, (list = []));
      list.push(scoreIn(cell, binOf(p)));
    }
  }
  for (const [key, list] of scores) {
    list.sort((x, y) => x - y);
    cells[key]!.threshold = list[Math.floor(MODEL_DEFAULTS.quantile * (list.length - 1))]!;
  }
  return { kind: 'regatta-ais-cell-model', version: 1, box: BOX, params: MODEL_DEFAULTS, trainedOn: { tracks: tracks.length, points }, cells };
}

export function parseModel(text: string): AisModel {
  const m = JSON.parse(text) as Partial<AisModel>;
  if (m.kind !== 'regatta-ais-cell-model' || m.version !== 1 || typeof m.cells !== 'object') throw new Error('not a Regatta AIS cell model (version 1)');
  return m as AisModel;
}

/** Flags a point whose score is below its cell's quantile; points of unknown cells are flagged. */
export function flagPoint(model: AisModel, p: ResampledPoint): boolean {
  const key = cellOf(p.lat, p.lon);
  const cell = key ? model.cells[key] : undefined;
  if (!cell || cell.total < model.params.minCount) return true;
  return scoreIn(cell, binOf(p)) < cell.threshold;
}

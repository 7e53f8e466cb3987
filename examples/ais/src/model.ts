/**
 * The per-cell model learned from the batch output. MultitaskAIS scores each point by its
 * log-likelihood under a learned model and compares it with the 10% quantile of the scores of its
 * 0.1° × 0.1° cell; here the likelihood comes from each cell's histogram of (speed, course), which
 * needs no neural network and keeps the same detection logic on top.
 */
import { BOX, type Region } from './track.js';
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
  /** The cells' area: points outside are in no cell (flagged). */
  box: Region;
  params: typeof MODEL_DEFAULTS;
  trainedOn: { tracks: number; points: number };
  cells: Record<string, CellStats>;
}

const COG_BINS = 360 / MODEL_DEFAULTS.cogBinDeg;
const BIN_COUNT = (MODEL_DEFAULTS.sogEdges.length + 1) * COG_BINS;

/** Cells along a side: the last one takes the upper bound. */
const cellsAcross = (span: number) => Math.max(1, Math.ceil(span / MODEL_DEFAULTS.cellDeg - 1e-9));

export function cellOf(lat: number, lon: number, box: Region = BOX): string | undefined {
  if (lat < box.latMin || lat > box.latMax || lon < box.lonMin || lon > box.lonMax) return undefined;
  const r = Math.min(Math.floor((lat - box.latMin) / MODEL_DEFAULTS.cellDeg + 1e-9), cellsAcross(box.latMax - box.latMin) - 1);
  const c = Math.min(Math.floor((lon - box.lonMin) / MODEL_DEFAULTS.cellDeg + 1e-9), cellsAcross(box.lonMax - box.lonMin) - 1);
  return `${r}:${c}`;
}

/** The smallest box on the cell grid (multiples of the cell size) holding every point. */
export function learnRegion(tracks: readonly (readonly { lat: number; lon: number }[])[]): Region {
  let latMin = Infinity, latMax = -Infinity, lonMin = Infinity, lonMax = -Infinity;
  for (const t of tracks) {
    for (const p of t) {
      if (p.lat < latMin) latMin = p.lat;
      if (p.lat > latMax) latMax = p.lat;
      if (p.lon < lonMin) lonMin = p.lon;
      if (p.lon > lonMax) lonMax = p.lon;
    }
  }
  if (latMin > latMax) return BOX;
  const d = MODEL_DEFAULTS.cellDeg;
  const down = (x: number) => Math.round(Math.floor(x / d + 1e-9) * d * 1e6) / 1e6;
  const up = (x: number) => Math.round((Math.floor(x / d + 1e-9) + 1) * d * 1e6) / 1e6;
  return { latMin: Math.max(-90, down(latMin)), latMax: Math.min(90, up(latMax)), lonMin: Math.max(-180, down(lonMin)), lonMax: Math.min(180, up(lonMax)) };
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
export function trainModel(tracks: readonly (readonly ResampledPoint[])[], region: Region | 'learn' = BOX): AisModel {
  const box = region === 'learn' ? learnRegion(tracks) : region;
  const cells: Record<string, CellStats> = {};
  let points = 0;
  for (const t of tracks) {
    for (const p of t) {
      const key = cellOf(p.lat, p.lon, box);
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
      const key = cellOf(p.lat, p.lon, box);
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
  return { kind: 'regatta-ais-cell-model', version: 1, box, params: MODEL_DEFAULTS, trainedOn: { tracks: tracks.length, points }, cells };
}

export function parseModel(text: string): AisModel {
  const m = JSON.parse(text) as Partial<AisModel>;
  if (m.kind !== 'regatta-ais-cell-model' || m.version !== 1 || typeof m.cells !== 'object') throw new Error('not a Regatta AIS cell model (version 1)');
  const b = m.box;
  if (b && ![b.latMin, b.latMax, b.lonMin, b.lonMax].every((x) => typeof x === 'number' && Number.isFinite(x))) throw new Error('model box: four numbers are required');
  return { ...(m as AisModel), box: b ?? BOX };
}

/** Flags a point whose score is below its cell's quantile; points of unknown cells are flagged. */
export function flagPoint(model: AisModel, p: ResampledPoint): boolean {
  const key = cellOf(p.lat, p.lon, model.box);
  const cell = key ? model.cells[key] : undefined;
  if (!cell || cell.total < model.params.minCount) return true;
  return scoreIn(cell, binOf(p)) < cell.threshold;
}

/** Axis scales for the SVG charts: a domain that covers every value, and round tick values. */

export interface Scale {
  domain: [number, number];
  log: boolean;
  /** Value → 0..1 along the axis. */
  at(v: number): number;
  ticks: number[];
}

/** Round steps (1, 2, 5 × 10^k) across [lo, hi]. */
function linearTicks(lo: number, hi: number, count: number): number[] {
  const span = hi - lo;
  if (span <= 0) return [lo];
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/**
 * A scale whose domain holds every value (a little padding either side, so no point sits on the
 * frame). Log only when asked and every value is positive.
 */
export function makeScale(values: readonly number[], opts: { log?: boolean; ticks?: number } = {}): Scale {
  const finite = values.filter((v) => Number.isFinite(v));
  const log = Boolean(opts.log) && finite.length > 0 && finite.every((v) => v > 0);
  const tv = (v: number) => (log ? Math.log10(v) : v);
  let lo = finite.length ? Math.min(...finite.map(tv)) : 0;
  let hi = finite.length ? Math.max(...finite.map(tv)) : 1;
  if (lo === hi) {
    const d = log ? 0.5 : Math.abs(lo) * 0.1 || 1;
    lo -= d;
    hi += d;
  } else {
    const pad = (hi - lo) * 0.05;
    lo -= pad;
    hi += pad;
  }
  const ticks = log
    ? linearTicks(Math.ceil(lo), Math.floor(hi), Math.max(1, Math.floor(hi) - Math.ceil(lo))).filter(Number.isInteger).map((e) => 10 ** e)
    : linearTicks(lo, hi, opts.ticks ?? 5);
  return {
    domain: log ? [10 ** lo, 10 ** hi] : [lo, hi],
    log,
    at: (v) => (tv(v) - lo) / (hi - lo),
    ticks: ticks.length ? ticks : [log ? 10 ** ((lo + hi) / 2) : (lo + hi) / 2],
  };
}

/** Which end of a metric is better: lower for losses, errors and times, higher otherwise. */
export function betterDirection(name: string): 'min' | 'max' {
  return /loss|err|mse|mae|rmse|perplex|latency|time|duration|cost|wer|cer/i.test(name) ? 'min' : 'max';
}

/** Whether a positive axis spans enough orders of magnitude to read better on a log scale. */
export function prefersLog(values: readonly number[]): boolean {
  const pos = values.filter((v) => Number.isFinite(v));
  return pos.length > 1 && pos.every((v) => v > 0) && Math.max(...pos) / Math.min(...pos) >= 100;
}

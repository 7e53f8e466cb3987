/**
 * The a-contrario test of MultitaskAIS: under the null hypothesis each point is flagged with
 * probability p; a segment of n points with k flagged has NFA = P(Binomial(n, p) >= k). Every
 * segment inside a sliding window (4 hours of 5-minute points) is tested; a segment with NFA < ε
 * is abnormal. Tails are tabulated once per (window, p), and flag counts come from prefix sums, so a
 * day-long track costs a few thousand additions.
 */

const tables = new Map<string, Float64Array[]>();

/** tail[n][k] = P(Binomial(n, p) >= k), for n <= maxN. */
export function binomialTails(maxN: number, p: number): Float64Array[] {
  const key = `${maxN}:${p}`;
  const cached = tables.get(key);
  if (cached) return cached;
  const out: Float64Array[] = [];
  for (let n = 0; n <= maxN; n++) {
    const pmf = new Float64Array(n + 1);
    // log C(n, k) + k log p + (n - k) log(1 - p), summed from the top for accuracy in the tail.
    let logC = 0;
    for (let k = 0; k <= n; k++) {
      if (k > 0) logC += Math.log(n - k + 1) - Math.log(k);
      pmf[k] = Math.exp(logC + k * Math.log(p) + (n - k) * Math.log1p(-p));
    }
    const tail = new Float64Array(n + 2);
    for (let k = n; k >= 0; k--) tail[k] = tail[k + 1]! + pmf[k]!;
    out.push(tail);
  }
  tables.set(key, out);
  return out;
}

export interface ContrarioOptions {
  /** Points per window (4 h at 5 min = 48). */
  window: number;
  p: number;
  epsilon: number;
}

export interface ContrarioResult {
  abnormal: boolean;
  /** The smallest NFA of any tested segment. */
  minNfa: number;
  /** Points inside a segment with NFA < ε. */
  abnormalPoints: boolean[];
}

export function contrarioDetect(flags: readonly boolean[], o: ContrarioOptions): ContrarioResult {
  const n = flags.length;
  const tails = binomialTails(o.window, o.p);
  const prefix = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) prefix[i + 1] = prefix[i]! + (flags[i] ? 1 : 0);
  const abnormalPoints = new Array<boolean>(n).fill(false);
  let minNfa = 1;
  for (let i = 0; i < n; i++) {
    if (!flags[i]) continue; // a segment starting on an unflagged point never beats the one after it
    for (let len = 1; len <= o.window && i + len <= n; len++) {
      const k = prefix[i + len]! - prefix[i]!;
      const nfa = tails[len]![k]!;
      if (nfa < minNfa) minNfa = nfa;
      if (nfa < o.epsilon) abnormalPoints.fill(true, i, i + len);
    }
  }
  return { abnormal: minNfa < o.epsilon, minNfa, abnormalPoints };
}

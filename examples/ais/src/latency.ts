/** Latency samples with quantiles (a bounded reservoir, so a long-running service keeps constant memory). */
export class LatencySamples {
  private readonly samples: number[] = [];
  private seen = 0;

  constructor(private readonly capacity = 100_000, private readonly random: () => number = Math.random) {}

  add(v: number): void {
    this.seen++;
    if (this.samples.length < this.capacity) this.samples.push(v);
    else {
      const j = Math.floor(this.random() * this.seen);
      if (j < this.capacity) this.samples[j] = v;
    }
  }

  get count(): number {
    return this.seen;
  }

  /** The q-quantile (nearest rank), or NaN without samples. */
  quantile(q: number): number {
    if (!this.samples.length) return NaN;
    const s = [...this.samples].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
  }
}

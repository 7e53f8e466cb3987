/**
 * The queued runs, kept in scheduling order (priority, then submission) as they come and go, so a
 * scheduling pass reads them in order without sorting and can stop as soon as the nodes are full.
 */
import { compareCandidates, type Candidate, type RunRecord } from '@regatta/core';

export class RunQueue {
  private readonly runs = new Map<string, RunRecord>();
  private readonly order: Candidate[] = [];

  get size(): number {
    return this.runs.size;
  }

  get(id: string): RunRecord | undefined {
    return this.runs.get(id);
  }

  values(): IterableIterator<RunRecord> {
    return this.runs.values();
  }

  /** Candidates in scheduling order; do not modify. */
  ordered(): readonly Candidate[] {
    return this.order;
  }

  /** Index of the first candidate not ordered before `c` (binary search; seq is unique). */
  private indexOf(c: Pick<Candidate, 'priority' | 'seq'>): number {
    let lo = 0;
    let hi = this.order.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareCandidates(this.order[mid] as Candidate, c as Candidate) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  add(run: RunRecord): void {
    this.remove(run.id);
    this.runs.set(run.id, run);
    const c: Candidate = {
      id: run.id, runtime: run.resolved.runtime, queue: run.queue, priority: run.priority, seq: run.seq, resources: run.resolved.resources,
      ...(run.notBefore !== undefined ? { notBefore: run.notBefore } : {}),
    };
    this.order.splice(this.indexOf(c), 0, c);
  }

  remove(id: string): RunRecord | undefined {
    const run = this.runs.get(id);
    if (!run) return undefined;
    this.runs.delete(id);
    const i = this.indexOf(run);
    if (this.order[i]?.id === id) this.order.splice(i, 1);
    return run;
  }

  /** The earliest retry time still ahead of `now`, if any. */
  nextWake(now: number): number | undefined {
    let at: number | undefined;
    for (const c of this.order) if (c.notBefore !== undefined && c.notBefore > now && (at === undefined || c.notBefore < at)) at = c.notBefore;
    return at;
  }
}

/**
 * The queued runs, kept in lanes (one queue, one priority, one group or none; submission order
 * within) as they come and go, so a scheduling pass reads lane heads without sorting and skips a
 * whole lane that cannot start anything.
 */
import { laneKey, runFootprint, type Candidate, type Lane, type RunRecord } from '@regatta/core';

export class RunQueue {
  private readonly runs = new Map<string, RunRecord>();
  private readonly byLane = new Map<string, Candidate[]>();
  /** Runs waiting for a retry delay, so the next wake-up is found without a scan. */
  private readonly delayed = new Map<string, number>();

  get size(): number {
    return this.runs.size;
  }

  get(id: string): RunRecord | undefined {
    return this.runs.get(id);
  }

  values(): IterableIterator<RunRecord> {
    return this.runs.values();
  }

  lanes(): Lane[] {
    const out: Lane[] = [];
    for (const runs of this.byLane.values()) out.push({ runs });
    return out;
  }

  /** Index of the first candidate of the lane with a seq not below `seq`. */
  private static indexOf(lane: readonly Candidate[], seq: number): number {
    let lo = 0;
    let hi = lane.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((lane[mid] as Candidate).seq < seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  add(run: RunRecord): void {
    this.remove(run.id);
    this.runs.set(run.id, run);
    const c: Candidate = {
      id: run.id, runtime: run.resolved.runtime, ...(run.resolved.backend !== undefined ? { backend: run.resolved.backend } : {}), queue: run.queue, priority: run.priority, seq: run.seq, resources: runFootprint(run.resolved),
      ...(run.resolved.datasets.length ? { datasets: run.resolved.datasets.map((d) => d.name) } : {}),
      ...(run.groupId !== undefined ? { group: run.groupId } : {}),
      ...(run.notBefore !== undefined ? { notBefore: run.notBefore } : {}),
      ...(run.createdBy !== undefined ? { user: run.createdBy } : {}),
    };
    if (run.notBefore !== undefined) this.delayed.set(run.id, run.notBefore);
    const key = laneKey(c);
    const lane = this.byLane.get(key);
    if (!lane) this.byLane.set(key, [c]);
    else if (!lane.length || (lane[lane.length - 1] as Candidate).seq < c.seq) lane.push(c); // the common case
    else lane.splice(RunQueue.indexOf(lane, c.seq), 0, c);
  }

  remove(id: string): RunRecord | undefined {
    const run = this.runs.get(id);
    if (!run) return undefined;
    this.runs.delete(id);
    this.delayed.delete(id);
    const key = laneKey({
      queue: run.queue, priority: run.priority, ...(run.groupId !== undefined ? { group: run.groupId } : {}),
      ...(run.resolved.backend !== undefined ? { backend: run.resolved.backend } : {}), ...(run.createdBy !== undefined ? { user: run.createdBy } : {}),
    });
    const lane = this.byLane.get(key);
    if (lane) {
      const i = RunQueue.indexOf(lane, run.seq);
      if (lane[i]?.id === id) lane.splice(i, 1);
      if (!lane.length) this.byLane.delete(key);
    }
    return run;
  }

  /** The earliest retry time still ahead of `now`, if any. */
  nextWake(now: number): number | undefined {
    let at: number | undefined;
    for (const t of this.delayed.values()) if (t > now && (at === undefined || t < at)) at = t;
    return at;
  }
}

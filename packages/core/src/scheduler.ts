/**
 * Scheduling policy, as a pure function from the queue and free capacity to placements.
 *
 * Order: priority (high first), then submission order. Queue concurrency limits are hard. A run that
 * does not fit anywhere now but would fit on some node's total capacity reserves that node's
 * resources: later (lower or equal ordered) runs may only use what is left after the reservation, so
 * a large job is never starved by a stream of small ones.
 */
import type { ResolvedResources } from './spec.js';

export interface NodeState {
  name: string;
  total: { cpus: number; memory: number; gpus: number };
  used: { cpus: number; memory: number };
  /** GPU indices currently free on the node. */
  freeGpus: number[];
  /** A node that is not ready takes no new runs. */
  ready: boolean;
  /** Runtimes the node can execute (`process`, `docker`). */
  runtimes: readonly string[];
}

export interface Candidate {
  id: string;
  /** The runtime the run needs; only nodes offering it are considered. */
  runtime: string;
  queue: string;
  priority: number;
  seq: number;
  resources: ResolvedResources;
  notBefore?: number;
}

export interface QueueState {
  /** Undefined means unlimited. */
  concurrency?: number;
  active: number;
}

export interface Placement {
  runId: string;
  node: string;
  gpus: number[];
}

export interface Blocked {
  runId: string;
  reason: string;
}

export interface ScheduleInput {
  /** Queued runs; with `ordered`, already sorted by compareCandidates (saves a sort per pass). */
  candidates: readonly Candidate[];
  ordered?: boolean;
  nodes: readonly NodeState[];
  queues: ReadonlyMap<string, QueueState>;
  now: number;
}

export interface ScheduleResult {
  placements: Placement[];
  /** Runs that can never fit on any node, with the reason; the engine fails them. */
  unschedulable: Blocked[];
}

export function compareCandidates(a: Candidate, b: Candidate): number {
  return b.priority - a.priority || a.seq - b.seq;
}

interface Free {
  name: string;
  cpus: number;
  memory: number;
  gpus: number[];
  /** GPUs reserved for a blocked run (count), subtracted from `gpus`. */
  reservedGpus: number;
  ready: boolean;
  total: NodeState['total'];
  runtimes: readonly string[];
}

const EPS = 1e-9;

function fits(f: Free, r: ResolvedResources): boolean {
  return f.ready && f.cpus + EPS >= r.cpus && f.memory >= r.memory && f.gpus.length - f.reservedGpus >= r.gpus;
}

function fitsTotal(total: NodeState['total'], r: ResolvedResources): boolean {
  return total.cpus + EPS >= r.cpus && total.memory >= r.memory && total.gpus >= r.gpus;
}

export function schedule(input: ScheduleInput): ScheduleResult {
  const free: Free[] = input.nodes.map((n) => ({
    name: n.name,
    cpus: n.total.cpus - n.used.cpus,
    memory: n.total.memory - n.used.memory,
    gpus: [...n.freeGpus].sort((a, b) => a - b),
    reservedGpus: 0,
    ready: n.ready,
    total: n.total,
    runtimes: n.runtimes,
  }));
  const active = new Map<string, number>();
  for (const [q, s] of input.queues) active.set(q, s.active);
  const placements: Placement[] = [];
  const unschedulable: Blocked[] = [];
  const sorted = input.ordered ? input.candidates : [...input.candidates].sort(compareCandidates);
  for (const c of sorted) {
    // Every run asks for some CPU: once no node has any left (after reservations), nothing more fits.
    if (!free.some((f) => f.ready && f.cpus > EPS)) break;
    if (c.notBefore !== undefined && c.notBefore > input.now) continue;
    const limit = input.queues.get(c.queue)?.concurrency;
    const inQueue = active.get(c.queue) ?? 0;
    if (limit !== undefined && inQueue >= limit) continue;
    const r = c.resources;
    const able = free.filter((f) => f.runtimes.includes(c.runtime));
    if (!able.some((f) => fitsTotal(f.total, r))) {
      unschedulable.push({
        runId: c.id,
        reason: able.length
          ? `asks for more than any node has (cpus ${r.cpus}, memory ${r.memory} B, gpus ${r.gpus})`
          : `no node runs '${c.runtime}'`,
      });
      continue;
    }
    // Spread: among nodes that fit, take the one with the most free CPU.
    let best: Free | undefined;
    for (const f of able) if (fits(f, r) && (!best || f.cpus > best.cpus)) best = f;
    if (best) {
      best.cpus -= r.cpus;
      best.memory -= r.memory;
      const gpus = best.gpus.splice(0, r.gpus);
      placements.push({ runId: c.id, node: best.name, gpus });
      active.set(c.queue, inQueue + 1);
      continue;
    }
    // Reserve on the ready node that fits it in total and has the most free CPU now.
    let target: Free | undefined;
    for (const f of able) if (f.ready && fitsTotal(f.total, r) && (!target || f.cpus > target.cpus)) target = f;
    if (target) {
      target.cpus -= r.cpus;
      target.memory -= r.memory;
      target.reservedGpus += r.gpus;
    }
  }
  return { placements, unschedulable };
}

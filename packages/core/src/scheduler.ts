/**
 * Scheduling policy, as a pure function from the queue and free capacity to placements.
 *
 * Order: priority (high first), then submission order. Queue and group concurrency limits are hard.
 * A run that does not fit anywhere now but would fit on some node's total capacity reserves that
 * node's resources: later runs may only use what is left after the reservation, so a large job is
 * never starved by a stream of small ones.
 *
 * Queued runs come in lanes: the runs of one queue, one priority and one group (or none), in
 * submission order. A lane whose queue or group is at its limit, or a group whose next item waits
 * for room, is set aside whole, so a pass over a 10,000-item group costs in proportion to what it
 * starts, not to how many items wait.
 *
 * A run bound to a backend goes only to that backend's nodes. An external node (a Slurm partition)
 * places work itself: it takes every run bound to it at once, with no capacity accounting and no
 * group max_parallel here (Slurm enforces both); queue concurrency limits still apply.
 *
 * A queue's `perUser` limit caps the active runs of each user in it (the usual fairness on a shared
 * GPU box); lanes are per user too, so a user at the limit is set aside whole.
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
  /** The backend owning the node; runs bound to a backend only go to its nodes. */
  backend?: string;
  /** The backend places work itself (Slurm): no capacity accounting here. */
  external?: boolean;
  /** Named datasets present on the node; undefined: all of them (this machine, a shared disk). */
  datasets?: readonly string[];
}

export interface Candidate {
  id: string;
  /** The fan-out group the run belongs to, if any (its max_parallel applies). */
  group?: string;
  /** The runtime the run needs; only nodes offering it are considered. */
  runtime: string;
  /** The backend the run is bound to; undefined: any node that is not external. */
  backend?: string;
  queue: string;
  /** Who submitted the run (the queue's perUser limit applies); undefined: nobody's, unlimited. */
  user?: string;
  priority: number;
  seq: number;
  resources: ResolvedResources;
  notBefore?: number;
  /** Named datasets the run mounts: only nodes that have them all take it. */
  datasets?: readonly string[];
}

export interface QueueState {
  /** Undefined means unlimited. */
  concurrency?: number;
  active: number;
  /** Most active runs of one user in this queue; undefined means unlimited. */
  perUser?: number;
  /** Active runs in this queue by user (for perUser). */
  activeByUser?: ReadonlyMap<string, number>;
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

/** Runs of one queue, one priority and one group (or none), in submission order. */
export interface Lane {
  runs: readonly Candidate[];
}

export interface ScheduleInput {
  lanes: readonly Lane[];
  nodes: readonly NodeState[];
  queues: ReadonlyMap<string, QueueState>;
  /** Groups with a max_parallel, by id. */
  groups?: ReadonlyMap<string, QueueState>;
  now: number;
}

export interface ScheduleResult {
  placements: Placement[];
  /** Runs that can never fit on any node, with the reason; the engine fails them. */
  unschedulable: Blocked[];
}

export function compareCandidates(a: Pick<Candidate, 'priority' | 'seq'>, b: Pick<Candidate, 'priority' | 'seq'>): number {
  return b.priority - a.priority || a.seq - b.seq;
}

export function laneKey(c: Pick<Candidate, 'queue' | 'priority' | 'group' | 'backend' | 'user'>): string {
  return `${c.queue}\0${c.priority}\0${c.group ?? ''}\0${c.backend ?? ''}\0${c.user ?? ''}`;
}

/** Splits candidates into lanes (for callers that hold a flat list). */
export function toLanes(candidates: readonly Candidate[]): Lane[] {
  const lanes = new Map<string, Candidate[]>();
  for (const c of [...candidates].sort(compareCandidates)) {
    const k = laneKey(c);
    const l = lanes.get(k);
    if (l) l.push(c);
    else lanes.set(k, [c]);
  }
  return [...lanes.values()].map((runs) => ({ runs }));
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
  backend?: string;
  external: boolean;
  datasets?: readonly string[];
}

const EPS = 1e-9;

function fits(f: Free, r: ResolvedResources): boolean {
  return f.ready && f.cpus + EPS >= r.cpus && f.memory >= r.memory && f.gpus.length - f.reservedGpus >= r.gpus;
}

function hasDatasets(f: Free, c: Candidate): boolean {
  const have = f.datasets;
  return !have || !c.datasets || c.datasets.every((d) => have.includes(d));
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
    ...(n.backend !== undefined ? { backend: n.backend } : {}),
    external: n.external === true,
    ...(n.datasets ? { datasets: n.datasets } : {}),
  }));
  const anyExternal = free.some((f) => f.external && f.ready);
  const active = new Map<string, number>();
  for (const [q, st] of input.queues) active.set(q, st.active);
  const groupActive = new Map<string, number>();
  for (const [g, st] of input.groups ?? []) groupActive.set(g, st.active);
  const userKey = (queue: string, user: string) => `${queue}\0${user}`;
  const userActive = new Map<string, number>();
  for (const [q, st] of input.queues) for (const [u, n] of st.activeByUser ?? []) userActive.set(userKey(q, u), n);
  const placements: Placement[] = [];
  const unschedulable: Blocked[] = [];
  const cursors = input.lanes.filter((l) => l.runs.length).map((l) => ({ runs: l.runs, i: 0 }));
  for (;;) {
    // Every run asks for some CPU: once no node has any left (after reservations), nothing more fits
    // (except on external nodes, which take every run bound to them).
    const internalRoom = free.some((f) => !f.external && f.ready && f.cpus > EPS);
    if (!internalRoom && !anyExternal) break;
    let li = -1;
    for (let k = 0; k < cursors.length; k++) {
      const cur = cursors[k] as { runs: readonly Candidate[]; i: number };
      const best = li < 0 ? undefined : cursors[li];
      if (best === undefined || compareCandidates(cur.runs[cur.i] as Candidate, best.runs[best.i] as Candidate) < 0) li = k;
    }
    const lane = cursors[li];
    if (!lane) break;
    const c = lane.runs[lane.i] as Candidate;
    const next = () => {
      lane.i++;
      if (lane.i >= lane.runs.length) cursors.splice(li, 1);
    };
    const dropLane = () => cursors.splice(li, 1);
    if (c.notBefore !== undefined && c.notBefore > input.now) {
      next();
      continue;
    }
    const runs = free.filter((f) => f.runtimes.includes(c.runtime) && (c.backend !== undefined ? f.backend === c.backend : !f.external));
    const able = runs.filter((f) => hasDatasets(f, c));
    const external = able.find((f) => f.external);
    // Lanes hold runs of one backend: with no room left here, a lane of this server's runs waits whole.
    if (!external && !internalRoom && able.length) {
      dropLane();
      continue;
    }
    const limit = input.queues.get(c.queue)?.concurrency;
    const inQueue = active.get(c.queue) ?? 0;
    const glimit = c.group !== undefined && !external ? input.groups?.get(c.group)?.concurrency : undefined;
    const inGroup = c.group !== undefined ? groupActive.get(c.group) ?? 0 : 0;
    const ulimit = c.user !== undefined ? input.queues.get(c.queue)?.perUser : undefined;
    const ukey = c.user !== undefined ? userKey(c.queue, c.user) : '';
    const inUser = userActive.get(ukey) ?? 0;
    if ((limit !== undefined && inQueue >= limit) || (glimit !== undefined && inGroup >= glimit) || (ulimit !== undefined && inUser >= ulimit)) {
      dropLane();
      continue;
    }
    const took = () => {
      active.set(c.queue, inQueue + 1);
      if (c.group !== undefined) groupActive.set(c.group, inGroup + 1);
      if (c.user !== undefined) userActive.set(ukey, inUser + 1);
    };
    const r = c.resources;
    if (external) {
      if (external.ready) {
        placements.push({ runId: c.id, node: external.name, gpus: [] });
        took();
        next();
      } else {
        dropLane();
      }
      continue;
    }
    if (!able.some((f) => fitsTotal(f.total, r))) {
      unschedulable.push({
        runId: c.id,
        reason: able.length
          ? `asks for more than any node has (cpus ${r.cpus}, memory ${r.memory} B, gpus ${r.gpus})`
          : runs.length ? `no node that runs '${c.runtime}' has dataset(s) ${(c.datasets ?? []).map((d) => `'${d}'`).join(', ')} (nodes declare the datasets they have)`
            : c.backend !== undefined ? `no node of backend '${c.backend}' runs '${c.runtime}'` : `no node runs '${c.runtime}'`,
      });
      next();
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
      took();
      next();
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
    // The items of a group are alike: if this one does not fit, none behind it does. Other runs
    // of a queue differ, and a smaller one may still fit on another node.
    if (c.group !== undefined) dropLane();
    else next();
  }
  return { placements, unschedulable };
}

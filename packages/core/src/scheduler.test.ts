import { describe, expect, it } from 'vitest';
import { schedule as scheduleLanes, toLanes, type Candidate, type NodeState, type QueueState, type ScheduleInput } from './scheduler.js';

const schedule = (i: Omit<ScheduleInput, 'lanes'> & { candidates: Candidate[] }) => scheduleLanes({ ...i, lanes: toLanes(i.candidates) });

const GiB = 1024 ** 3;

function node(name: string, cpus: number, opts: Partial<NodeState> & { gpus?: number; memory?: number } = {}): NodeState {
  const gpus = opts.gpus ?? 0;
  return {
    name,
    total: { cpus, memory: opts.memory ?? 16 * GiB, gpus },
    used: opts.used ?? { cpus: 0, memory: 0 },
    freeGpus: opts.freeGpus ?? Array.from({ length: gpus }, (_, i) => i),
    ready: opts.ready ?? true,
    runtimes: opts.runtimes ?? ['process'],
    ...(opts.datasets ? { datasets: opts.datasets } : {}),
  };
}

let seq = 0;
function run(id: string, opts: Partial<Omit<Candidate, 'resources'>> & { cpus?: number; memory?: number; gpus?: number } = {}): Candidate {
  return {
    id, runtime: opts.runtime ?? 'process', queue: opts.queue ?? 'default', ...(opts.group ? { group: opts.group } : {}), priority: opts.priority ?? 0, seq: opts.seq ?? ++seq,
    resources: { cpus: opts.cpus ?? 1, memory: opts.memory ?? 0, gpus: opts.gpus ?? 0 },
    ...(opts.notBefore !== undefined ? { notBefore: opts.notBefore } : {}),
    ...(opts.backend !== undefined ? { backend: opts.backend } : {}),
    ...(opts.datasets ? { datasets: opts.datasets } : {}),
    ...(opts.user !== undefined ? { user: opts.user } : {}),
  };
}

const noQueues = new Map<string, QueueState>();
const ids = (r: ReturnType<typeof schedule>) => r.placements.map((p) => p.runId);

describe('schedule', () => {
  it('orders by priority, then submission order', () => {
    const r = schedule({ candidates: [run('a', { seq: 1 }), run('b', { seq: 2, priority: 5 }), run('c', { seq: 3 })], nodes: [node('n', 2)], queues: noQueues, now: 0 });
    expect(ids(r)).toEqual(['b', 'a']);
  });

  it('never over-commits CPUs or memory', () => {
    const r = schedule({
      candidates: [run('a', { cpus: 1.5 }), run('c', { cpus: 0.5, memory: 20 * GiB }), run('d', { cpus: 0.5 }), run('e', { cpus: 0.5 })],
      nodes: [node('n', 2, { used: { cpus: 0, memory: 0 } })], queues: noQueues, now: 0,
    });
    // c needs more memory than any node has: it is unschedulable, not placed.
    expect(ids(r)).toEqual(['a', 'd']);
    expect(r.unschedulable.map((u) => u.runId)).toEqual(['c']);
  });

  it('holds a queue to its concurrency limit without blocking other queues', () => {
    const queues = new Map<string, QueueState>([['bench', { concurrency: 1, active: 0 }]]);
    const r = schedule({
      candidates: [run('b1', { queue: 'bench' }), run('b2', { queue: 'bench' }), run('x', {})],
      nodes: [node('n', 8)], queues, now: 0,
    });
    expect(ids(r)).toEqual(['b1', 'x']);
    const full = new Map<string, QueueState>([['bench', { concurrency: 1, active: 1 }]]);
    expect(ids(schedule({ candidates: [run('b3', { queue: 'bench' })], nodes: [node('n', 8)], queues: full, now: 0 }))).toEqual([]);
  });

  it("holds each user to the queue's perUser limit, counting what they already run, and lets others past", () => {
    const queues = new Map<string, QueueState>([['gpu', { concurrency: 8, active: 1, perUser: 2, activeByUser: new Map([['alice', 1]]) }]]);
    const candidates = [
      run('a1', { queue: 'gpu', user: 'alice', seq: 1 }), run('a2', { queue: 'gpu', user: 'alice', seq: 2 }), run('a3', { queue: 'gpu', user: 'alice', seq: 3 }),
      run('b1', { queue: 'gpu', user: 'bob', seq: 4 }), run('b2', { queue: 'gpu', user: 'bob', seq: 5 }), run('b3', { queue: 'gpu', user: 'bob', seq: 6 }),
      run('x', { queue: 'gpu', seq: 7 }), run('d', { user: 'alice', seq: 8 }),
    ];
    const r = schedule({ candidates, nodes: [node('n', 16)], queues, now: 0 });
    // alice had one running: one more; bob two; a run with no user and another queue are not limited.
    expect(ids(r)).toEqual(['a1', 'b1', 'b2', 'x', 'd']);
  });

  it('assigns free GPU indices, lowest first', () => {
    const r = schedule({
      candidates: [run('a', { gpus: 2 }), run('b', { gpus: 1 }), run('c', { gpus: 1 })],
      nodes: [node('n', 8, { gpus: 4, freeGpus: [3, 1, 0] })], queues: noQueues, now: 0,
    });
    expect(r.placements).toEqual([{ runId: 'a', node: 'n', gpus: [0, 1] }, { runId: 'b', node: 'n', gpus: [3] }]);
  });

  it('reserves room for a large blocked run so small ones cannot starve it', () => {
    // 3 of 4 CPUs busy; a 4-CPU run waits at the head. A later 1-CPU run would fit, but must not take the room.
    const busy = node('n', 4, { used: { cpus: 3, memory: 0 } });
    const r = schedule({ candidates: [run('big', { cpus: 4, seq: 1 }), run('small', { cpus: 1, seq: 2 })], nodes: [busy], queues: noQueues, now: 0 });
    expect(ids(r)).toEqual([]);
    // Once the node drains, the big run starts first.
    const r2 = schedule({ candidates: [run('big', { cpus: 4, seq: 1 }), run('small', { cpus: 1, seq: 2 })], nodes: [node('n', 4)], queues: noQueues, now: 0 });
    expect(ids(r2)).toEqual(['big']);
  });

  it('lets small runs use a node the large run is not waiting for', () => {
    const r = schedule({
      candidates: [run('big', { cpus: 4, seq: 1 }), run('small', { cpus: 1, seq: 2 })],
      nodes: [node('a', 4, { used: { cpus: 3, memory: 0 } }), node('b', 2)], queues: noQueues, now: 0,
    });
    expect(r.placements).toEqual([{ runId: 'small', node: 'b', gpus: [] }]);
  });

  it('spreads runs across nodes and skips nodes that are not ready', () => {
    const r = schedule({
      candidates: [run('a'), run('b'), run('c')],
      nodes: [node('n1', 2), node('n2', 2), node('down', 64, { ready: false })], queues: noQueues, now: 0,
    });
    expect(r.placements).toHaveLength(3);
    // The first two land on different nodes.
    expect(new Set(r.placements.slice(0, 2).map((p) => p.node)).size).toBe(2);
    expect(r.placements.some((p) => p.node === 'down')).toBe(false);
  });

  it('places a run only on a node that offers its runtime', () => {
    const r = schedule({
      candidates: [run('c', { runtime: 'docker' }), run('p', {})],
      nodes: [node('proc', 8, { runtimes: ['process'] }), node('engine', 2, { runtimes: ['docker'] })], queues: noQueues, now: 0,
    });
    expect(r.placements).toEqual([{ runId: 'c', node: 'engine', gpus: [] }, { runId: 'p', node: 'proc', gpus: [] }]);
    const none = schedule({ candidates: [run('x', { runtime: 'docker' })], nodes: [node('proc', 8)], queues: noQueues, now: 0 });
    expect(none.unschedulable).toEqual([{ runId: 'x', reason: "no node runs 'docker'" }]);
  });

  it('holds a group to its max_parallel and sets its lane aside in one step', () => {
    const items = Array.from({ length: 1000 }, (_, i) => run(`g${i}`, { group: 'sweep' }));
    const groups = new Map<string, QueueState>([['sweep', { concurrency: 3, active: 1 }]]);
    const r = schedule({ candidates: [...items, run('other', {})], nodes: [node('n', 64)], queues: noQueues, groups, now: 0 });
    expect(ids(r)).toEqual(['g0', 'g1', 'other']);
  });

  it('waits for a retry delay to pass', () => {
    const c = [run('later', { notBefore: 1000 })];
    expect(ids(schedule({ candidates: c, nodes: [node('n', 1)], queues: noQueues, now: 999 }))).toEqual([]);
    expect(ids(schedule({ candidates: c, nodes: [node('n', 1)], queues: noQueues, now: 1000 }))).toEqual(['later']);
  });

  describe('external nodes (a Slurm partition)', () => {
    const slurm = (opts: Partial<NodeState> = {}): NodeState => ({ ...node('slurm', 1, { cpus: 1 } as Partial<NodeState>), backend: 'slurm', external: true, ...opts });

    it('takes every run bound to it at once, past group max_parallel, with no capacity accounting', () => {
      const groups = new Map<string, QueueState>([['g', { concurrency: 2, active: 0 }]]);
      const r = schedule({
        candidates: [run('a', { backend: 'slurm', group: 'g', cpus: 64 }), run('b', { backend: 'slurm', group: 'g', cpus: 64 }), run('c', { backend: 'slurm', group: 'g' })],
        nodes: [node('local', 1), slurm()], queues: noQueues, groups, now: 0,
      });
      expect(r.placements).toEqual([{ runId: 'a', node: 'slurm', gpus: [] }, { runId: 'b', node: 'slurm', gpus: [] }, { runId: 'c', node: 'slurm', gpus: [] }]);
    });

    it('keeps unbound runs off it, and bound runs off other nodes, even when this server is full', () => {
      const r = schedule({
        candidates: [run('x', { cpus: 1 }), run('y', { cpus: 1 }), run('s', { backend: 'slurm' })],
        nodes: [node('local', 1), slurm()], queues: noQueues, now: 0,
      });
      expect(r.placements.map((p) => `${p.runId}@${p.node}`)).toEqual(['x@local', 's@slurm']);
    });

    it('still applies queue concurrency, and holds runs while it is not ready', () => {
      const queues = new Map<string, QueueState>([['hpc', { concurrency: 1, active: 0 }]]);
      const r = schedule({ candidates: [run('a', { backend: 'slurm', queue: 'hpc' }), run('b', { backend: 'slurm', queue: 'hpc' })], nodes: [slurm()], queues, now: 0 });
      expect(ids(r)).toEqual(['a']);
      const down = schedule({ candidates: [run('a', { backend: 'slurm' })], nodes: [slurm({ ready: false })], queues: noQueues, now: 0 });
      expect(down).toEqual({ placements: [], unschedulable: [] });
    });

    it('fails a run bound to a backend whose nodes lack its runtime', () => {
      const r = schedule({ candidates: [run('d', { backend: 'slurm', runtime: 'docker' })], nodes: [node('local', 1, { runtimes: ['docker'] }), slurm()], queues: noQueues, now: 0 });
      expect(r.unschedulable).toEqual([{ runId: 'd', reason: "no node of backend 'slurm' runs 'docker'" }]);
    });
  });

  describe('datasets on some nodes only', () => {
    it('places a run needing datasets on a node that declares them all (or declares none: it has all)', () => {
      const nodes = [node('big', 8, { datasets: [] }), node('ais-box', 2, { datasets: ['ais', 'maps'] }), node('maps-box', 4, { datasets: ['maps'] })];
      const r = schedule({ candidates: [run('a', { datasets: ['ais', 'maps'] }), run('m', { datasets: ['maps'] }), run('p')], nodes, queues: noQueues, now: 0 });
      expect(r.placements.map((p) => [p.runId, p.node])).toEqual([['a', 'ais-box'], ['m', 'maps-box'], ['p', 'big']]);
      const all = schedule({ candidates: [run('x', { datasets: ['ais'] })], nodes: [node('local', 2)], queues: noQueues, now: 0 });
      expect(all.placements.map((p) => p.node)).toEqual(['local']);
    });

    it('waits for a busy or down node that has them; says why when no node has them', () => {
      const nodes = [node('free', 8, { datasets: [] }), node('ais-box', 2, { datasets: ['ais'], ready: false })];
      const r = schedule({ candidates: [run('a', { datasets: ['ais'] }), run('b', { datasets: ['imagenet'] })], nodes, queues: noQueues, now: 0 });
      expect(r.placements).toEqual([]);
      expect(r.unschedulable).toEqual([{ runId: 'b', reason: "no node that runs 'process' has dataset(s) 'imagenet' (nodes declare the datasets they have)" }]);
    });
  });
});

/** What each node holds: the capacity the scheduler sees, and the usage the API shows. */
import { runFootprint, type NodeState, type ResolvedResources, type ResolvedSpec } from '@regatta/core';
import type { Backend, NodeInfo } from '@regatta/backends';

/** The part of an active attempt that holds resources. */
export interface Holding {
  runId: string;
  node: string;
  gpus: readonly number[];
  resources: ResolvedResources;
}

export interface NodeUsage extends NodeInfo {
  used: { cpus: number; memory: number; gpus: number[] };
  runs: string[];
}

export function nodeUsage(backends: readonly Backend[], holdings: Iterable<Holding>): NodeUsage[] {
  const all = [...holdings];
  return backends.flatMap((b) => b.nodes()).map((n) => {
    const mine = all.filter((h) => h.node === n.name);
    return {
      ...n,
      used: {
        cpus: mine.reduce((s, h) => s + h.resources.cpus, 0),
        memory: mine.reduce((s, h) => s + h.resources.memory, 0),
        gpus: mine.flatMap((h) => h.gpus).sort((x, y) => x - y),
      },
      runs: mine.map((h) => h.runId),
    };
  });
}

/** Free capacity per node for the scheduler, and which backend owns each node. */
export function nodeStates(backends: readonly Backend[], holdings: Iterable<Holding>): { states: NodeState[]; owner: Map<string, Backend> } {
  const owner = new Map<string, Backend>();
  const byNode = new Map<string, { cpus: number; memory: number; gpus: Set<number> }>();
  for (const h of holdings) {
    let u = byNode.get(h.node);
    if (!u) byNode.set(h.node, (u = { cpus: 0, memory: 0, gpus: new Set() }));
    u.cpus += h.resources.cpus;
    u.memory += h.resources.memory;
    for (const g of h.gpus) u.gpus.add(g);
  }
  const states: NodeState[] = [];
  for (const b of backends) {
    for (const n of b.nodes()) {
      owner.set(n.name, b);
      const u = byNode.get(n.name);
      states.push({
        name: n.name, total: n.total, used: { cpus: u?.cpus ?? 0, memory: u?.memory ?? 0 },
        freeGpus: u ? n.gpuIndices.filter((g) => !u.gpus.has(g)) : n.gpuIndices, ready: n.ready, runtimes: n.runtimes,
        backend: b.name, ...(n.external ? { external: true } : {}), ...(n.datasets ? { datasets: n.datasets } : {}),
      });
    }
  }
  return { states, owner };
}

/** Whether a node may take the spec at all: its backend's when bound to one, else any node not external. */
function eligible(n: { backend?: string; external?: boolean; runtimes: readonly string[] }, backend: string, spec: ResolvedSpec): boolean {
  return n.runtimes.includes(spec.runtime) && (spec.backend !== undefined ? backend === spec.backend : !n.external);
}

/** Whether some node has room for the spec now. */
export function roomNow(states: readonly NodeState[], spec: ResolvedSpec): boolean {
  const r = runFootprint(spec);
  return states.some((n) => n.ready && eligible(n, n.backend ?? '', spec) && (n.external === true
    || (n.total.cpus - n.used.cpus >= r.cpus && n.total.memory - n.used.memory >= r.memory && n.freeGpus.length >= r.gpus)));
}

/** Whether some node could ever hold the spec (an external backend decides that itself). */
export function fitsSomeNode(backends: readonly Backend[], spec: ResolvedSpec): boolean {
  const r = runFootprint(spec);
  return backends.some((b) => b.nodes().some((n) => eligible(n, b.name, spec) && (n.external === true
    || ((r.nodes ?? 1) === 1 && n.total.cpus >= r.cpus && n.total.memory >= r.memory && n.total.gpus >= r.gpus))));
}

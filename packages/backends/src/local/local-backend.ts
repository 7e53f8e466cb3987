/** This machine as a single node, running attempts with the runtimes it was given. */
import { NonRetriableError } from '@regatta/core';
import type { Runtime } from '@regatta/runtimes';
import type { Backend, NodeInfo } from '../backend.js';
import type { Capacity } from './capacity.js';

export interface LocalBackendOptions {
  nodeName: string;
  capacity: Capacity;
  runtimes: readonly Runtime[];
}

export function createLocalBackend(options: LocalBackendOptions): Backend {
  const byName = new Map(options.runtimes.map((r) => [r.name, r]));
  const node: NodeInfo = {
    name: options.nodeName,
    total: { cpus: options.capacity.cpus, memory: options.capacity.memory, gpus: options.capacity.gpuIndices.length },
    gpuIndices: options.capacity.gpuIndices,
    ready: true,
    backend: 'local',
    runtimes: [...byName.keys()],
  };
  const runtimeFor = (name: string): Runtime => {
    const r = byName.get(name);
    if (!r) throw new NonRetriableError(`runtime '${name}' is not available on the local backend`);
    return r;
  };
  return {
    name: 'local',
    runtimes: [...byName.keys()],
    nodes: () => [node],
    launch: (req, hooks) => runtimeFor(req.spec.runtime).start(req, hooks),
    recover: (req, externalId, hooks) => runtimeFor(req.spec.runtime).recover(req, externalId, hooks),
    async sweep(stray) {
      let removed = 0;
      for (const r of byName.values()) removed += (await r.sweep?.(stray)) ?? 0;
      return removed;
    },
    close: () => Promise.resolve(),
  };
}

/** Why a queued run has not started, in words, from what the API says about queues and nodes. */
import type { NodeView, QueueView } from '@regatta/sdk/client';
import { formatBytes } from './format.js';

interface Needs { cpus: number; memory: number; gpus: number }

function needs(resolved: Record<string, unknown>): Needs {
  const r = resolved.resources;
  const o = r && typeof r === 'object' ? (r as Record<string, unknown>) : {};
  const n = (k: string) => (typeof o[k] === 'number' ? o[k] : 0);
  return { cpus: n('cpus'), memory: n('memory'), gpus: n('gpus') };
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * E.g. "needs 2 GPUs; node a has 1 free, node b has 0 free; 3 runs ahead in queue gpu; queue gpu is
 * at its limit (1 of 1 running)". Lists every reason that holds; says so when none is visible.
 */
export function waitReason(
  run: { queue: string; queuePosition?: number; resolved: Record<string, unknown>; reason?: string; createdBy?: string | null },
  queues: readonly QueueView[],
  nodes: readonly NodeView[],
): string {
  const want = needs(run.resolved);
  const parts: string[] = [];
  const ready = nodes.filter((n) => n.ready);
  const free = ready.map((n) => ({
    name: n.name,
    cpus: n.capacity.cpus - n.used.cpus,
    memory: n.capacity.memory - n.used.memory,
    gpus: n.capacity.gpus - n.used.gpus.length,
    total: n.capacity,
  }));
  const fits = free.some((f) => f.cpus >= want.cpus && f.gpus >= want.gpus && (!want.memory || !f.total.memory || f.memory >= want.memory));
  if (!ready.length) parts.push('no node is ready');
  else if (!fits) {
    if (want.gpus > 0) parts.push(`needs ${plural(want.gpus, 'GPU')}; ${free.map((f) => `node ${f.name} has ${f.gpus} free`).join(', ')}`);
    else parts.push(`needs ${plural(want.cpus, 'CPU')}${want.memory ? ` and ${formatBytes(want.memory)}` : ''}; ${free.map((f) => `node ${f.name} has ${f.cpus} CPUs${f.total.memory ? ` and ${formatBytes(Math.max(0, f.memory))}` : ''} free`).join(', ')}`);
  }
  if (run.queuePosition) parts.push(`${plural(run.queuePosition, 'run')} ahead in queue ${run.queue}`);
  const q = queues.find((x) => x.name === run.queue);
  if (q && q.concurrency !== null && q.active >= q.concurrency) parts.push(`queue ${run.queue} is at its limit (${q.active} of ${q.concurrency} running)`);
  const mine = run.createdBy ? q?.activeByUser?.[run.createdBy] ?? 0 : 0;
  if (q?.perUser !== undefined && run.createdBy && mine >= q.perUser) parts.push(`per-user limit: ${run.createdBy} has ${mine} of ${q.perUser} running in queue ${run.queue}`);
  if (run.reason) parts.push(run.reason);
  return parts.length ? parts.join('; ') : 'about to start: resources are free and nothing is ahead of it';
}

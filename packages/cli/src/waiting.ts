/** What a queued run waits for, in words: the runs ahead of it, its queue's limit, or the resources no node has free. */
import type { NodeView, QueueView, RunDetail } from '@regatta/sdk';
import { formatBytes, formatCpus } from './format.js';

interface Needs { cpus?: number; memory?: number; gpus?: number }

export function waitingReason(run: RunDetail, nodes: readonly NodeView[], queues: readonly QueueView[]): string | undefined {
  if (run.status !== 'queued' || run.queuePosition === undefined) return undefined;
  const q = queues.find((x) => x.name === run.queue);
  // Others' runs may start ahead of this one while its user is at the per-user limit: that comes first.
  const mine = run.createdBy ? q?.activeByUser?.[run.createdBy] ?? 0 : 0;
  if (q?.perUser !== undefined && run.createdBy && mine >= q.perUser) {
    return `waiting for a slot: per-user limit, queue ${q.name} runs at most ${q.perUser} of each user's runs at once (${run.createdBy} has ${mine} active)`;
  }
  if (run.queuePosition > 0) return `position ${run.queuePosition + 1} in queue ${run.queue}`;
  if (q?.backend) return `first in queue ${run.queue}, handed to backend ${q.backend}`;
  if (q && q.concurrency !== null && q.active >= q.concurrency) return `first in queue, waiting for a slot: queue ${q.name} runs at most ${q.concurrency} at once`;
  const needs = ((run.resolved as { resources?: Needs }).resources ?? {});
  const ready = nodes.filter((n) => n.ready && n.backend !== 'slurm');
  const free = ready.map((n) => ({
    cpus: n.capacity.cpus - n.used.cpus, memory: n.capacity.memory - n.used.memory, gpus: n.capacity.gpus - n.used.gpus.length,
  }));
  const short: string[] = [];
  const most = (k: keyof Needs) => Math.max(0, ...free.map((f) => f[k]));
  if ((needs.gpus ?? 0) > 0 && !free.some((f) => f.gpus >= (needs.gpus ?? 0))) {
    short.push(`${needs.gpus} GPU${needs.gpus === 1 ? '' : 's'} (most free on a node: ${most('gpus')})`);
  }
  if ((needs.cpus ?? 0) > 0 && !free.some((f) => f.cpus >= (needs.cpus ?? 0))) short.push(`${formatCpus(needs.cpus ?? 0)} CPUs (most free on a node: ${formatCpus(most('cpus'))})`);
  if ((needs.memory ?? 0) > 0 && !free.some((f) => f.memory >= (needs.memory ?? 0))) short.push(`${formatBytes(needs.memory ?? 0)} memory (most free on a node: ${formatBytes(most('memory'))})`);
  if (short.length) return `first in queue, waiting for ${short.join(', ')}`;
  if (!ready.length) return 'first in queue, waiting for a ready node';
  return 'first in queue, about to start';
}

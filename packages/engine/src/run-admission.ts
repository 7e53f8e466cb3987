/**
 * What the engine checks before a run is admitted (datasets exist, mounts are allowed, some node can
 * run it), and what the scheduler and the API need to know about limits in use: pure helpers of the engine.
 */
import { RegattaError, SpecError, disallowedMounts, type GroupRecord, type ResolvedSpec, type RunRecord } from '@regatta/core';
import type { Backend } from '@regatta/backends';
import { checkBackend } from './backend-binding.js';

/** Fills in the host path of each named dataset; an unknown name is refused. */
export async function withDatasets(resolved: ResolvedSpec, datasetPath: (name: string) => Promise<string | undefined>): Promise<ResolvedSpec> {
  if (!resolved.datasets.length && !resolved.services.some((s) => s.datasets.length)) return resolved;
  const issues: { path: string; message: string }[] = [];
  const fill = async (list: ResolvedSpec['datasets'], at: string) => {
    const out = [];
    for (const [i, d] of list.entries()) {
      const source = await datasetPath(d.name);
      if (source === undefined) issues.push({ path: `${at}[${i}]`, message: `no dataset named '${d.name}' (regatta datasets ls)` });
      out.push({ ...d, ...(source !== undefined ? { source } : {}) });
    }
    return out;
  };
  const datasets = await fill(resolved.datasets, 'datasets');
  const services = [];
  for (const s of resolved.services) services.push({ ...s, datasets: await fill(s.datasets, `services.${s.name}.datasets`) });
  if (issues.length) throw new SpecError(`invalid job spec: ${issues.map((x) => `${x.path}: ${x.message}`).join('; ')}`, issues);
  return { ...resolved, datasets, services };
}

/** Refuses a spec that no node of this server could ever run. */
export function checkPlaceable(resolved: ResolvedSpec, backends: readonly Backend[], allowedHostPaths: readonly string[], privateHostPaths: readonly string[] = []): void {
  const mountIssues = disallowedMounts(resolved, allowedHostPaths, privateHostPaths);
  if (mountIssues.length) throw new SpecError(`invalid job spec: ${mountIssues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, mountIssues);
  const bound = checkBackend(backends, resolved);
  if (bound) throw new RegattaError('invalid_spec', `invalid job spec: ${bound.path}: ${bound.message}`, { issues: [bound] });
  const supported = backends.some((b) => b.nodes().some((n) => n.runtimes.includes(resolved.runtime)));
  if (!supported) {
    throw new RegattaError('invalid_spec', `runtime '${resolved.runtime}' is not available on this server`, {
      issues: [{ path: 'runtime', message: `no node runs '${resolved.runtime}'` }],
    });
  }
}


export interface Limit { concurrency?: number; active: number; perUser?: number; activeByUser?: Map<string, number> }

/** Queue and group limits with what is active in each, for the scheduler. */
export function limitsInUse(
  active: Iterable<{ run: RunRecord }>, concurrency: ReadonlyMap<string, number>, limited: readonly GroupRecord[], perUser: Readonly<Record<string, number>> = {},
): { queues: Map<string, Limit>; groups: Map<string, Limit> } {
  const queues = new Map<string, Limit>();
  for (const [name, c] of concurrency) queues.set(name, { concurrency: c, active: 0 });
  for (const [name, n] of Object.entries(perUser)) queues.set(name, { ...queues.get(name), active: 0, perUser: n, activeByUser: new Map() });
  const activeIn = new Map<string, number>();
  for (const a of active) {
    let q = queues.get(a.run.queue);
    if (!q) queues.set(a.run.queue, q = { active: 0 });
    q.active++;
    const by = a.run.createdBy;
    if (q.activeByUser && by !== undefined) q.activeByUser.set(by, (q.activeByUser.get(by) ?? 0) + 1);
    if (limited.length && a.run.groupId !== undefined) activeIn.set(a.run.groupId, (activeIn.get(a.run.groupId) ?? 0) + 1);
  }
  const groups = new Map<string, Limit>();
  for (const g of limited) groups.set(g.id, { ...(g.maxParallel !== undefined ? { concurrency: g.maxParallel } : {}), active: activeIn.get(g.id) ?? 0 });
  return { queues, groups };
}

export interface QueueStats { concurrency?: number; queued: number; active: number; backend?: string; perUser?: number; activeByUser?: Record<string, number> }

/**
 * Length, activity and limit of every queue (the default one, those with a limit and those mapped
 * to a backend, e.g. a Slurm partition queue, always appear).
 */
export function queueStats(
  queued: Iterable<RunRecord>, active: Iterable<RunRecord>, concurrency: ReadonlyMap<string, number>, backends: Readonly<Record<string, string>> = {},
  perUser: Readonly<Record<string, number>> = {},
): Map<string, QueueStats> {
  const stats = new Map<string, QueueStats>();
  const get = (name: string) => {
    let s = stats.get(name);
    if (!s) {
      const c = concurrency.get(name);
      const b = backends[name];
      const u = perUser[name];
      s = { ...(c !== undefined ? { concurrency: c } : {}), queued: 0, active: 0, ...(b !== undefined ? { backend: b } : {}), ...(u !== undefined ? { perUser: u, activeByUser: {} } : {}) };
      stats.set(name, s);
    }
    return s;
  };
  get('default');
  for (const name of concurrency.keys()) get(name);
  for (const name of Object.keys(backends)) get(name);
  for (const r of queued) get(r.queue).queued++;
  for (const name of Object.keys(perUser)) get(name);
  for (const r of active) {
    const s = get(r.queue);
    s.active++;
    if (s.activeByUser && r.createdBy !== undefined) s.activeByUser[r.createdBy] = (s.activeByUser[r.createdBy] ?? 0) + 1;
  }
  return stats;
}

/** Turning a fan-out spec into a group record and its runs (items), ready to store in one go. */
import { glob } from 'tinyglobby';
import {
  SpecError, compileGroup, compileItems, emptyCounts, newId, type CompiledItem, type GroupRecord, type GroupSubmission, type RunRecord,
} from '@regatta/core';

/**
 * The files a `foreach.files` glob names: relative to a dataset, else to the uploaded files the runs
 * start from (a template's), else to the shared workdir; or absolute.
 */
async function listItemFiles(g: GroupSubmission, filesDir: (ref: string) => string, datasetPath: (name: string) => Promise<string | undefined>): Promise<string[]> {
  const pattern = g.fanout.foreach?.files;
  if (pattern === undefined) return [];
  const dataset = g.fanout.foreach?.dataset;
  let base = typeof g.base.files === 'string' ? filesDir(g.base.files) : typeof g.base.workdir === 'string' ? g.base.workdir : undefined;
  if (dataset !== undefined) {
    base = await datasetPath(dataset);
    if (base === undefined) throw new SpecError(`no dataset named '${dataset}'`, [{ path: 'foreach.dataset', message: `no dataset named '${dataset}'` }]);
  }
  if (!pattern.startsWith('/') && !base?.startsWith('/')) {
    throw new SpecError('foreach.files needs a directory to be relative to', [{ path: 'foreach.files', message: 'give an absolute glob, an absolute workdir, or files' }]);
  }
  return (await glob(pattern, { cwd: base ?? '/', onlyFiles: true, absolute: pattern.startsWith('/') })).sort();
}

export interface PreparedGroup {
  group: GroupRecord;
  runs: Omit<RunRecord, 'seq'>[];
  first: CompiledItem;
}

export async function prepareGroup(
  input: unknown, now: number, filesDir: (ref: string) => string, datasetPath: (name: string) => Promise<string | undefined>, maxItems?: number,
): Promise<PreparedGroup> {
  const g = compileGroup(input);
  const items = compileItems(g, await listItemFiles(g, filesDir, datasetPath), maxItems);
  const first = items[0];
  if (!first) throw new SpecError('a fan-out needs at least one item', [{ path: 'foreach', message: 'expands to no items' }]);
  const id = newId(now);
  const counts = emptyCounts();
  counts.queued = items.length;
  const group: GroupRecord = {
    id, name: first.resolved.name, status: 'running', total: items.length, counts,
    ...(g.maxParallel !== undefined ? { maxParallel: g.maxParallel } : {}), failFast: g.failFast, spec: g.spec, createdAt: now, updatedAt: now,
  };
  const runs = items.map((it) => ({
    id: newId(now), name: it.resolved.name, status: 'queued' as const, queue: it.resolved.queue, priority: it.resolved.priority,
    labels: it.resolved.labels, spec: it.spec, resolved: it.resolved, createdAt: now, updatedAt: now, attempt: 0, groupId: id, itemKey: it.key,
  }));
  return { group, runs, first };
}

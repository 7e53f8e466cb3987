/**
 * The counters of unfinished fan-out groups. Every status change of an item moves one count, in the
 * same transaction as the change itself, so a group's progress is read in O(1) and survives a crash.
 */
import {
  ACTIVE_STATUSES, TERMINAL_STATUSES, type GroupRecord, type GroupStatus, type RunStatus, type StatusCounts,
} from '@regatta/core';
import type { GroupPatch } from '@regatta/store';

export function groupStatus(total: number, c: StatusCounts): GroupStatus {
  let done = 0;
  for (const s of TERMINAL_STATUSES) done += c[s];
  if (done < total) return 'running';
  if (c.failed + c.timed_out + c.lost > 0) return 'failed';
  return c.canceled > 0 ? 'canceled' : 'succeeded';
}

/** The items `group rerun` queues again; `group resume` also takes the canceled ones. */
export function rerunStatuses(resume = false): RunStatus[] {
  return resume ? ['failed', 'timed_out', 'lost', 'canceled'] : ['failed', 'timed_out', 'lost'];
}

export function activeCount(c: StatusCounts): number {
  let n = 0;
  for (const s of ACTIVE_STATUSES) n += c[s];
  return n;
}

export class GroupBook {
  private readonly groups = new Map<string, GroupRecord>();

  load(g: GroupRecord): void {
    this.groups.set(g.id, g);
  }

  get(id: string): GroupRecord | undefined {
    return this.groups.get(id);
  }

  /** Moves one item from `from` to `to`; the patch to write with that change. */
  apply(id: string, from: RunStatus, to: RunStatus, now: number): GroupPatch | undefined {
    const g = this.groups.get(id);
    if (!g || from === to) return undefined;
    const counts = { ...g.counts, [from]: Math.max(0, g.counts[from] - 1), [to]: g.counts[to] + 1 };
    const status = groupStatus(g.total, counts);
    const patch: GroupPatch = { id, counts, status, updatedAt: now };
    if (g.startedAt === undefined && ACTIVE_STATUSES.has(to)) patch.startedAt = now;
    if (status !== 'running') patch.finishedAt = now;
    else if (g.finishedAt !== undefined) patch.finishedAt = null; // rerun of a finished group
    const next: GroupRecord = { ...g, counts, status, updatedAt: now };
    if (patch.startedAt !== undefined && patch.startedAt !== null) next.startedAt = patch.startedAt;
    if (patch.finishedAt === null) delete next.finishedAt;
    else if (patch.finishedAt !== undefined) next.finishedAt = patch.finishedAt;
    // A finished group lives on in the store only (a rerun loads it again).
    if (status === 'running') this.groups.set(id, next);
    else this.groups.delete(id);
    return patch;
  }

  /** Limits for the scheduler: groups with a max_parallel. */
  limited(): GroupRecord[] {
    return [...this.groups.values()].filter((g) => g.maxParallel !== undefined && g.status === 'running');
  }
}

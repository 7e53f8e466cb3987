/** Columns of a group's results table that come from the run itself: how its last attempt went. */
import type { RunRecord } from '@regatta/core';
import { iso } from './context.js';

export function itemColumns(r: RunRecord): { attempts: number; node: string | null; started: string | null; duration: number | null; reason: string | null } {
  return {
    attempts: r.attempt,
    node: r.node ?? null,
    started: iso(r.startedAt) ?? null,
    // Seconds of the last attempt, once it has ended.
    duration: r.startedAt !== undefined && r.finishedAt !== undefined ? Math.max(0, r.finishedAt - r.startedAt) / 1000 : null,
    reason: r.reason ?? null,
  };
}

/**
 * Making an ended attempt's artifacts (and, when asked, its log) durable in the artifact store,
 * before the run is reported ended: a run that says `succeeded` has its files where they stay.
 */
import type { ArtifactStore, AttemptRef } from '@regatta/artifacts';
import type { AttemptOutcome, RunRecord } from '@regatta/core';
import type { Store } from '@regatta/store';
import type { AttemptPaths } from '@regatta/runtimes';

export interface AttemptStorage {
  artifacts: ArtifactStore;
  /** Also keep each finished attempt's log in the store. */
  archiveLogs: boolean;
}

export function attemptRef(run: RunRecord, attempt: number): AttemptRef {
  return {
    runId: run.id, attempt, params: run.resolved.params, labels: run.resolved.labels,
    ...(run.groupId !== undefined ? { groupId: run.groupId } : {}),
    ...(run.itemKey !== undefined ? { itemKey: run.itemKey } : {}),
    ...(run.resolved.artifactKey !== undefined ? { keyTemplate: run.resolved.artifactKey } : {}),
  };
}

/** Stores the attempt's files; the reason they could not be stored, or undefined when they were. */
export async function storeAttempt(s: AttemptStorage | undefined, store: Store, run: RunRecord, attempt: number, paths: AttemptPaths): Promise<string | undefined> {
  if (!s || s.artifacts.kind === 'local') return undefined;
  const ref = attemptRef(run, attempt);
  try {
    await s.artifacts.persist(ref, paths.outputs, await store.listArtifacts(run.id, attempt));
    if (s.archiveLogs) await s.artifacts.archiveLog(ref, paths.log);
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/** An attempt whose files could not be stored has not succeeded. */
export function withStorage(ended: { outcome: AttemptOutcome; reason: string }, unstored: string | undefined): { outcome: AttemptOutcome; reason: string } {
  if (unstored === undefined) return ended;
  const reason = `artifacts not stored: ${unstored}`;
  return ended.outcome === 'succeeded' ? { outcome: 'failed', reason } : { outcome: ended.outcome, reason: `${ended.reason}; ${reason}` };
}

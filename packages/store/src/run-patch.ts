/** Applying a patch to the record in memory exactly as the store applies it to the row. */
import type { RunRecord } from '@regatta/core';
import type { RunPatch } from './store.js';

type ClearableKey = 'startedAt' | 'finishedAt' | 'exitCode' | 'reason' | 'node' | 'gpus' | 'notBefore';

/** null clears the field (absent, as the store's NULL reads back); undefined leaves it. */
function put<K extends ClearableKey>(run: RunRecord, key: K, value: RunRecord[K] | null | undefined): void {
  if (value === null) delete run[key];
  else if (value !== undefined) run[key] = value;
}

/** The run after `patch`: a field set to null is cleared (absent), an absent one is kept. */
export function applyRunPatch(run: RunRecord, p: RunPatch): RunRecord {
  const next: RunRecord = { ...run, updatedAt: p.updatedAt };
  if (p.status !== undefined) next.status = p.status;
  if (p.attempt !== undefined) next.attempt = p.attempt;
  put(next, 'startedAt', p.startedAt);
  put(next, 'finishedAt', p.finishedAt);
  put(next, 'exitCode', p.exitCode);
  put(next, 'reason', p.reason);
  put(next, 'node', p.node);
  put(next, 'gpus', p.gpus);
  put(next, 'notBefore', p.notBefore);
  return next;
}

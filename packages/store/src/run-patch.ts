/** Applying a patch to the record in memory exactly as the store applies it to the row. */
import type { RunRecord } from '@regatta/core';
import type { RunPatch } from './store.js';

/** The run after `patch`: a field set to null is cleared (absent), an absent one is kept. */
export function applyRunPatch(run: RunRecord, p: RunPatch): RunRecord {
  const next: RunRecord = { ...run, updatedAt: p.updatedAt };
  if (p.status !== undefined) next.status = p.status;
  if (p.attempt !== undefined) next.attempt = p.attempt;
  if (p.startedAt === null) delete next.startedAt;
  else if (p.startedAt !== undefined) next.startedAt = p.startedAt;
  if (p.finishedAt === null) delete next.finishedAt;
  else if (p.finishedAt !== undefined) next.finishedAt = p.finishedAt;
  if (p.exitCode === null) delete next.exitCode;
  else if (p.exitCode !== undefined) next.exitCode = p.exitCode;
  if (p.reason === null) delete next.reason;
  else if (p.reason !== undefined) next.reason = p.reason;
  if (p.node === null) delete next.node;
  else if (p.node !== undefined) next.node = p.node;
  if (p.gpus === null) delete next.gpus;
  else if (p.gpus !== undefined) next.gpus = p.gpus;
  if (p.notBefore === null) delete next.notBefore;
  else if (p.notBefore !== undefined) next.notBefore = p.notBefore;
  return next;
}

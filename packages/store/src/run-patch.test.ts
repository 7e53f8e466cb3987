import { describe, expect, it } from 'vitest';
import { compileSpec, type RunRecord } from '@regatta/core';
import { applyRunPatch } from './run-patch.js';
import { openSqliteStore } from './sqlite.js';

function run(): RunRecord {
  const { spec, resolved } = compileSpec({ command: 'true' });
  return {
    id: 'r0000000000000000001', name: 'r', status: 'running', queue: 'default', priority: 0, labels: {}, spec, resolved, seq: 1,
    createdAt: 1, updatedAt: 1, attempt: 1, startedAt: 2, node: 'n1', gpus: [0], notBefore: 5, reason: 'placed',
  };
}

describe('applyRunPatch: the record in memory as the store writes the row', () => {
  it('clears a field set to null, keeps an absent one, sets the rest', () => {
    const next = applyRunPatch(run(), { status: 'queued', updatedAt: 9, startedAt: null, notBefore: null, exitCode: 3 });
    expect(next).toMatchObject({ status: 'queued', updatedAt: 9, exitCode: 3, node: 'n1', gpus: [0], reason: 'placed', attempt: 1 });
    expect(next).not.toHaveProperty('startedAt');
    expect(next).not.toHaveProperty('notBefore');
  });

  it('agrees with what the store reads back after the same patch', async () => {
    const store = await openSqliteStore(':memory:');
    const r = run();
    const created = await store.createRun({ ...r, status: 'queued' }, { attempt: 0, ts: 1, to: 'queued' });
    await store.updateRun(created.id, { status: 'starting', updatedAt: 2, startedAt: 2, node: 'n1', gpus: [0], attempt: 1 }, { event: { attempt: 1, ts: 2, from: 'queued', to: 'starting' } });
    const patch = { status: 'queued', updatedAt: 3, startedAt: null, node: null, gpus: null, reason: 'requeued' } as const;
    await store.updateRun(created.id, patch, { event: { attempt: 1, ts: 3, from: 'starting', to: 'queued' } });
    const stored = await store.getRun(created.id);
    const { seq: _seq, ...inMemory } = applyRunPatch({ ...created, status: 'starting', startedAt: 2, node: 'n1', gpus: [0], attempt: 1 }, patch);
    expect(stored).toMatchObject(inMemory);
    for (const cleared of ['startedAt', 'node', 'gpus']) expect(stored).not.toHaveProperty(cleared);
  });
});

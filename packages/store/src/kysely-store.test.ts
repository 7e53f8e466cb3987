import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { compileSpec, newId } from '@regatta/core';
import { openSqliteStore } from './sqlite.js';

describe('the SQLite store', () => {
  it('keeps what an attempt recorded when a later write lacks it', async () => {
    const store = await openSqliteStore(':memory:');
    const { spec, resolved } = compileSpec({ command: 'true' });
    const id = newId();
    await store.createRun({ id, name: 't', status: 'queued', queue: 'default', priority: 0, labels: {}, spec, resolved, createdAt: 1, updatedAt: 1, attempt: 0 }, { attempt: 0, ts: 1, to: 'queued' });
    await store.updateRun(id, { status: 'starting', updatedAt: 2 }, {
      event: { attempt: 1, ts: 2, from: 'queued', to: 'starting' }, attempt: { runId: id, attempt: 1, status: 'starting', externalId: 'job-42', startedAt: 2 },
    });
    await store.updateRun(id, { status: 'failed', updatedAt: 3 }, {
      event: { attempt: 1, ts: 3, from: 'starting', to: 'failed' }, attempt: { runId: id, attempt: 1, status: 'failed', exitCode: 1, finishedAt: 3 },
    });
    expect(await store.getAttempt(id, 1)).toMatchObject({ status: 'failed', externalId: 'job-42', startedAt: 2, finishedAt: 3, exitCode: 1 });
    expect((await store.listEvents(id)).map((e) => e.to)).toEqual(['queued', 'starting', 'failed']);
    await store.close();
  });

  it('commits a write nobody waited for before it closes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'regatta-store-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'regatta.db');
    const store = await openSqliteStore(file);
    const { spec, resolved } = compileSpec({ command: 'true' });
    const id = newId();
    const written = store.createRun({ id, name: 't', status: 'queued', queue: 'default', priority: 0, labels: {}, spec, resolved, createdAt: 1, updatedAt: 1, attempt: 0 }, { attempt: 0, ts: 1, to: 'queued' });
    await store.close(); // the batch had not even been committed yet
    await written;
    const reopened = await openSqliteStore(file);
    expect((await reopened.getRun(id))?.status).toBe('queued');
    await reopened.close();
  });

  it('writes a whole group with its runs, or nothing', async () => {
    const store = await openSqliteStore(':memory:');
    const { spec, resolved } = compileSpec({ command: 'true' });
    const counts = { queued: 2, starting: 0, building: 0, running: 0, cleanup: 0, succeeded: 0, failed: 0, canceled: 0, timed_out: 0, lost: 0 };
    const gid = newId();
    const run = (id: string) => ({ id, name: 't', status: 'queued' as const, queue: 'default', priority: 0, labels: {}, spec, resolved, createdAt: 1, updatedAt: 1, attempt: 0, groupId: gid });
    const group = { id: gid, name: 'g', status: 'running' as const, total: 2, counts, failFast: false, spec: {}, createdAt: 1, updatedAt: 1 };
    const dup = newId();
    await expect(store.createGroup(group, [run(dup), run(dup)])).rejects.toThrow(); // duplicate id: the whole group fails
    expect(await store.getGroup(gid)).toBeUndefined();
    const runs = await store.createGroup(group, [run(newId()), run(newId())]);
    expect(runs.map((r) => r.seq)).toEqual([runs[0]!.seq, runs[0]!.seq + 1]);
    expect((await store.listRuns({ groupId: gid, limit: 10 })).runs).toHaveLength(2);
    await store.close();
  });
});

/**
 * The Store contract, run against every adapter: a SQLite file and a real PostgreSQL (a private
 * cluster from scripts/postgres-test-env.sh). Each case gets a fresh database.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileSpec, emptyCounts, newId, TransitionError, type RunRecord, type RunStatus } from '@regatta/core';
import { applyRunPatch, openPostgresStore, openSqliteStore, type Store } from '@regatta/store';
import { tempDir } from './helpers.js';
import { postgresDatabase } from './postgres-env.js';

/** `place` makes a fresh empty database; `connect` opens a store on it (twice: two writers). */
/**
 * `place` makes a fresh empty database; `connect` opens a store on it. `twoConnections`: the second
 * writer gets its own connection (Postgres: two pools, as two servers would have). SQLite's second
 * writer is the same store: better-sqlite3 is synchronous, so a second connection in this process
 * would wait on the file lock while blocking the thread that holds it.
 */
const adapters: { name: string; place(): Promise<string>; connect(at: string): Promise<Store>; twoConnections: boolean }[] = [
  { name: 'SQLite file', place: () => Promise.resolve(join(tempDir('store-'), 'regatta.db')), connect: openSqliteStore, twoConnections: false },
  { name: 'PostgreSQL', place: () => postgresDatabase(`contract-${newId()}`), connect: openPostgresStore, twoConnections: true },
];

const opened: Store[] = [];
afterAll(async () => {
  await Promise.allSettled(opened.splice(0).map((s) => s.close()));
});

function newRun(over: Partial<Omit<RunRecord, 'seq'>> & { params?: Record<string, unknown> } = {}): Omit<RunRecord, 'seq'> {
  const { params, ...rest } = over;
  const { spec, resolved } = compileSpec({ command: 'true', ...(params ? { params } : {}) });
  return { id: newId(), name: 'train', status: 'queued', queue: 'default', priority: 0, labels: {}, spec, resolved, createdAt: 1, updatedAt: 1, attempt: 0, ...rest };
}

const queuedEvent = { attempt: 0, ts: 1, to: 'queued' as const };
const move = (from: RunStatus, to: RunStatus, ts = 2) => ({ event: { attempt: 1, ts, from, to } });

describe.each(adapters)('Store contract: $name', ({ place, connect, twoConnections }) => {
  let at = '';
  let last: Store | undefined;
  const fresh = async () => {
    at = await place();
    const s = await connect(at);
    opened.push(s);
    last = s;
    return s;
  };
  /** A second connection to the last fresh database, as a second server process would have. */
  const second = async () => {
    if (!twoConnections && last) return last;
    const s = await connect(at);
    opened.push(s);
    return s;
  };

  it('creates runs, reads them back whole, filters, counts and pages them', async () => {
    const s = await fresh();
    const a = await s.createRun(newRun({ name: 'alpha', labels: { team: 'nlp' }, params: { lr: 0.1 } }), queuedEvent);
    const b = await s.createRun(newRun({ name: 'beta', queue: 'gpu', priority: 5 }), queuedEvent);
    expect(b.seq).toBeGreaterThan(a.seq);
    const got = await s.getRun(a.id);
    expect(got).toMatchObject({ id: a.id, name: 'alpha', labels: { team: 'nlp' }, createdAt: 1, attempt: 0, status: 'queued' });
    expect(typeof got?.seq).toBe('number');
    expect(await s.getRun('nope')).toBeUndefined();
    expect((await s.listRuns({ limit: 10 })).runs.map((r) => r.id)).toEqual([b.id, a.id]);
    expect((await s.listRuns({ labels: { team: 'nlp' }, limit: 10 })).runs.map((r) => r.id)).toEqual([a.id]);
    expect((await s.listRuns({ queue: 'gpu', limit: 10 })).runs.map((r) => r.id)).toEqual([b.id]);
    expect((await s.listRuns({ text: 'ALP', limit: 10 })).runs.map((r) => r.id)).toEqual([a.id]);
    expect((await s.listRuns({ text: a.id.slice(0, 12), limit: 10 })).runs.map((r) => r.id)).toContain(a.id);
    const page = await s.listRuns({ limit: 1 });
    expect(page.nextCursor).toBe(b.id);
    expect((await s.listRuns({ limit: 1, cursor: b.id })).runs.map((r) => r.id)).toEqual([a.id]);
    expect(await s.countRuns({ status: ['queued'] })).toBe(2);
    expect((await s.listRuns({ limit: 10, sort: { key: 'name', order: 'desc' } })).runs.map((r) => r.name)).toEqual(['beta', 'alpha']);
    expect((await s.listRuns({ limit: 10, sort: { key: { field: 'params.lr' }, order: 'asc' } })).runs.map((r) => r.id)).toEqual([a.id, b.id]);
    expect((await s.listRuns({ fields: [{ field: 'params.lr', op: '>', value: 0.05 }], limit: 10 })).runs.map((r) => r.id)).toEqual([a.id]);
    expect(await s.runFields([a.id], ['params.lr'])).toEqual(new Map([[a.id, { 'params.lr': 0.1 }]]));
    expect(await s.fieldNames({ limit: 10 })).toContain('params.lr');
    expect(await s.queuePosition(b)).toBe(0);
    expect((await s.runsWithStatus(['queued'])).map((r) => r.id)).toEqual([a.id, b.id]);
    await s.createRun(newRun({ createdAt: 7 }), queuedEvent);
    expect(await s.runCounts()).toEqual([
      { status: 'queued', queue: 'default', count: 2, oldestCreatedAt: 1 }, { status: 'queued', queue: 'gpu', count: 1, oldestCreatedAt: 1 },
    ]);
  });

  it('moves a run through its states, with events, attempts and an explicit clearing of fields', async () => {
    const s = await fresh();
    const r = await s.createRun(newRun({ notBefore: 99 }), queuedEvent);
    await s.updateRun(r.id, { status: 'starting', attempt: 1, node: 'n1', gpus: [0, 1], startedAt: 2, updatedAt: 2, notBefore: null }, {
      ...move('queued', 'starting'), attempt: { runId: r.id, attempt: 1, status: 'starting', node: 'n1', externalId: 'job-42', startedAt: 2 },
    });
    await s.updateRun(r.id, { status: 'running', updatedAt: 3 }, { ...move('starting', 'running', 3), attempt: { runId: r.id, attempt: 1, status: 'running' } });
    await s.updateRun(r.id, { status: 'succeeded', finishedAt: 4, exitCode: 0, updatedAt: 4 }, {
      ...move('running', 'succeeded', 4), attempt: { runId: r.id, attempt: 1, status: 'succeeded', exitCode: 0, finishedAt: 4 },
    });
    const ended = await s.getRun(r.id);
    expect(ended).toMatchObject({ status: 'succeeded', attempt: 1, node: 'n1', gpus: [0, 1], startedAt: 2, finishedAt: 4, exitCode: 0 });
    expect(ended).not.toHaveProperty('notBefore'); // null cleared it; a cleared field is absent, not undefined
    expect(applyRunPatch(r, { updatedAt: 5, notBefore: null, reason: 'x' })).not.toHaveProperty('notBefore');
    expect((await s.listEvents(r.id)).map((e) => [e.from, e.to])).toEqual([[undefined, 'queued'], ['queued', 'starting'], ['starting', 'running'], ['running', 'succeeded']]);
    expect(await s.getAttempt(r.id, 1)).toMatchObject({ status: 'succeeded', externalId: 'job-42', startedAt: 2, finishedAt: 4, exitCode: 0 });
    expect(await s.listAttempts(r.id)).toHaveLength(1);
    await s.addEvent(r.id, { attempt: 1, ts: 5, to: 'succeeded', reason: 'note', key: 'k1' });
    await s.addEvent(r.id, { attempt: 1, ts: 5, to: 'succeeded', reason: 'note', key: 'k1' }); // same key: dropped
    expect((await s.listEvents(r.id)).filter((e) => e.reason === 'note')).toHaveLength(1);
  });

  it('refuses a change core does not allow, and one whose from-status is stale, with a typed error', async () => {
    const s = await fresh();
    const r = await s.createRun(newRun(), queuedEvent);
    await expect(s.updateRun(r.id, { status: 'succeeded', updatedAt: 2 }, move('queued', 'succeeded'))).rejects.toBeInstanceOf(TransitionError);
    await expect(s.updateRun(r.id, { status: 'running', updatedAt: 2 }, move('starting', 'running'))).rejects.toMatchObject({ name: 'TransitionError', actual: 'queued' });
    await expect(s.updateRun(r.id, { status: 'starting', updatedAt: 2 }, {})).rejects.toThrow(/needs its event/);
    expect(await s.getRun(r.id)).toMatchObject({ status: 'queued', updatedAt: 1 });
    expect(await s.listEvents(r.id)).toHaveLength(1); // nothing half-written
  });

  it('lets exactly one of two writers racing the same transition win', async () => {
    const s = await fresh();
    const other = await second();
    for (let i = 0; i < 10; i++) {
      const r = await s.createRun(newRun(), queuedEvent);
      await s.updateRun(r.id, { status: 'starting', updatedAt: 2 }, move('queued', 'starting'));
      const results = await Promise.allSettled([
        s.updateRun(r.id, { status: 'canceled', reason: 'by alice', updatedAt: 3 }, move('starting', 'canceled', 3)),
        other.updateRun(r.id, { status: 'running', reason: 'by the engine', updatedAt: 3 }, move('starting', 'running', 3)),
      ]);
      const won = results.filter((x) => x.status === 'fulfilled');
      const lost = results.flatMap((x) => (x.status === 'rejected' ? [x.reason as unknown] : []));
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      expect(lost[0]).toBeInstanceOf(TransitionError);
      const stored = await s.getRun(r.id);
      expect((await s.listEvents(r.id)).map((e) => e.to)).toEqual(['queued', 'starting', stored?.status]);
    }
  });

  it('applies one writer\'s changes in the order it made them, even when it does not wait for each', async () => {
    const s = await fresh();
    const r = await s.createRun(newRun(), queuedEvent);
    const steps: [RunStatus, RunStatus][] = [['queued', 'starting'], ['starting', 'running'], ['running', 'cleanup'], ['cleanup', 'succeeded']];
    // The engine fires a service run's phases from backend callbacks without awaiting the previous write.
    const writes: Promise<void>[] = [];
    for (const [i, [from, to]] of steps.entries()) {
      writes.push(s.updateRun(r.id, { status: to, updatedAt: 2 + i }, move(from, to, 2 + i)));
      await new Promise((resolve) => setImmediate(resolve)); // the next one comes while this one is in flight
    }
    await Promise.all(writes);
    expect((await s.getRun(r.id))?.status).toBe('succeeded');
    expect((await s.listEvents(r.id)).map((e) => e.to)).toEqual(['queued', 'starting', 'running', 'cleanup', 'succeeded']);
  });

  it('keeps a group and moves its counters by increments, also from two writers at once', async () => {
    const s = await fresh();
    const other = await second();
    const gid = newId();
    const counts = { ...emptyCounts(), queued: 6 };
    const runs = await s.createGroup({ id: gid, name: 'sweep', status: 'running', total: 6, counts, failFast: false, spec: { a: 1 }, createdAt: 1, updatedAt: 1 },
      Array.from({ length: 6 }, () => newRun({ groupId: gid })));
    expect(runs).toHaveLength(6);
    // Each writer sends the counts it computed from its own (stale) copy: the store must not write them.
    const stale = { id: gid, counts: { ...emptyCounts(), queued: 5, starting: 1 }, status: 'running' as const, updatedAt: 2 };
    await Promise.all(runs.map((r, i) => (i % 2 ? s : other).updateRun(r.id, { status: 'starting', updatedAt: 2 }, { ...move('queued', 'starting'), group: stale })));
    expect((await s.getGroup(gid))?.counts).toMatchObject({ queued: 0, starting: 6 });
    await s.updateGroup({ id: gid, counts: (await s.getGroup(gid))?.counts ?? counts, status: 'running', updatedAt: 3, startedAt: 2 });
    expect(await s.getGroup(gid)).toMatchObject({ name: 'sweep', total: 6, startedAt: 2, failFast: false, spec: { a: 1 } });
    expect((await s.activeGroups()).map((g) => g.id)).toEqual([gid]);
    expect((await s.listGroups({ limit: 10 })).groups.map((g) => g.id)).toEqual([gid]);
    await s.addMetrics(runs[0]!.id, 1, [{ name: 'loss', value: 2, ts: 1 }, { name: 'loss', value: 1, ts: 2 }]);
    expect(await s.groupMetrics(gid)).toEqual(new Map([[runs[0]!.id, { loss: 1 }]]));
  });

  it('stores metrics (deduplicated by key), summaries, long series downsampled, results and artifacts', async () => {
    const s = await fresh();
    const r = await s.createRun(newRun(), queuedEvent);
    await s.addMetrics(r.id, 1, [{ name: 'loss', value: 3, step: 1, ts: 1, key: 'a' }, { name: 'loss', value: 2, step: 2, ts: 2, key: 'b' }]);
    await s.addMetrics(r.id, 1, [{ name: 'loss', value: 2, step: 2, ts: 2, key: 'b' }]);
    expect(await s.listMetrics(r.id, { name: 'loss' })).toEqual([{ name: 'loss', value: 3, step: 1, ts: 1, attempt: 1 }, { name: 'loss', value: 2, step: 2, ts: 2, attempt: 1 }]);
    const many = Array.from({ length: 3000 }, (_, i) => ({ name: 'acc', value: i === 1234 ? 1000 : Math.sin(i), step: i, ts: i }));
    await s.addMetrics(r.id, 1, many);
    const series = await s.metricSeries(r.id, { name: 'acc', maxPoints: 200 });
    expect(series.total).toBe(3000);
    expect(series.downsampled).toBe(true);
    expect(series.points.length).toBeLessThanOrEqual(200);
    expect(series.points.some((p) => p.value === 1000)).toBe(true); // the spike survives
    const summary = await s.metricSummary(r.id);
    expect(summary.map((m) => [m.name, m.count, m.value])).toEqual([['acc', 3000, Math.sin(2999)], ['loss', 2, 2]]);
    expect(await s.runFields([r.id], ['metrics.loss.min', 'metrics.acc.max'])).toEqual(new Map([[r.id, { 'metrics.loss.min': 2, 'metrics.acc.max': 1000 }]]));
    await s.setResult(r.id, { eval: { acc: 0.9 } }, 5);
    expect(await s.getRun(r.id)).toMatchObject({ result: { eval: { acc: 0.9 } }, updatedAt: 5 });
    await s.replaceArtifacts(r.id, 1, [{ path: 'b.txt', size: 2 }, { path: 'a.txt', size: 1 }]);
    await s.replaceArtifacts(r.id, 1, [{ path: 'c.txt', size: 3 }]);
    expect(await s.listArtifacts(r.id, 1)).toEqual([{ path: 'c.txt', size: 3 }]);
  });

  it('keeps queues, tokens, templates, datasets and nodes', async () => {
    const s = await fresh();
    await s.setQueue({ name: 'gpu', concurrency: 2 });
    await s.setQueue({ name: 'gpu' });
    expect(await s.listQueues()).toEqual([{ name: 'gpu' }]);
    await s.createToken({ id: 't1', name: 'admin', user: 'admin', createdAt: 1 }, 'hash1');
    expect(await s.findToken('hash1')).toEqual({ id: 't1', name: 'admin', user: 'admin', createdAt: 1 });
    expect(await s.findToken('other')).toBeUndefined();
    expect(await s.countTokens()).toBe(1);
    expect(await s.addTemplateVersion('bert', { command: 'a' }, undefined, 1)).toMatchObject({ version: 1 });
    expect(await s.addTemplateVersion('bert', { command: 'b' }, 'upload:x', 2)).toMatchObject({ version: 2, files: 'upload:x' });
    expect(await s.getTemplate('bert')).toMatchObject({ version: 2, spec: { command: 'b' } });
    expect(await s.getTemplate('bert', 1)).toMatchObject({ version: 1, spec: { command: 'a' } });
    expect((await s.listTemplates()).map((t) => [t.name, t.version])).toEqual([['bert', 2]]);
    expect((await s.listTemplateVersions('bert')).map((t) => t.version)).toEqual([1, 2]);
    await s.putDataset({ name: 'imagenet', path: '/data/in', createdAt: 1 });
    await s.putDataset({ name: 'imagenet', path: '/data/in2', createdAt: 2, createdBy: 'alice' });
    expect(await s.listDatasets()).toEqual([{ name: 'imagenet', path: '/data/in2', createdAt: 2, createdBy: 'alice' }]);
    expect(await s.removeDataset('imagenet')).toBe(true);
    expect(await s.removeDataset('imagenet')).toBe(false);
    await s.addNode({ name: 'gpu1', kind: 'docker', url: 'tcp://gpu1:2376', gpus: 4, createdAt: 1 });
    expect(await s.listNodes()).toEqual([{ name: 'gpu1', kind: 'docker', url: 'tcp://gpu1:2376', gpus: 4, createdAt: 1 }]);
    expect(await s.removeNode('gpu1')).toBe(true);
    expect(await s.listNodes()).toEqual([]);
  });

  it('keeps users and their tokens; removing a user removes their tokens, not what they created', async () => {
    const s = await fresh();
    await s.createUser({ name: 'alice', role: 'member', disabled: false, createdAt: 1 });
    await expect(s.createUser({ name: 'alice', role: 'viewer', disabled: false, createdAt: 2 })).rejects.toThrow(/already exists/);
    await s.createUser({ name: 'bob', role: 'viewer', disabled: false, createdAt: 3 });
    expect(await s.getUser('alice')).toEqual({ name: 'alice', role: 'member', disabled: false, createdAt: 1 });
    expect(await s.setUserDisabled('bob', true)).toBe(true);
    expect(await s.setUserDisabled('nobody', true)).toBe(false);
    expect(await s.setUserRole('bob', 'member')).toBe(true);
    expect((await s.getUser('bob'))?.role).toBe('member');
    expect(await s.setUserRole('bob', 'viewer')).toBe(true);
    expect((await s.listUsers()).map((u) => [u.name, u.disabled])).toEqual([['alice', false], ['bob', true]]);
    await s.createToken({ id: 'ta', name: 'laptop', user: 'alice', createdAt: 10, expiresAt: 99 }, 'ha');
    await s.createToken({ id: 'tb', name: 'ci', user: 'alice', createdAt: 11 }, 'hb');
    await s.createToken({ id: 'tc', name: 'x', user: 'bob', createdAt: 12 }, 'hc');
    expect(await s.getToken('ta')).toEqual({ id: 'ta', name: 'laptop', user: 'alice', createdAt: 10, expiresAt: 99 });
    expect((await s.listTokens('alice')).map((t) => t.id)).toEqual(['tb', 'ta']);
    expect(await s.listTokens()).toHaveLength(3);
    expect(await s.deleteToken('tb')).toBe(true);
    expect(await s.deleteToken('tb')).toBe(false);
    expect(await s.findToken('hb')).toBeUndefined();
    const run = await s.createRun(newRun({ createdBy: 'alice' }), queuedEvent);
    await s.createRun(newRun({ createdBy: 'bob' }), queuedEvent);
    expect((await s.listRuns({ createdBy: 'alice', limit: 10 })).runs.map((r) => [r.id, r.createdBy])).toEqual([[run.id, 'alice']]);
    expect(await s.countRuns({ createdBy: 'bob' })).toBe(1);
    expect(await s.removeUser('alice')).toBe(true);
    expect(await s.removeUser('alice')).toBe(false);
    expect(await s.getUser('alice')).toBeUndefined();
    expect(await s.findToken('ha')).toBeUndefined();
    expect(await s.findToken('hc')).toMatchObject({ user: 'bob' });
    expect((await s.getRun(run.id))?.createdBy).toBe('alice');
    const t = await s.addTemplateVersion('bert', { command: 'a' }, undefined, 1, 'bob');
    expect(t.createdBy).toBe('bob');
    expect((await s.getTemplate('bert'))?.createdBy).toBe('bob');
    const g = { id: newId(), name: 'sweep', status: 'running' as const, total: 1, counts: emptyCounts(), failFast: false, spec: {}, createdAt: 1, updatedAt: 1, createdBy: 'bob' };
    await s.createGroup(g, [newRun({ groupId: g.id, createdBy: 'bob' })]);
    expect((await s.getGroup(g.id))?.createdBy).toBe('bob');
    expect((await s.listGroups({ limit: 10, createdBy: 'bob' })).groups.map((x) => x.id)).toEqual([g.id]);
    expect((await s.listGroups({ limit: 10, createdBy: 'carol' })).groups).toEqual([]);
  });
});

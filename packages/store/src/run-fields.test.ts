import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { describe, expect, it, onTestFinished } from 'vitest';
import { compileSpec, newId } from '@regatta/core';
import { openSqliteStore } from './sqlite.js';
import type { Store } from './store.js';

async function seed(store: Store, params: Record<string, unknown>, at: number): Promise<string> {
  const { spec, resolved } = compileSpec({ command: 'true', params });
  const id = newId(at);
  await store.createRun({ id, name: 'train', status: 'succeeded', queue: 'default', priority: 0, labels: {}, spec, resolved, createdAt: at, updatedAt: at, attempt: 1 }, { attempt: 0, ts: at, to: 'queued' });
  return id;
}

describe('run fields: sort and filter runs by params, results and metrics', () => {
  it('sorts by a metric summary, puts runs without it last and pages by offset', async () => {
    const store = await openSqliteStore(':memory:');
    const a = await seed(store, { lr: 0.1, depth: 8 }, 1000);
    const b = await seed(store, { lr: 0.01, depth: 4 }, 2000);
    const c = await seed(store, { lr: 0.001, depth: 8 }, 3000);
    const none = await seed(store, { lr: 0.5 }, 4000);
    const pts = (vals: number[]) => vals.map((value, step) => ({ name: 'loss', value, step, ts: step }));
    await store.addMetrics(a, 1, pts([0.9, 0.4, 0.5]));
    await store.addMetrics(b, 1, pts([0.8, 0.2]));
    await store.addMetrics(b, 1, pts([0.3]));
    await store.addMetrics(c, 1, pts([0.7, 0.6]));
    const ids = async (f: Parameters<Store['listRuns']>[0]) => (await store.listRuns(f)).runs.map((r) => r.id);

    expect(await ids({ sort: { key: { field: 'metrics.loss.min' }, order: 'asc' }, limit: 10 })).toEqual([b, a, c, none]);
    expect(await ids({ sort: { key: { field: 'metrics.loss.last' }, order: 'desc' }, limit: 10 })).toEqual([c, a, b, none]);
    expect(await ids({ sort: { key: { field: 'metrics.loss.max' }, order: 'desc' }, limit: 10 })).toEqual([a, b, c, none]);
    expect(await ids({ sort: { key: { field: 'metrics.loss.count' }, order: 'desc' }, limit: 10 })).toEqual([b, a, c, none]);
    const page1 = await store.listRuns({ sort: { key: { field: 'metrics.loss.min' }, order: 'asc' }, limit: 3 });
    expect(page1.nextOffset).toBe(3);
    expect(await ids({ sort: { key: { field: 'metrics.loss.min' }, order: 'asc' }, limit: 3, offset: 3 })).toEqual([none]);

    expect(await ids({ fields: [{ field: 'params.depth', op: '=', value: 8 }], limit: 10 })).toEqual([c, a]);
    expect(await ids({ fields: [{ field: 'params.lr', op: '<', value: 0.05 }, { field: 'metrics.loss.min', op: '<=', value: 0.2 }], limit: 10 })).toEqual([b]);
    expect(await ids({ fields: [{ field: 'metrics.loss.min', op: 'has' }], sort: { key: { field: 'params.lr' }, order: 'asc' }, limit: 10 })).toEqual([c, b, a]);
    expect(await store.countRuns({ fields: [{ field: 'params.depth', op: '!=', value: 8 }] })).toBe(1);

    await store.setResult(a, { acc: 0.93, model: 'resnet' }, 5000);
    await store.setResult(a, { acc: 0.95, model: 'resnet-50' }, 5001);
    expect(await ids({ fields: [{ field: 'result.model', op: '~', value: 'NET-5' }], limit: 10 })).toEqual([a]);
    expect((await store.runFields([a, b], ['result.acc', 'params.lr', 'metrics.loss.last']))).toEqual(new Map([
      [a, { 'result.acc': 0.95, 'params.lr': 0.1, 'metrics.loss.last': 0.5 }],
      [b, { 'params.lr': 0.01, 'metrics.loss.last': 0.3 }],
    ]));
    expect(await store.fieldNames({ limit: 100 })).toEqual([
      'metrics.loss.count', 'metrics.loss.last', 'metrics.loss.max', 'metrics.loss.min', 'params.depth', 'params.lr', 'result.acc', 'result.model',
    ]);
    await store.close();
  });

  it('downsamples a long metric to each bucket\'s lowest and highest point', async () => {
    const store = await openSqliteStore(':memory:');
    const id = await seed(store, {}, 1000);
    const n = 20_000;
    await store.addMetrics(id, 1, Array.from({ length: n }, (_, i) => ({ name: 'loss', value: i === 12_345 ? 99 : 1 / (i + 1), step: i, ts: i })));
    const s = await store.metricSeries(id, { name: 'loss', maxPoints: 200 });
    expect(s.total).toBe(n);
    expect(s.downsampled).toBe(true);
    expect(s.points.length).toBeLessThanOrEqual(200);
    expect(s.points.length).toBeGreaterThan(150);
    expect(s.points.some((p) => p.value === 99 && p.step === 12_345)).toBe(true); // the spike survives
    expect(s.points[0]).toMatchObject({ step: 0, value: 1 });
    const steps = s.points.map((p) => p.step ?? 0);
    expect(steps).toEqual([...steps].sort((x, y) => x - y));
    expect(await store.metricSummary(id)).toEqual([{ name: 'loss', value: 1 / n, step: n - 1, ts: n - 1, count: n }]);
    expect((await store.metricSeries(id, { name: 'loss', maxPoints: 100_000 })).points).toHaveLength(n);
    await store.close();
  });

  it('fills the fields of runs stored before the table existed when the database is migrated', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'regatta-fields-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'regatta.db');
    let store = await openSqliteStore(file);
    const a = await seed(store, { lr: 0.1 }, 1000);
    const b = await seed(store, { lr: 0.01 }, 2000);
    await store.addMetrics(a, 1, [{ name: 'loss', value: 0.5, step: 1, ts: 1 }, { name: 'loss', value: 0.7, step: 2, ts: 2 }]);
    await store.addMetrics(b, 1, [{ name: 'loss', value: 0.2, step: 1, ts: 1 }]);
    await store.setResult(b, { acc: 0.9 }, 3000);
    await store.close();
    // The database as the previous release left it: no run_fields, migration 0007 not applied.
    const raw = new Sqlite(file);
    raw.exec("drop table run_fields; delete from kysely_migration where name = '0007_run_fields'");
    raw.close();
    store = await openSqliteStore(file);
    expect(await store.runFields([a, b], ['params.lr', 'metrics.loss.last', 'metrics.loss.min', 'metrics.loss.max', 'metrics.loss.count', 'result.acc'])).toEqual(new Map([
      [a, { 'params.lr': 0.1, 'metrics.loss.last': 0.7, 'metrics.loss.min': 0.5, 'metrics.loss.max': 0.7, 'metrics.loss.count': 2 }],
      [b, { 'params.lr': 0.01, 'metrics.loss.last': 0.2, 'metrics.loss.min': 0.2, 'metrics.loss.max': 0.2, 'metrics.loss.count': 1, 'result.acc': 0.9 }],
    ]));
    expect((await store.listRuns({ sort: { key: { field: 'metrics.loss.min' }, order: 'asc' }, limit: 10 })).runs.map((r) => r.id)).toEqual([b, a]);
    await store.close();
  });
});

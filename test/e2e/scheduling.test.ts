/** Queues, priorities and capacity with real runs: the order runs actually started in. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maxOverlap, runningIntervals, startTestServer, waitForStatus, type TestServer } from '../helpers.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ node: { cpus: 2, memory: '1Gi' } });
});
afterAll(async () => {
  await t.close();
});



describe('scheduling', () => {
  it('never runs more than the node holds', async () => {
    const ids = [];
    for (let i = 0; i < 6; i++) ids.push((await t.api.submit({ command: 'sleep 0.3', resources: { cpus: 1 } })).id);
    ids.push((await t.api.submit({ command: 'sleep 0.3', resources: { cpus: 0.5, memory: '600Mi' } })).id);
    ids.push((await t.api.submit({ command: 'sleep 0.3', resources: { cpus: 0.5, memory: '600Mi' } })).id);
    await Promise.all(ids.map((id) => t.api.waitForRun(id, { intervalMs: 50 })));
    const iv = await runningIntervals(t.api, ids);
    expect(maxOverlap(iv)).toBeLessThanOrEqual(2);
    // The two 600Mi runs never overlap on a 1Gi node.
    expect(maxOverlap(iv.slice(6))).toBe(1);
  });

  it('holds a queue to its concurrency and shows queue positions', async () => {
    await t.api.setQueue('one', 1);
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await t.api.submit({ command: 'sleep 0.3', queue: 'one', resources: { cpus: 0.1 } })).id);
    await waitForStatus(t.api, ids[0]!, 'running');
    expect((await t.api.getRun(ids[2]!)).queuePosition).toBe(1);
    await Promise.all(ids.map((id) => t.api.waitForRun(id, { intervalMs: 50 })));
    expect(maxOverlap(await runningIntervals(t.api, ids))).toBe(1);
  });

  it('starts higher priority first, FIFO within a priority, and a big run is not starved by small ones', async () => {
    const blocker = await t.api.submit({ command: 'sleep 0.5', resources: { cpus: 1 } });
    await waitForStatus(t.api, blocker.id, 'running');
    // One CPU is free. The big run needs both; the small ones arrive after it.
    const big = await t.api.submit({ name: 'big', command: 'sleep 0.2', resources: { cpus: 2 } });
    const low = await t.api.submit({ name: 'low', command: 'sleep 0.1', priority: -1 });
    const small1 = await t.api.submit({ name: 'small1', command: 'sleep 0.1' });
    const small2 = await t.api.submit({ name: 'small2', command: 'sleep 0.1' });
    const urgent = await t.api.submit({ name: 'urgent', command: 'sleep 0.1', priority: 10 });
    const all = [big, low, small1, small2, urgent, blocker];
    await Promise.all(all.map((r) => t.api.waitForRun(r.id, { intervalMs: 50 })));
    // The order is the scheduler's: when each run was placed (queued → starting). Two runs placed in
    // one pass may reach `running` in either order, as their processes start side by side.
    const placed = await Promise.all(all.map(async (r) => Date.parse((await t.api.events(r.id)).items.find((e) => e.to === 'starting')?.ts ?? '')));
    const started = Object.fromEntries(placed.map((ts, n) => [['big', 'low', 'small1', 'small2', 'urgent', 'blocker'][n]!, ts]));
    // urgent took the free CPU at once; big came next, before the small runs submitted after it.
    expect(started.urgent).toBeLessThan(started.big!);
    expect(started.big).toBeLessThan(started.small1!);
    expect(started.small1).toBeLessThanOrEqual(started.small2!);
    expect(started.small2).toBeLessThanOrEqual(started.low!);
  });
});

import { describe, expect, it } from 'vitest';
import { compileSpec, type RunRecord } from '@regatta/core';
import { RunQueue } from './run-queue.js';

const { resolved, spec } = compileSpec({ command: 'true' });
const run = (id: string, priority: number, seq: number, extra: Partial<RunRecord> = {}): RunRecord => ({
  id, name: 't', status: 'queued', queue: 'q', priority, labels: {}, spec, resolved, seq, createdAt: 0, updatedAt: 0, attempt: 0, ...extra,
});

describe('RunQueue', () => {
  it('keeps runs in lanes by queue, priority and group, in submission order, through adds and removals', () => {
    const q = new RunQueue();
    const input = [run('a', 0, 1), run('b', 5, 2), run('c', 0, 3), run('d', 5, 4), run('e', 0, 5, { groupId: 'g' }), run('f', 0, 6)];
    for (const r of [...input].reverse()) q.add(r);
    const lanes = () => q.lanes().map((l) => l.runs.map((c) => c.id).join('')).sort();
    expect(lanes()).toEqual(['acf', 'bd', 'e']);
    expect(q.remove('a')?.id).toBe('a');
    expect(q.remove('a')).toBeUndefined();
    q.remove('e');
    q.add(run('c', 0, 3)); // re-adding replaces
    expect(lanes()).toEqual(['bd', 'cf']);
    expect(q.size).toBe(4);
  });

  it('tells when the next delayed retry is due', () => {
    const q = new RunQueue();
    q.add(run('a', 0, 1, { notBefore: 500 }));
    q.add(run('b', 0, 2, { notBefore: 200 }));
    expect(q.nextWake(100)).toBe(200);
    expect(q.nextWake(300)).toBe(500);
    q.remove('a');
    expect(q.nextWake(300)).toBeUndefined();
  });
});

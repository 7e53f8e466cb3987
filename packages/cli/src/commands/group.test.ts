import { describe, expect, it } from 'vitest';
import { emptyCounts } from '@regatta/core';
import type { GroupView } from '@regatta/sdk';
import { progressLine } from './group.js';

const view = (done: number): GroupView => ({
  id: 'g', name: 'eval', status: 'running', total: 100, done, byStatus: emptyCounts(),
  counts: { queued: 100 - done, running: 0, succeeded: done, failed: 0, canceled: 0 },
  maxParallel: null, failFast: false, createdBy: null, createdAt: '', etaSeconds: null,
});

describe('progressLine', () => {
  it('counts the rate from what ended since the watch began, not what was done before (group rerun --wait)', () => {
    expect(progressLine(view(98), 500, 98)).toMatch(/ 0\.0\/s$/);
    expect(progressLine(view(100), 2000, 98)).toMatch(/ 1\.0\/s$/);
    expect(progressLine(view(10), 2000)).toMatch(/ 5\.0\/s$/);
  });
});

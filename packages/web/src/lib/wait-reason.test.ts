import { describe, expect, it } from 'vitest';
import type { NodeView } from '@regatta/sdk/client';
import { waitReason } from './wait-reason.js';

const node = (name: string, gpus: number, usedGpus: number[]): NodeView => ({
  name, backend: 'docker-pool', ready: true, capacity: { cpus: 8, memory: 0, gpus, gpuIndices: [] }, used: { cpus: 1, memory: 0, gpus: usedGpus }, runs: [],
});

describe('waitReason', () => {
  it('names the missing GPUs, the runs ahead and a full queue', () => {
    const text = waitReason(
      { queue: 'gpu', queuePosition: 3, resolved: { resources: { cpus: 1, memory: 0, gpus: 2 } } },
      [{ name: 'gpu', concurrency: 1, queued: 4, active: 1 }],
      [node('a', 2, [0]), node('b', 0, [])],
    );
    expect(text).toBe('needs 2 GPUs; node a has 1 free, node b has 0 free; 3 runs ahead in queue gpu; queue gpu is at its limit (1 of 1 running)');
  });

  it('says when nothing holds it back', () => {
    expect(waitReason({ queue: 'default', queuePosition: 0, resolved: { resources: { cpus: 1, memory: 0, gpus: 0 } } }, [], [node('local', 0, [])]))
      .toBe('about to start: resources are free and nothing is ahead of it');
  });

  it("says when the run's user is at the queue's per-user limit", () => {
    expect(waitReason(
      { queue: 'gpu', queuePosition: 0, createdBy: 'alice', resolved: { resources: { cpus: 1, memory: 0, gpus: 0 } } },
      [{ name: 'gpu', concurrency: 8, queued: 1, active: 2, perUser: 2, activeByUser: { alice: 2 } }],
      [node('local', 0, [])],
    )).toBe('per-user limit: alice has 2 of 2 running in queue gpu');
  });
});

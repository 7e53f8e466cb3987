import { describe, expect, it } from 'vitest';
import { hasNvidiaRuntime, parseNvidiaSmi } from './gpu-inventory.js';

describe('parseNvidiaSmi', () => {
  it('reads index, name, memory and uuid per GPU, in index order', () => {
    const csv = [
      '1, NVIDIA H200, 143771, GPU-5e4b0c1a-2f9d-4c1e-9a77-0123456789ab',
      '0, NVIDIA H200, 143771, GPU-0f1e2d3c-4b5a-6978-8a9b-cdef01234567',
      '',
    ].join('\n');
    expect(parseNvidiaSmi(csv)).toEqual([
      { index: 0, name: 'NVIDIA H200', memoryMiB: 143771, uuid: 'GPU-0f1e2d3c-4b5a-6978-8a9b-cdef01234567' },
      { index: 1, name: 'NVIDIA H200', memoryMiB: 143771, uuid: 'GPU-5e4b0c1a-2f9d-4c1e-9a77-0123456789ab' },
    ]);
  });

  it('keeps commas inside a name, and reads [N/A] memory as 0', () => {
    expect(parseNvidiaSmi('0, Tesla T4, rev, A, [N/A], GPU-1\r\n')).toEqual([{ index: 0, name: 'Tesla T4, rev, A', memoryMiB: 0, uuid: 'GPU-1' }]);
  });

  it('is empty for no GPUs and refuses what is not its format', () => {
    expect(parseNvidiaSmi('\n')).toEqual([]);
    expect(() => parseNvidiaSmi('No devices were found')).toThrow(/unexpected nvidia-smi line/);
    expect(() => parseNvidiaSmi('x, a, 1, u')).toThrow(/unexpected GPU index/);
  });
});

describe('hasNvidiaRuntime', () => {
  it('looks for an nvidia runtime in docker info', () => {
    expect(hasNvidiaRuntime({ Runtimes: { runc: {}, nvidia: {} } })).toBe(true);
    expect(hasNvidiaRuntime({ Runtimes: { runc: {} } })).toBe(false);
    expect(hasNvidiaRuntime({})).toBe(false);
  });
});

/** Detects this machine's CPUs, memory and GPUs (through nvidia-smi when it is installed). */
import { execFile } from 'node:child_process';
import { availableParallelism, totalmem } from 'node:os';

export interface Capacity {
  cpus: number;
  memory: number;
  gpuIndices: number[];
}

export function detectGpus(): Promise<number[]> {
  return new Promise((resolve) => {
    execFile('nvidia-smi', ['--query-gpu=index', '--format=csv,noheader'], { timeout: 10_000 }, (err, stdout) => {
      if (err) return resolve([]);
      resolve(stdout.split('\n').map((l) => l.trim()).filter((l) => /^\d+$/.test(l)).map(Number));
    });
  });
}

export async function detectCapacity(overrides: { cpus?: number; memory?: number; gpus?: number } = {}): Promise<Capacity> {
  const gpuIndices = overrides.gpus !== undefined
    ? Array.from({ length: overrides.gpus }, (_, i) => i)
    : await detectGpus();
  return {
    cpus: overrides.cpus ?? availableParallelism(),
    memory: overrides.memory ?? totalmem(),
    gpuIndices,
  };
}

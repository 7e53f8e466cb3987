/** What an attempt sees: where its files go, and the variables Regatta adds to its environment. */
import { join } from 'node:path';
import type { AttemptPaths } from '@regatta/runtimes';
import { createRunToken } from './run-tokens.js';

export function attemptPaths(runsDir: string, runId: string, attempt: number): AttemptPaths {
  const dir = join(runsDir, runId, String(attempt));
  return { dir, outputs: join(dir, 'outputs'), log: join(dir, 'log') };
}

export interface AttemptEnvInput {
  runId: string;
  attempt: number;
  node: string;
  gpus: readonly number[];
  /** CPU cores reserved for the run (resources.cpus). */
  cpus: number;
  nodeHasGpus: boolean;
  apiUrl: string;
  secret: Buffer;
  outputs: string;
  /** Dataset paths as the job sees them (host paths for processes, mount paths in containers). */
  datasets: { name: string; path: string }[];
  /** Ports the run declared that the proxy forwards with their full path (the app must know its base path). */
  proxiedPorts?: readonly number[];
  /** Where the proxy serves a port, as the app sees it (default proxyPath below). */
  proxyPath?: (runId: string, port: number) => string;
}

/** The path under which the server's proxy forwards a run's port. */
export function proxyPath(runId: string, port: number): string {
  return `/runs/${runId}/proxy/${port}/`;
}

export function attemptEnv(i: AttemptEnvInput): Record<string, string> {
  const env: Record<string, string> = {
    REGATTA_RUN_ID: i.runId,
    REGATTA_ATTEMPT: String(i.attempt),
    REGATTA_API_URL: i.apiUrl,
    REGATTA_RUN_TOKEN: createRunToken(i.secret, i.runId, i.attempt),
    REGATTA_OUTPUTS: i.outputs,
    REGATTA_NODE: i.node,
    // What the job may use: a multi-threaded job sizes its pool by it, not by the machine's core count.
    REGATTA_CPUS: String(i.cpus),
  };
  const pathOf = i.proxyPath ?? proxyPath;
  (i.proxiedPorts ?? []).forEach((p, n) => {
    if (n === 0) env.REGATTA_PROXY_PATH = pathOf(i.runId, p);
    env[`REGATTA_PROXY_PATH_${p}`] = pathOf(i.runId, p);
  });
  for (const d of i.datasets) env[`REGATTA_DATASET_${d.name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`] = d.path;
  if (i.gpus.length || i.nodeHasGpus) {
    // Exactly the assigned devices; none at all for a CPU-only run on a GPU node.
    env.CUDA_VISIBLE_DEVICES = i.gpus.join(',');
    env.NVIDIA_VISIBLE_DEVICES = i.gpus.length ? i.gpus.join(',') : 'none';
  }
  return env;
}

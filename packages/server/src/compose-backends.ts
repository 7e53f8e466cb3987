/** Where runs go, built from the configuration: this machine, and a pool of Docker engines. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock, Logger } from '@regatta/core';
import { createDockerPool, createLocalBackend, createSlurmBackend, createSlurmCli, detectCapacity, type Backend, type DockerPool } from '@regatta/backends';
import { connectDocker, createDockerRuntime, createLauncher, createProcessRuntime, publishFor, type Launcher, type Runtime } from '@regatta/runtimes';
import { jobUserOf } from './job-user-config.js';
import type { Store } from '@regatta/store';
import type { ServerConfig } from './config.js';

export interface ComposedBackends {
  local: Backend;
  pool: DockerPool;
  /** Present when the configuration names a Slurm cluster. */
  slurm?: Backend;
  launcher: Launcher;
  uploadsDir: string;
  /** Where an uploaded directory (`upload:<id>`) is on the server. */
  filesDir(ref: string): string;
  close(): Promise<void>;
}

/** The local Docker engine when it answers; `runtime: docker` runs on this machine only then. */
async function reachDocker(config: ServerConfig): Promise<ReturnType<typeof connectDocker> | undefined> {
  try {
    const docker = connectDocker({ url: config.docker.host, ...(config.docker.tlsDir ? { tlsDir: config.docker.tlsDir } : {}) });
    await Promise.race([docker.ping(), new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 3000).unref())]);
    return docker;
  } catch {
    return undefined;
  }
}

export async function composeBackends(config: ServerConfig, deps: { store: Store; clock: Clock; logger: Logger; env: Record<string, string | undefined> }): Promise<ComposedBackends> {
  // Jobs inherit the server's environment, minus the admin credentials.
  const baseEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(deps.env)) if (v !== undefined && k !== 'REGATTA_TOKEN') baseEnv[k] = v;
  const uploadsDir = join(config.dataDir, 'uploads');
  mkdirSync(uploadsDir, { recursive: true });
  const contextDir = (ref: string) => (ref.startsWith('upload:') ? join(uploadsDir, ref.slice('upload:'.length)) : ref);
  const network = config.docker.network ? { network: config.docker.network } : {};

  // The supervisor of process jobs outlives the server: one per data directory (see the README's "Restarts").
  const launcher = createLauncher({ baseEnv, stateDir: config.dataDir });
  const jobUser = jobUserOf(config, deps.logger);
  const runtimes: Runtime[] = [createProcessRuntime({ launcher, filesDir: contextDir, serviceStopGraceMs: config.stopGraceMs, ...(jobUser ? { jobUser } : {}) })];
  const docker = await reachDocker(config);
  if (docker) runtimes.push(createDockerRuntime({ docker, contextDir, publish: publishFor(config.docker.host), serviceStopGraceMs: config.stopGraceMs, ...network }));
  const local = createLocalBackend({ nodeName: config.node.name, capacity: await detectCapacity(config.node), runtimes });

  const pool = createDockerPool({
    clock: deps.clock, logger: deps.logger, contextDir, lostAfterMs: config.nodeLostAfterMs, healthIntervalMs: config.nodeHealthIntervalMs, ...network,
  });
  // Registered engines join before recovery, so that runs on them are re-attached.
  for (const n of config.nodes) await pool.addNode(n);
  for (const n of await deps.store.listNodes()) {
    await pool.addNode({ name: n.name, url: n.url, ...(n.tlsDir ? { tlsDir: n.tlsDir } : {}), ...(n.gpus !== undefined ? { gpus: n.gpus } : {}) });
  }
  const s = config.slurm;
  const slurm = s
    ? await createSlurmBackend({
      cli: createSlurmCli({ env: s.env, ...(s.binDir ? { binDir: s.binDir } : {}) }),
      sharedDir: s.sharedDir,
      defaults: { ...(s.partition ? { partition: s.partition } : {}), ...(s.account ? { account: s.account } : {}), ...(s.qos ? { qos: s.qos } : {}) },
      docker: s.docker, pollIntervalMs: s.pollIntervalMs, batchWindowMs: s.batchWindowMs, clock: deps.clock, logger: deps.logger,
    })
    : undefined;
  return {
    local, pool, launcher, uploadsDir, filesDir: contextDir, ...(slurm ? { slurm } : {}),
    async close() {
      await local.close();
      await pool.close();
      await slurm?.close();
      launcher.close();
    },
  };
}

/**
 * Services of a Docker run: each is a container on the attempt's own bridge network, where the
 * engine's DNS resolves it by its name; the main container joins the same network. Health checks
 * are Docker's own (run inside each container); the supervisor reads their status.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type Docker from 'dockerode';
import type { ResolvedService } from '@regatta/core';
import type { AttemptPaths, LaunchHooks, LaunchRequest, RunHandle } from '../runtime.js';
import { serviceLogPath, serviceOutputs } from '../services/paths.js';
import { resumeServices, type ServiceDriver, type UnitHandle } from '../services/supervisor.js';
import { discoveryEnv } from '../services/service-env.js';
import { LABEL_ATTEMPT, LABEL_RUN } from './container-spec.js';
import { follow, statusOf } from './container-handle.js';
import { LABEL_SERVICE, networkCreateBody, networkName, serviceContainerBody } from './service-spec.js';

/** Starts the main container on `network` with `env` added; reports `running` through hooks. */
export type StartMainContainer = (network: string, env: Record<string, string>, hooks: LaunchHooks) => Promise<RunHandle>;

/**
 * Whether the engine gives containers networking at all: an engine started with `--bridge none`
 * has no `bridge` network, and its admin meant containers to have none.
 */
export async function hasBridgeNetworking(docker: Docker): Promise<boolean> {
  const nets = await docker.listNetworks({ filters: { driver: ['bridge'] } });
  return nets.some((n) => n.Name === 'bridge');
}

/** Probe of a unit: Docker's health status when it has a check, else whether it runs. */
export async function containerHealthy(container: Docker.Container, hasCheck: boolean): Promise<boolean> {
  try {
    const { State } = await container.inspect();
    return hasCheck ? State.Health?.Status === 'healthy' : State.Running;
  } catch {
    return false;
  }
}

/** Removes every container of an attempt (by label, and the ids given) and its network. */
export async function removeAttempt(docker: Docker, runId: string, attempt: number, ids: readonly string[] = []): Promise<void> {
  const labelled = await docker
    .listContainers({ all: true, filters: { label: [`${LABEL_RUN}=${runId}`, `${LABEL_ATTEMPT}=${attempt}`] } })
    .then((cs) => cs.map((c) => c.Id), () => []);
  const all = new Set([...ids.filter(Boolean), ...labelled]);
  await Promise.all([...all].map((id) => docker.getContainer(id).remove({ force: true, v: true }).catch(() => undefined)));
  try {
    await docker.getNetwork(networkName(runId, attempt)).remove();
  } catch (e) {
    if (statusOf(e) !== 404) throw e;
  }
}

/** A service container followed: its log pumped into the service's log, its health from Docker. */
function unitOf(container: Docker.Container, s: ResolvedService, paths: AttemptPaths): UnitHandle {
  const log = serviceLogPath(paths, s.name);
  const h = follow(container, { log, cursor: `${log}.cursor` });
  return { id: container.id, done: h.done, stop: h.stop, probe: () => containerHealthy(container, s.health !== undefined), ...(h.detach ? { detach: h.detach } : {}) };
}

/**
 * After a server restart: the attempt's containers, found by their labels, supervised again as a
 * whole (a service that exits fails the run; cleanup stops the services and removes the network).
 * Undefined, with all of it removed, when the main container never started.
 */
export async function recoverDockerServices(
  docker: Docker, req: LaunchRequest, followMain: (main: Docker.Container) => Promise<RunHandle>, hooks: LaunchHooks | undefined, graceMs: number,
): Promise<RunHandle | undefined> {
  const found = await docker.listContainers({ all: true, filters: { label: [`${LABEL_RUN}=${req.runId}`, `${LABEL_ATTEMPT}=${req.attempt}`] } });
  const units = new Map<string, UnitHandle>();
  let main: Docker.Container | undefined;
  for (const c of found) {
    const name = c.Labels[LABEL_SERVICE];
    const s = req.spec.services.find((x) => x.name === name);
    if (name === undefined) main = docker.getContainer(c.Id);
    else if (s) units.set(s.name, unitOf(docker.getContainer(c.Id), s, req.paths));
  }
  if (!main) {
    for (const u of units.values()) u.detach?.();
    await removeAttempt(docker, req.runId, req.attempt);
    return undefined;
  }
  return resumeServices({
    units, main: await followMain(main), hooks: { onPhase: (p) => hooks?.onPhase(p) }, graceMs, detachable: true,
    teardown: () => removeAttempt(docker, req.runId, req.attempt),
  });
}

export function dockerServiceDriver(docker: Docker, req: LaunchRequest, startMain: StartMainContainer): ServiceDriver {
  const { spec, paths } = req;
  const network = networkName(req.runId, req.attempt);
  // Every unit reaches a service at its name, on the port it declared.
  const discovery = discoveryEnv(spec.services, (s) => s.name, (_s, p) => p);
  const shared = { ...req.env, ...discovery };

  return {
    detachable: true,
    async prepare() {
      await mkdir(join(paths.dir, 'services'), { recursive: true });
      // A network left by an earlier try of this attempt (a crash) would make the name clash.
      await removeAttempt(docker, req.runId, req.attempt);
      await docker.createNetwork(networkCreateBody(req.runId, req.attempt));
    },

    async startService(s: ResolvedService): Promise<UnitHandle> {
      const outputs = serviceOutputs(paths, s.name);
      await mkdir(outputs, { recursive: true });
      const container = await docker.createContainer(serviceContainerBody(req, s, { outputsHostPath: outputs, env: shared }));
      await container.start();
      return unitOf(container, s, paths);
    },

    startMain: (hooks) => startMain(network, discovery, hooks),

    async teardown() {
      await removeAttempt(docker, req.runId, req.attempt);
    },
  };
}

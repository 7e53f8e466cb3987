/**
 * Runs an attempt as a container on one Docker engine. The container carries labels naming its run;
 * logs are pumped into the attempt's log file; outputs are a bind mount of the attempt's outputs
 * directory. Containers outlive a server restart and are re-attached: by id, or for a run with
 * services by their labels, as a whole.
 */
import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import type Docker from 'dockerode';
import type { ExitInfo, LaunchHooks, LaunchRequest, RunHandle, Runtime } from '../runtime.js';
import { parseServicesId, superviseServices } from '../services/supervisor.js';
import { watchHealth } from '../services/probe.js';
import { buildImage, buildTag } from './build-context.js';
import { LABEL_ATTEMPT, LABEL_RUN, containerCreateBody } from './container-spec.js';
import { follow, message, statusOf } from './container-handle.js';
import { containerHealthy, dockerServiceDriver, hasBridgeNetworking, recoverDockerServices, removeAttempt } from './docker-services.js';
import { endpointsOf, type Publish } from './ports-health.js';
import { outputsStamp } from './outputs-copy.js';

export interface DockerRuntimeOptions {
  docker: Docker;
  /** Where a build context reference (`upload:<id>` or an absolute path) is on the server. */
  contextDir(ref: string): string;
  /** Network for run containers (default: the engine's default bridge). */
  network?: string;
  /** Where declared ports are published (default: loopback, right for a local engine); see publishFor. */
  publish?: Publish;
  /**
   * The engine is on another machine: outputs go to a volume and are copied back when the container
   * ends, instead of a bind mount of the server's outputs directory (default false).
   */
  copyOutputs?: boolean;
  /** Grace period for stopping services in cleanup (default 5 s). */
  serviceStopGraceMs?: number;
}

const LOOPBACK: Publish = { hostIp: '127.0.0.1', host: '127.0.0.1' };

function failed(info: ExitInfo): RunHandle {
  return { externalId: '', done: Promise.resolve(info), stop: () => Promise.resolve() };
}

/** Follows the main container, with its published ports as endpoints. */
async function followMain(req: LaunchRequest, container: Docker.Container, publish: Publish, copyOut: boolean, stamp?: string): Promise<RunHandle> {
  const h = follow(container, { log: req.paths.log, cursor: join(req.paths.dir, 'log.cursor') }, copyOut ? req.paths.outputs : undefined, stamp);
  const ports = req.spec.ports.map((p) => p.port);
  let endpoints: Record<number, string> = {};
  try {
    if (ports.length) endpoints = endpointsOf(await container.inspect(), ports, publish.host);
  } catch {
    // The run goes on without a proxy rather than with a container nobody follows.
  }
  return { ...h, endpoints: () => endpoints };
}

export function createDockerRuntime(options: DockerRuntimeOptions): Runtime {
  const { docker } = options;
  const publish = options.publish ?? LOOPBACK;

  /** Images the run needs that the engine lacks: refused up front, as no retry can fix them. */
  const missingImage = async (req: LaunchRequest, images: string[]): Promise<ExitInfo | undefined> => {
    for (const image of images) {
      try {
        await docker.getImage(image).inspect();
      } catch (e) {
        return statusOf(e) === 404
          ? { error: `image '${image}' is not on the Docker engine of ${req.node}`, nonRetriable: true }
          : { error: `the Docker engine of ${req.node} did not answer: ${message(e)}` };
      }
    }
    return undefined;
  };

  const startMain = async (req: LaunchRequest, image: string, network: string | undefined, env: Record<string, string>, hooks: LaunchHooks): Promise<RunHandle> => {
    let container: Docker.Container | undefined;
    let stamp: string | undefined;
    try {
      const body = containerCreateBody({ ...req, spec: { ...req.spec, image } }, {
        ...(options.copyOutputs ? {} : { outputsHostPath: req.paths.outputs }), env, publish, ...(network ? { network } : {}),
      });
      container = await docker.createContainer(body);
      // Read before the job can write: an unchanged directory at the end need not be copied.
      if (options.copyOutputs) stamp = await outputsStamp(container);
      await container.start();
    } catch (e) {
      // Created but not started: nothing else would ever remove it.
      await container?.remove({ force: true }).catch(() => undefined);
      // The image of a run without services is not looked up first (one call less per run): the
      // engine's refusal to create from an image it lacks says the same.
      if (!container && statusOf(e) === 404 && /no such image/i.test(message(e))) {
        return failed({ error: `image '${image}' is not on the Docker engine of ${req.node}`, nonRetriable: true });
      }
      return failed({ error: `could not start the container: ${message(e)}` });
    }
    const handle = await followMain(req, container, publish, options.copyOutputs ?? false, stamp);
    const { health } = req.spec;
    if (health && hooks.onHealth) watchHealth(health, () => containerHealthy(container, true), handle.done, hooks.onHealth);
    hooks.onPhase('running');
    return handle;
  };

  return {
    name: 'docker',

    async start(req: LaunchRequest, hooks: LaunchHooks): Promise<RunHandle> {
      let image = req.spec.image ?? '';
      await mkdir(req.paths.outputs, { recursive: true });
      const build = req.spec.build;
      if (build) {
        hooks.onPhase('building');
        const dir = options.contextDir(build.context);
        let tag: string;
        try {
          tag = await buildTag(dir, build);
        } catch (e) {
          return failed({ error: `cannot read the build context ${build.context}: ${message(e)}`, nonRetriable: true });
        }
        const built = await buildImage(docker, dir, build, tag, req.paths.log);
        if (built.error) return failed({ error: `image build failed: ${built.error}`, nonRetriable: true });
        image = tag;
      }
      const { services } = req.spec;
      if (!services.length) return startMain(req, image, options.network, {}, hooks);
      const missing = await missingImage(req, [image, ...services.map((s) => s.image ?? '')]);
      if (missing) return failed(missing);

      try {
        if (!(await hasBridgeNetworking(docker))) {
          return failed({
            error: `the Docker engine of ${req.node} has no container networking (dockerd --bridge none): a run with services needs a network of its own`,
            nonRetriable: true,
          });
        }
      } catch (e) {
        return failed({ error: `the Docker engine of ${req.node} did not answer: ${message(e)}` });
      }
      return superviseServices({
        services,
        driver: dockerServiceDriver(docker, req, (network, env, h) => startMain(req, image, network, env, h)),
        hooks,
        graceMs: options.serviceStopGraceMs ?? 5000,
      });
    },

    async recover(req, externalId, hooks) {
      // Running or exited while the server was away: followed to its end either way, with the
      // health watch of a kind: service run back.
      const followAgain = async (container: Docker.Container) => {
        const handle = await followMain(req, container, publish, options.copyOutputs ?? false);
        const { health } = req.spec;
        if (health && hooks?.onHealth) watchHealth(health, () => containerHealthy(container, true), handle.done, hooks.onHealth);
        return handle;
      };
      if (parseServicesId(externalId) || (req.spec.services.length && !externalId)) {
        const handle = await recoverDockerServices(docker, req, followAgain, hooks, options.serviceStopGraceMs ?? 5000);
        if (handle) hooks?.onPhase('running');
        return handle;
      }
      if (!externalId) return undefined;
      const container = docker.getContainer(externalId);
      try {
        await container.inspect();
      } catch {
        return undefined;
      }
      return followAgain(container);
    },

    async sweep(stray) {
      const containers = await docker.listContainers({ all: true, filters: { label: [LABEL_RUN] } });
      const strays = new Map<string, { runId: string; attempt: number }>();
      for (const c of containers) {
        const runId = c.Labels[LABEL_RUN] ?? '';
        const attempt = Number(c.Labels[LABEL_ATTEMPT]);
        if (!strays.has(`${runId}\u0000${attempt}`) && (await stray(runId, attempt))) strays.set(`${runId}\u0000${attempt}`, { runId, attempt });
      }
      // Every container of a stray attempt, and the network of its services.
      for (const s of strays.values()) await removeAttempt(docker, s.runId, s.attempt).catch(() => undefined);
      return strays.size;
    },
  };
}

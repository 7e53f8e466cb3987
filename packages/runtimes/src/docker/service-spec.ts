/**
 * What the Docker engine is asked for when a run has services, as pure functions of the launch
 * request: the attempt's own network (DNS by service name), and one container per service.
 */
import { serviceEnvName, type ResolvedService } from '@regatta/core';
import type { LaunchRequest } from '../runtime.js';
import { CONTAINER_OUTPUTS, LABEL_ATTEMPT, LABEL_RUN, containerName, type ContainerCreateBody } from './container-spec.js';
import { healthcheckBody } from './ports-health.js';
import { ownPortEnv } from '../services/service-env.js';

export const LABEL_SERVICE = 'dev.regatta.service';

/** One user-defined bridge per attempt: its embedded DNS resolves each service by name. */
export function networkName(runId: string, attempt: number): string {
  return `regatta-${runId}-${attempt}`;
}

export function networkCreateBody(runId: string, attempt: number): {
  Name: string; Driver: 'bridge'; CheckDuplicate: true; Labels: Record<string, string>;
} {
  return {
    Name: networkName(runId, attempt), Driver: 'bridge', CheckDuplicate: true,
    Labels: { [LABEL_RUN]: runId, [LABEL_ATTEMPT]: String(attempt) },
  };
}

export interface ServiceContainerOptions {
  /** Host directory mounted as the service's $REGATTA_OUTPUTS. */
  outputsHostPath: string;
  /** What every unit of the run gets: the run's variables and where each service is. */
  env: Record<string, string>;
}

export function serviceContainerBody(req: LaunchRequest, s: ResolvedService, o: ServiceContainerOptions): ContainerCreateBody {
  const network = networkName(req.runId, req.attempt);
  const env: Record<string, string> = {
    ...req.spec.env, ...o.env, ...s.env,
    ...Object.fromEntries(s.datasets.map((d) => [`REGATTA_DATASET_${serviceEnvName(d.name)}`, d.target])),
    ...ownPortEnv(s.ports, (p) => p),
    REGATTA_SERVICE_NAME: s.name,
    REGATTA_OUTPUTS: CONTAINER_OUTPUTS,
  };
  const { cpus, memory } = s.resources;
  return {
    name: `${containerName(req.runId, req.attempt)}-${s.name}`,
    Image: s.image ?? '',
    // Without a command the image's own entrypoint and command run, as in a compose file.
    ...(s.command === undefined ? {}
      : typeof s.command === 'string' ? { Entrypoint: ['/bin/sh', '-c'], Cmd: [s.command] }
      : { Entrypoint: [s.command[0] ?? '/bin/true'], Cmd: s.command.slice(1) }),
    Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
    Labels: { [LABEL_RUN]: req.runId, [LABEL_ATTEMPT]: String(req.attempt), [LABEL_SERVICE]: s.name },
    ...(s.health ? { Healthcheck: healthcheckBody(s.health) } : {}),
    NetworkingConfig: { EndpointsConfig: { [network]: { Aliases: [s.name] } } },
    HostConfig: {
      Binds: [
        `${o.outputsHostPath}:${CONTAINER_OUTPUTS}`,
        ...s.datasets.flatMap((d) => (d.source ? [`${d.source}:${d.target}:ro`] : [])),
        ...(s.mounts ?? []).map((m) => `${m.source}:${m.target}:${m.readonly ? 'ro' : 'rw'}`),
      ],
      ...(cpus > 0 ? { NanoCpus: Math.round(cpus * 1e9) } : {}),
      ...(memory > 0 ? { Memory: memory, MemorySwap: memory } : {}),
      NetworkMode: network,
      // Servers rarely expect to be PID 1, which ignores SIGTERM: the engine's init forwards it,
      // so cleanup does not wait out the grace period of every service.
      Init: true,
    },
  };
}

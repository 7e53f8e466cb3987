/**
 * The Docker create-container body for an attempt, as a pure function of the launch request, so
 * what Regatta asks of the engine is unit-tested on its own.
 */
import type { LaunchRequest } from '../runtime.js';
import { healthcheckBody, publishBody, type DockerHealthcheck, type Publish } from './ports-health.js';

/** Where the attempt's outputs directory appears inside the container. */
export const CONTAINER_OUTPUTS = '/regatta/outputs';

export const LABEL_RUN = 'dev.regatta.run';
export const LABEL_ATTEMPT = 'dev.regatta.attempt';

/** The subset of Docker's ContainerCreate body Regatta uses. */
export interface ContainerCreateBody {
  name: string;
  Image: string;
  Cmd?: string[];
  Entrypoint?: string[];
  Env: string[];
  WorkingDir?: string;
  Labels: Record<string, string>;
  Healthcheck?: DockerHealthcheck;
  ExposedPorts?: Record<string, Record<string, never>>;
  Volumes?: Record<string, Record<string, never>>;
  NetworkingConfig?: { EndpointsConfig: Record<string, { Aliases?: string[] }> };
  HostConfig: {
    Binds: string[];
    NanoCpus?: number;
    Memory?: number;
    MemorySwap?: number;
    ShmSize?: number;
    DeviceRequests?: { Driver: string; DeviceIDs: string[]; Capabilities: string[][] }[];
    NetworkMode?: string;
    Init?: boolean;
    PortBindings?: Record<string, { HostIp: string; HostPort: string }[]>;
  };
}

export function containerName(runId: string, attempt: number): string {
  return `regatta-${runId}-${attempt}`;
}

export interface ContainerOptions {
  /**
   * Host directory mounted as the outputs directory (the engine must see this path). Absent: an
   * anonymous volume, copied back when the container ends (an engine on another machine).
   */
  outputsHostPath?: string;
  network?: string;
  /** Variables added on top of the request's (where the run's services are). */
  env?: Record<string, string>;
  /** Publish the spec's declared ports on the engine's host (a `kind: service` run). */
  publish?: Publish;
}

export function containerCreateBody(req: LaunchRequest, o: ContainerOptions): ContainerCreateBody {
  const { spec } = req;
  const env = { ...spec.env, ...req.env, ...o.env, REGATTA_OUTPUTS: CONTAINER_OUTPUTS };
  const ports = spec.ports.map((p) => p.port);
  const r = spec.resources;
  const body: ContainerCreateBody = {
    name: containerName(req.runId, req.attempt),
    Image: spec.image ?? '',
    // A string command runs through the image's shell, as it does for the process runtime.
    ...(typeof spec.command === 'string'
      ? { Entrypoint: ['/bin/sh', '-c'], Cmd: [spec.command] }
      : { Entrypoint: [spec.command[0] ?? '/bin/true'], Cmd: spec.command.slice(1) }),
    Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
    ...(spec.workdir ? { WorkingDir: spec.workdir } : {}),
    Labels: { [LABEL_RUN]: req.runId, [LABEL_ATTEMPT]: String(req.attempt) },
    ...(spec.health ? { Healthcheck: healthcheckBody(spec.health) } : {}),
    ...(o.publish && ports.length ? { ExposedPorts: publishBody(ports, o.publish).ExposedPorts } : {}),
    ...(o.outputsHostPath === undefined ? { Volumes: { [CONTAINER_OUTPUTS]: {} } } : {}),
    HostConfig: {
      Binds: [
        ...(o.outputsHostPath !== undefined ? [`${o.outputsHostPath}:${CONTAINER_OUTPUTS}`] : []),
        ...spec.mounts.map((m) => `${m.source}:${m.target}:${m.readonly ? 'ro' : 'rw'}`),
        ...spec.datasets.flatMap((d) => (d.source ? [`${d.source}:${d.target}:ro`] : [])),
      ],
      NanoCpus: Math.round(r.cpus * 1e9),
      ...(r.memory > 0 ? { Memory: r.memory, MemorySwap: r.memory } : {}),
      ...(r.shmSize ? { ShmSize: r.shmSize } : {}),
      ...(req.gpus.length
        ? { DeviceRequests: [{ Driver: 'nvidia', DeviceIDs: req.gpus.map(String), Capabilities: [['gpu']] }] }
        : {}),
      ...(o.network ? { NetworkMode: o.network } : {}),
      ...(o.publish && ports.length ? { PortBindings: publishBody(ports, o.publish).PortBindings } : {}),
    },
  };
  return body;
}

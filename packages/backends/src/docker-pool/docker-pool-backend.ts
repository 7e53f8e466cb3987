/**
 * A pool of Docker engines (lab machines, GPU boxes, cloud VMs), each a node that runs
 * `runtime: docker`. CPUs and memory come from the engine unless the admin declares them; GPUs
 * from what the admin declares, else nvidia-smi on the engine's machine.
 * A node that stops answering takes no new runs; after `lostAfterMs` its running attempts end
 * `lost` (and retry per their policy); when it answers again it rejoins and stray containers of
 * attempts that were given up are removed.
 */
import type { Clock, Logger } from '@regatta/core';
import { connectDocker, createDockerRuntime, parseServicesId, publishFor, type ExitInfo, type RunHandle, type Runtime } from '@regatta/runtimes';
import type { Backend, NodeInfo } from '../backend.js';
import { describeEngineError } from './engine-errors.js';
import { hasNvidiaRuntime, probeGpus } from './gpu-inventory.js';

export interface DockerNodeConfig {
  name: string;
  /** unix://, tcp:// or ssh:// */
  url: string;
  /** tcp://: ca.pem, cert.pem, key.pem; ssh://: the private key and known_hosts (default ~/.ssh). */
  tlsDir?: string;
  gpus?: number;
  /** CPUs and memory (bytes) runs may use there, instead of what the engine reports. */
  cpus?: number;
  memory?: number;
  /** Named datasets present on that machine (at their registered paths); absent: all. */
  datasets?: string[];
}

export interface DockerPoolOptions {
  clock: Clock;
  logger: Logger;
  contextDir(ref: string): string;
  network?: string;
  lostAfterMs: number;
  healthIntervalMs: number;
  /** Image the GPU probe runs nvidia-smi in (must be on the engine); default DEFAULT_GPU_PROBE_IMAGE. */
  gpuProbeImage?: string;
}

export const DEFAULT_GPU_PROBE_IMAGE = 'nvidia/cuda:12.4.1-base-ubuntu22.04';

interface PoolNode {
  config: DockerNodeConfig;
  info: NodeInfo;
  readonly runtime: Runtime;
  ping(): Promise<unknown>;
  /** Reads CPUs and memory from the engine. */
  refresh(): Promise<void>;
  listRegattaContainers(): Promise<string[]>;
  removeContainer(id: string): Promise<void>;
  downSince?: number;
  /** When the engine last answered: a node is lost `lostAfterMs` after that, not after the first failed probe. */
  answeredAt?: number;
  /** Attempts followed on the node, each with what gives it up as lost. */
  live: Map<RunHandle, (info: ExitInfo) => void>;
}

const LABEL_RUN = 'dev.regatta.run';
const PROBE_TIMEOUT_MS = 3000;

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms).unref())]);
}

export interface DockerPool extends Backend {
  /**
   * Adds an engine. With `mustAnswer` it is refused when the engine does not answer; without, it
   * joins as not ready and is used once it answers (nodes registered before a restart).
   */
  addNode(config: DockerNodeConfig, opts?: { mustAnswer?: boolean }): Promise<NodeInfo>;
  removeNode(name: string): boolean;
}

export function createDockerPool(o: DockerPoolOptions): DockerPool {
  const nodes = new Map<string, PoolNode>();
  let stopped = false;
  let timer: { cancel(): void } | undefined;

  const nodeOf = (name: string): PoolNode => {
    const n = nodes.get(name);
    if (!n) throw new Error(`node '${name}' is not in the Docker pool`);
    return n;
  };

  /** The handle, with `done` also settling (as lost) when the node is given up. */
  const track = (node: PoolNode, h: RunHandle): RunHandle => {
    if (!h.externalId) return h;
    let giveUp: (info: ExitInfo) => void = () => {};
    const lost = new Promise<ExitInfo>((resolve) => { giveUp = resolve; });
    node.live.set(h, giveUp);
    const done = Promise.race([h.done, lost]).finally(() => node.live.delete(h));
    // externalId is read through: an attempt with services learns its containers' ids as they start.
    return {
      get externalId() { return h.externalId; },
      done,
      stop: (graceMs) => h.stop(graceMs),
      ...(h.detach ? { detach: h.detach.bind(h) } : {}),
      ...(h.endpoints ? { endpoints: h.endpoints.bind(h) } : {}),
    };
  };

  const check = async (node: PoolNode): Promise<void> => {
    try {
      // A node already not answering is probed only until its lost deadline, so that it is given up
      // on time rather than up to one probe timeout late.
      const left = node.downSince !== undefined ? node.downSince + o.lostAfterMs - o.clock.now() : PROBE_TIMEOUT_MS;
      await withTimeout(node.ping(), Math.min(PROBE_TIMEOUT_MS, Math.max(250, left)));
      if (!node.info.ready) {
        o.logger.info({ node: node.info.name }, 'Docker node answers again');
        await withTimeout(node.refresh(), 10_000);
        // Containers of attempts given up while the node was away must not run on.
        const live = new Set([...node.live.keys()].flatMap((h) => {
          const ids = parseServicesId(h.externalId);
          return ids ? [ids.main, ...ids.units] : [h.externalId];
        }));
        for (const id of await node.listRegattaContainers()) {
          if (!live.has(id)) await node.removeContainer(id).catch(() => undefined);
        }
      }
      node.info.ready = true;
      delete node.downSince;
      node.answeredAt = o.clock.now();
    } catch (e) {
      const now = o.clock.now();
      node.info.lastError = { at: now, message: describeEngineError(e, node.config.tlsDir) };
      if (node.info.ready) o.logger.warn({ node: node.info.name, err: e }, 'Docker node does not answer');
      node.info.ready = false;
      node.downSince ??= node.answeredAt ?? now;
      if (now - node.downSince >= o.lostAfterMs && node.live.size) {
        const reason = `node ${node.info.name} stopped answering for ${Math.round((now - node.downSince) / 1000)}s`;
        for (const giveUp of node.live.values()) giveUp({ lost: reason });
        node.live.clear();
      }
    }
  };

  const loop = () => {
    if (stopped) return;
    void Promise.all([...nodes.values()].map(check)).finally(() => {
      if (!stopped) timer = o.clock.setTimeout(loop, o.healthIntervalMs);
    });
  };
  timer = o.clock.setTimeout(loop, o.healthIntervalMs);

  return {
    name: 'docker-pool',
    runtimes: ['docker'],
    nodes: () => [...nodes.values()].map((n) => n.info),

    async addNode(config, opts = {}) {
      if (nodes.has(config.name)) throw new Error(`node '${config.name}' already exists`);
      const gpus = config.gpus ?? 0;
      // A TLS directory that cannot be read is reported like an engine that does not answer: at
      // a restart the node then joins as down (with the reason) instead of failing the server.
      let docker: ReturnType<typeof connectDocker> | undefined;
      let connectError: unknown;
      try {
        // The node's credentials directory: TLS files for tcp://, key and known_hosts for ssh://.
        const creds = config.tlsDir ? (config.url.startsWith('ssh:') ? { sshDir: config.tlsDir } : { tlsDir: config.tlsDir }) : {};
        docker = connectDocker({ url: config.url, ...creds });
      } catch (e) {
        connectError = e;
      }
      const engine = () => {
        if (!docker) throw connectError instanceof Error ? connectError : new Error(String(connectError));
        return docker;
      };
      let runtime: Runtime | undefined;
      const node: PoolNode = {
        config,
        info: {
          name: config.name,
          // What the admin declared shows even before the engine first answers.
          total: { cpus: config.cpus ?? 0, memory: config.memory ?? 0, gpus },
          gpuIndices: Array.from({ length: gpus }, (_, i) => i),
          ready: false,
          backend: 'docker-pool',
          runtimes: ['docker'],
          ...(config.datasets ? { datasets: config.datasets } : {}),
        },
        get runtime() {
          // An engine reached over the network does not see the server's disk: outputs come back by copy.
          runtime ??= createDockerRuntime({
            docker: engine(), contextDir: o.contextDir, publish: publishFor(config.url), copyOutputs: !config.url.startsWith('unix:'),
            ...(o.network ? { network: o.network } : {}),
          });
          return runtime;
        },
        ping: async () => engine().ping(),
        async refresh() {
          const info = await engine().info() as { NCPU?: number; MemTotal?: number; Runtimes?: Record<string, unknown> };
          // Declared GPUs win; else the engine's machine is asked when it has the NVIDIA runtime.
          let indices = node.info.gpuIndices;
          if (config.gpus === undefined && hasNvidiaRuntime(info)) {
            const image = o.gpuProbeImage ?? DEFAULT_GPU_PROBE_IMAGE;
            try {
              indices = (await probeGpus(engine(), image)).map((g) => g.index);
            } catch (e) {
              node.info.lastError = { at: o.clock.now(), message: `GPU probe (nvidia-smi in ${image}) failed: ${e instanceof Error ? e.message : String(e)}; declare the node's gpus instead` };
            }
          }
          node.info.gpuIndices = indices;
          node.info.total = { cpus: config.cpus ?? info.NCPU ?? 1, memory: config.memory ?? info.MemTotal ?? 0, gpus: indices.length };
        },
        listRegattaContainers: async () =>
          (await engine().listContainers({ all: true, filters: { label: [LABEL_RUN] } })).map((c) => c.Id),
        removeContainer: async (id) => { await engine().getContainer(id).remove({ force: true, v: true }); },
        live: new Map(),
      };
      try {
        await withTimeout(node.refresh(), 10_000);
        node.info.ready = true;
        node.answeredAt = o.clock.now();
      } catch (e) {
        const message = describeEngineError(e, config.tlsDir);
        if (opts.mustAnswer) throw new Error(`node '${config.name}' (${config.url}): ${message}`);
        node.info.lastError = { at: o.clock.now(), message };
        node.downSince = o.clock.now();
      }
      nodes.set(config.name, node);
      return node.info;
    },

    removeNode(name) {
      return nodes.delete(name);
    },

    async launch(req, hooks) {
      const node = nodeOf(req.node);
      return track(node, await node.runtime.start(req, hooks));
    },

    async recover(req, externalId, hooks) {
      const node = nodes.get(req.node);
      if (!node) return undefined;
      const h = await node.runtime.recover(req, externalId, hooks);
      return h && track(node, h);
    },

    // At start, after recovery: containers of this server's attempts that are not active (given up,
    // or collected but not yet removed when the server stopped) go, on every node that answers.
    async sweep(stray) {
      let removed = 0;
      for (const n of nodes.values()) {
        if (n.info.ready) removed += (await n.runtime.sweep?.(stray).catch(() => 0)) ?? 0;
      }
      return removed;
    },

    close() {
      stopped = true;
      timer?.cancel();
      return Promise.resolve();
    },
  };
}

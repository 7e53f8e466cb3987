/**
 * Runs an attempt as a container on one Docker engine. The container carries labels naming its run;
 * logs are pumped into the attempt's log file; outputs are a bind mount of the attempt's outputs
 * directory. Containers outlive a server restart and are re-attached by id.
 */
import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import type Docker from 'dockerode';
import type { ExitInfo, LaunchHooks, LaunchRequest, RunHandle, Runtime } from '../runtime.js';
import { buildImage, buildTag } from './build-context.js';
import { containerCreateBody } from './container-spec.js';
import { LogPump } from './log-pump.js';

export interface DockerRuntimeOptions {
  docker: Docker;
  /** Where a build context reference (`upload:<id>` or an absolute path) is on the server. */
  contextDir(ref: string): string;
  /** Network for run containers (default: the engine's default bridge). */
  network?: string;
}

function statusOf(e: unknown): number | undefined {
  return typeof e === 'object' && e !== null && 'statusCode' in e && typeof e.statusCode === 'number' ? e.statusCode : undefined;
}

function message(e: unknown): string {
  const json = typeof e === 'object' && e !== null && 'json' in e ? (e as { json?: { message?: string } }).json : undefined;
  return json?.message ?? (e instanceof Error ? e.message : String(e));
}

const never = new Promise<never>(() => {});

function follow(req: LaunchRequest, container: Docker.Container): RunHandle {
  const pump = new LogPump(req.paths.log, join(req.paths.dir, 'log.cursor'));
  let detached = false;
  let logStream: NodeJS.ReadableStream | undefined;
  const pumped = container
    .logs({ follow: true, stdout: true, stderr: true, timestamps: true, since: pump.since() })
    .then((s) => {
      logStream = s;
      return pump.pump(s);
    }, () => undefined);
  const done = (async (): Promise<ExitInfo> => {
    let info: ExitInfo;
    try {
      await container.wait();
      await pumped;
      const state = (await container.inspect()).State;
      if (detached) return never;
      info = state.OOMKilled ? { exitCode: state.ExitCode, error: 'oom' } : { exitCode: state.ExitCode };
    } catch (e) {
      if (detached) return never;
      if (statusOf(e) === 404) return { lost: 'the container disappeared from the engine' };
      return { lost: `lost contact with the Docker engine: ${message(e)}` };
    }
    await container.remove({ force: true, v: true }).catch(() => undefined);
    return info;
  })();
  return {
    externalId: container.id,
    done,
    async stop(graceMs) {
      try {
        await container.stop({ t: Math.max(0, Math.ceil(graceMs / 1000)) });
      } catch (e) {
        if (statusOf(e) !== 304 && statusOf(e) !== 404) throw e;
      }
    },
    detach() {
      detached = true;
      if (logStream && 'destroy' in logStream && typeof logStream.destroy === 'function') logStream.destroy();
    },
  };
}

export function createDockerRuntime(options: DockerRuntimeOptions): Runtime {
  const { docker } = options;
  return {
    name: 'docker',

    async start(req: LaunchRequest, hooks: LaunchHooks): Promise<RunHandle> {
      const failed = (info: ExitInfo): RunHandle => ({ externalId: '', done: Promise.resolve(info), stop: () => Promise.resolve() });
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
      try {
        await docker.getImage(image).inspect();
      } catch (e) {
        return failed(statusOf(e) === 404
          ? { error: `image '${image}' is not on the Docker engine of ${req.node}`, nonRetriable: true }
          : { error: `the Docker engine of ${req.node} did not answer: ${message(e)}` });
      }
      let container: Docker.Container;
      try {
        const body = containerCreateBody({ ...req, spec: { ...req.spec, image } }, {
          outputsHostPath: req.paths.outputs, ...(options.network ? { network: options.network } : {}),
        });
        container = await docker.createContainer(body);
        await container.start();
      } catch (e) {
        return failed({ error: `could not start the container: ${message(e)}` });
      }
      hooks.onPhase('running');
      return follow(req, container);
    },

    async recover(req, externalId) {
      if (!externalId) return undefined;
      const container = docker.getContainer(externalId);
      try {
        await container.inspect();
      } catch {
        return undefined;
      }
      // Running or exited while the server was away: follow it to its end either way.
      return follow(req, container);
    },
  };
}

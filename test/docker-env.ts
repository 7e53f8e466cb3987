/**
 * Two real, private Docker daemons for tests (see scripts/docker-test-env.sh).
 *
 *   let env: DockerEnv;
 *   beforeAll(async () => { env = await startDockerEnv(); }, DOCKER_ENV_TIMEOUT_MS);
 *   afterAll(() => env?.stop(), 60_000);
 *
 * hostA has a bridge network (user-defined networks + DNS) unless `networkA`
 * says 'none'; hostB never has networking. Both have TEST_IMAGE. Needs Linux
 * and root (the script installs docker.io with apt-get when it is missing).
 */
import { resolve } from 'node:path';
import { runEnvScript, startEnv } from './env-script.js';

export const DOCKER_ENV_SCRIPT = resolve(import.meta.dirname, '../scripts/docker-test-env.sh');
export const TEST_IMAGE = 'regatta-test/busybox:latest';
/** A `runtime: docker` spec on TEST_IMAGE. */
export const dockerSpec = (spec: Record<string, unknown>) => ({ runtime: 'docker', image: TEST_IMAGE, ...spec });
/** For beforeAll: a first run installs packages (about 15 s) before starting. */
export const DOCKER_ENV_TIMEOUT_MS = 300_000;

export interface DockerEnv {
  /** e.g. unix:///tmp/rdk-AbC123/a/docker.sock */
  hostA: string;
  hostB: string;
  networkA: 'bridge' | 'none';
  /** State directory of both daemons; removed by stop(). */
  dir: string;
  /** Stops both daemons and removes `dir`; safe to call more than once. */
  stop(): Promise<void>;
}

/** Whether this machine can run the environment at all (Linux, root). */
export function canStartDockerEnv(): boolean {
  return process.platform === 'linux' && process.getuid?.() === 0;
}

const script = (args: string[], timeoutMs: number): Promise<string> => runEnvScript(DOCKER_ENV_SCRIPT, args, timeoutMs);

let installing: Promise<unknown> | undefined;

/** Installs docker.io/busybox-static if missing (once per process; the script locks across processes). */
export function installDockerEnv(): Promise<unknown> {
  installing ??= script(['install'], 280_000);
  return installing;
}

export interface DockerEnvOptions {
  /**
   * Daemon a gets no bridge while another bridged dockerd runs (another test file's env): wait up to
   * this long for it to go, starting again, before settling for `networkA: 'none'`.
   */
  waitForBridgeMs?: number;
}

/** Installs if needed, starts both daemons in a fresh short /tmp dir and builds TEST_IMAGE on both. */
export async function startDockerEnv(opts: DockerEnvOptions = {}): Promise<DockerEnv> {
  const deadline = Date.now() + (opts.waitForBridgeMs ?? 0);
  for (;;) {
    const env = await startDaemons();
    if (env.networkA === 'bridge' || Date.now() >= deadline) {
      await buildImages(env);
      return env;
    }
    await env.stop();
    await new Promise((r) => setTimeout(r, 2000));
  }
}

async function buildImages(env: DockerEnv): Promise<void> {
  try {
    await Promise.all([script(['image', env.hostA, TEST_IMAGE], 120_000), script(['image', env.hostB, TEST_IMAGE], 120_000)]);
  } catch (err) {
    await env.stop().catch(() => undefined);
    throw err;
  }
}

async function startDaemons(): Promise<DockerEnv> {
  await installDockerEnv();
  return startEnv(DOCKER_ENV_SCRIPT, 'rdk-', ({ dir, vars, stop }) => {
    const hostA = vars.get('DOCKER_A');
    const hostB = vars.get('DOCKER_B');
    if (!hostA || !hostB) throw new Error('docker-test-env.sh start printed no DOCKER_A/DOCKER_B');
    return { hostA, hostB, networkA: vars.get('DOCKER_A_NETWORK') === 'bridge' ? 'bridge' : 'none', dir, stop };
  });
}

/**
 * Separate Docker hosts for tests (scripts/docker-hosts-test-env.sh): each a network namespace with
 * its own dockerd on tcp://<ip>:2376 behind mutual TLS, reached from this process over veth links.
 *
 *   let env: DockerHostsEnv;
 *   beforeAll(async () => { env = await startDockerHostsEnv(3); }, DOCKER_ENV_TIMEOUT_MS);
 *   afterAll(() => env?.stop(), 60_000);
 */
import { resolve } from 'node:path';
import { runEnvScript, startEnv } from './env-script.js';
import { TEST_IMAGE } from './docker-env.js';

export const DOCKER_HOSTS_ENV_SCRIPT = resolve(import.meta.dirname, '../scripts/docker-hosts-test-env.sh');

export interface DockerHost {
  /** tcp://10.214.x.y:2376 */
  url: string;
  addr: string;
  /** This machine's end of the host's link: listening there, a server is reachable from every host. */
  gateway: string;
}

export interface DockerHostsEnv {
  hosts: DockerHost[];
  /** A client's ca.pem, cert.pem and key.pem, signed by the CA the engines trust. */
  tlsDir: string;
  /** A client certificate signed by another CA: the engines refuse it. */
  rogueTlsDir: string;
  /** Only ca.pem: no client certificate at all. */
  noCertTlsDir: string;
  /** ssh://root@<host 1> through sshd in host 1's namespace. */
  sshUrl: string;
  /** The server's SSH key and a known_hosts with host 1's key. */
  sshDir: string;
  /** The same key, and a known_hosts with ANOTHER key for host 1. */
  sshWrongHostDir: string;
  dir: string;
  /** Host i (1-based) stops answering: its side of the link goes down, packets are dropped. */
  cut(i: number): Promise<void>;
  /** Link up again, any delay removed. */
  restore(i: number): Promise<void>;
  /** Adds a netem delay on host i's link; rejects where the kernel has no sch_netem. */
  delay(i: number, ms: number): Promise<void>;
  /** Limits host i's link to `kbit` each way (tbf); rejects where the kernel has no sch_tbf. */
  throttle(i: number, kbit: number): Promise<void>;
  stop(): Promise<void>;
}

const script = (args: string[], timeoutMs = 60_000): Promise<string> => runEnvScript(DOCKER_HOSTS_ENV_SCRIPT, args, timeoutMs);

/** Installs if needed, starts `n` hosts and puts TEST_IMAGE on each. */
export async function startDockerHostsEnv(n: number): Promise<DockerHostsEnv> {
  await script(['install'], 280_000);
  const env = await startEnv(DOCKER_HOSTS_ENV_SCRIPT, 'rdh-', ({ dir, vars, stop }): DockerHostsEnv => {
    const get = (k: string): string => {
      const v = vars.get(k);
      if (v === undefined) throw new Error(`docker-hosts-test-env.sh start printed no ${k}`);
      return v;
    };
    return {
      hosts: Array.from({ length: n }, (_, i) => ({ url: get(`HOST_${i + 1}`), addr: get(`HOST_${i + 1}_ADDR`), gateway: get(`HOST_${i + 1}_GATEWAY`) })),
      tlsDir: get('TLS_DIR'), rogueTlsDir: get('ROGUE_TLS_DIR'), noCertTlsDir: get('NO_CERT_TLS_DIR'),
      sshUrl: get('SSH_1'), sshDir: get('SSH_DIR'), sshWrongHostDir: get('SSH_WRONG_HOST_DIR'), dir,
      cut: async (i) => { await script(['cut', dir, String(i)]); },
      restore: async (i) => { await script(['restore', dir, String(i)]); },
      delay: async (i, ms) => { await script(['delay', dir, String(i), String(ms)]); },
      throttle: async (i, kbit) => { await script(['throttle', dir, String(i), String(kbit)]); },
      stop,
    };
  }, [String(n)]);
  try {
    await Promise.all(env.hosts.map((_, i) => script(['image', env.dir, String(i + 1), TEST_IMAGE], 120_000)));
  } catch (err) {
    await env.stop().catch(() => undefined);
    throw err;
  }
  return env;
}

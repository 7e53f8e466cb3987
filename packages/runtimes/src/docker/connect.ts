/** Connecting to a Docker engine named by a URL: unix://, tcp:// (TLS from a cert directory), ssh://. */
import { existsSync, readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { homedir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { knownHostsVerifier } from './known-hosts.js';

export interface DockerConnection {
  url: string;
  /** Directory with ca.pem, cert.pem and key.pem for tcp:// with TLS (as DOCKER_CERT_PATH). */
  tlsDir?: string;
  /**
   * For ssh://: a directory with the private key (id_ed25519, id_ecdsa or id_rsa) and known_hosts,
   * as ~/.ssh (the default). The host key must be in known_hosts: unknown hosts are refused.
   */
  sshDir?: string;
}

const SSH_KEYS = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

function sshOptions(c: DockerConnection, host: string, port: number): { privateKey: Buffer; hostVerifier: (key: Buffer) => boolean } {
  const dir = c.sshDir ?? join(homedir(), '.ssh');
  const keyFile = SSH_KEYS.map((k) => join(dir, k)).find((f) => existsSync(f));
  if (!keyFile) throw Object.assign(new Error(`no SSH private key (${SSH_KEYS.join(', ')}) in ${dir}`), { code: 'ENOENT' });
  return { privateKey: readFileSync(keyFile), hostVerifier: knownHostsVerifier(readFileSync(join(dir, 'known_hosts'), 'utf8'), host, port) };
}

export function connectDocker(c: DockerConnection): Docker {
  const u = new URL(c.url);
  switch (u.protocol) {
    case 'unix:':
      return new Docker({ socketPath: u.pathname });
    case 'tcp:':
    case 'https:':
    case 'http:': {
      const tls = c.tlsDir
        ? { ca: readFileSync(join(c.tlsDir, 'ca.pem')), cert: readFileSync(join(c.tlsDir, 'cert.pem')), key: readFileSync(join(c.tlsDir, 'key.pem')) }
        : undefined;
      return new Docker({
        host: u.hostname,
        port: Number(u.port || (tls ? 2376 : 2375)),
        protocol: tls || u.protocol === 'https:' ? 'https' : 'http',
        ...tls,
        // Kept-alive connections: without, every API call of a run pays a TLS handshake.
        ...(tls ? { agent: new Agent({ keepAlive: true, ...tls }) } : {}),
      });
    }
    case 'ssh:': {
      const port = Number(u.port || 22);
      return new Docker({
        protocol: 'ssh', host: u.hostname, port, ...(u.username ? { username: u.username } : {}),
        sshOptions: sshOptions(c, u.hostname, port),
      });
    }
    default:
      throw new Error(`unsupported Docker URL '${c.url}': use unix://, tcp:// or ssh://`);
  }
}

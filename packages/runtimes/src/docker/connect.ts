/** Connecting to a Docker engine named by a URL: unix://, tcp:// (TLS from a cert directory), ssh://. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';

export interface DockerConnection {
  url: string;
  /** Directory with ca.pem, cert.pem and key.pem for tcp:// with TLS (as DOCKER_CERT_PATH). */
  tlsDir?: string;
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
      });
    }
    case 'ssh:':
      return new Docker({ protocol: 'ssh', host: u.hostname, port: Number(u.port || 22), ...(u.username ? { username: u.username } : {}) });
    default:
      throw new Error(`unsupported Docker URL '${c.url}': use unix://, tcp:// or ssh://`);
  }
}

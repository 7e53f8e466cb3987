/** The variables that tell the units of a run where they and the others listen (both runtimes). */
import { serviceEnvName, type ResolvedService } from '@regatta/core';

/** The variables a unit gets for its own ports: REGATTA_PORT (the first) and REGATTA_PORT_<declared>. */
export function ownPortEnv(ports: readonly number[], hostPort: (p: number) => number): Record<string, string> {
  const env: Record<string, string> = {};
  ports.forEach((p, i) => {
    if (i === 0) env.REGATTA_PORT = String(hostPort(p));
    env[`REGATTA_PORT_${p}`] = String(hostPort(p));
  });
  return env;
}

/** Where every service is, for everyone in the run: host, first port, and each declared port. */
export function discoveryEnv(services: readonly ResolvedService[], host: (s: ResolvedService) => string, port: (s: ResolvedService, p: number) => number): Record<string, string> {
  const env: Record<string, string> = {};
  for (const s of services) {
    const n = serviceEnvName(s.name);
    env[`REGATTA_SERVICE_${n}_HOST`] = host(s);
    s.ports.forEach((p, i) => {
      if (i === 0) env[`REGATTA_SERVICE_${n}_PORT`] = String(port(s, p));
      env[`REGATTA_SERVICE_${n}_PORT_${p}`] = String(port(s, p));
    });
  }
  return env;
}

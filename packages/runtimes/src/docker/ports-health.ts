/**
 * Health checks and published ports in Docker's terms, as pure functions: the engine runs the
 * checks inside the container (so they reach 127.0.0.1 of the service itself, whatever network it
 * is on), and declared ports are published on the engine's host for the server to reach.
 */
import type { ResolvedHealth } from '@regatta/core';

/** The subset of Docker's HealthConfig Regatta uses (durations in nanoseconds). */
export interface DockerHealthcheck {
  Test: string[];
  Interval: number;
  Timeout: number;
  Retries: number;
  StartPeriod: number;
}

const ns = (ms: number) => Math.round(ms * 1e6);

/**
 * The command Docker runs for a check. http needs `wget` in the image; tcp tries `nc -z` and,
 * where nc has no -z (Debian's busybox), looks for a listening socket on the port in
 * /proc/net/tcp{,6}, which needs only sh and grep.
 */
export function healthTest(check: ResolvedHealth['check']): string[] {
  if ('command' in check) {
    return typeof check.command === 'string' ? ['CMD-SHELL', check.command] : ['CMD', ...check.command];
  }
  if ('http' in check) return ['CMD', 'wget', '-q', '-O', '/dev/null', `http://127.0.0.1:${check.http.port}${check.http.path}`];
  const hex = check.tcp.toString(16).toUpperCase().padStart(4, '0');
  // /proc/net/tcp lines: "sl local_address rem_address st ...", state 0A is LISTEN.
  return ['CMD-SHELL', `nc -z 127.0.0.1 ${check.tcp} 2>/dev/null || grep -qE '^ *[0-9]+: [0-9A-F]+:${hex} [0-9A-F]+:0000 0A ' /proc/net/tcp /proc/net/tcp6 2>/dev/null`];
}

export function healthcheckBody(h: ResolvedHealth): DockerHealthcheck {
  return {
    Test: healthTest(h.check),
    // Docker refuses intervals under 1 ms.
    Interval: Math.max(ns(h.intervalMs), 1_000_000),
    Timeout: Math.max(ns(h.timeoutMs), 1_000_000),
    Retries: h.retries,
    StartPeriod: ns(h.startPeriodMs),
  };
}

/** Where published ports go: the host interface to bind, and the host name the server uses. */
export interface Publish {
  /** Interface on the engine's host ('' for every interface). */
  hostIp: string;
  /** How the server reaches that host. */
  host: string;
}

export function publishBody(ports: readonly number[], p: Publish): {
  ExposedPorts: Record<string, Record<string, never>>;
  PortBindings: Record<string, { HostIp: string; HostPort: string }[]>;
} {
  const key = (port: number) => `${port}/tcp`;
  return {
    ExposedPorts: Object.fromEntries(ports.map((port) => [key(port), {}])),
    // An empty HostPort: the engine picks a free one, read back with endpointsOf.
    PortBindings: Object.fromEntries(ports.map((port) => [key(port), [{ HostIp: p.hostIp, HostPort: '' }]])),
  };
}

/** The subset of a container inspection that holds its published ports. */
export interface InspectedPorts {
  NetworkSettings?: { Ports?: Record<string, { HostIp?: string; HostPort?: string }[] | null> | null };
}

/** `{<declared port>: 'host:hostPort'}` for every declared port the engine published. */
export function endpointsOf(inspected: InspectedPorts, ports: readonly number[], host: string): Record<number, string> {
  const out: Record<number, string> = {};
  for (const port of ports) {
    const hostPort = inspected.NetworkSettings?.Ports?.[`${port}/tcp`]?.find((b) => b.HostPort)?.HostPort;
    if (hostPort) out[port] = `${host}:${hostPort}`;
  }
  return out;
}

/** Where ports published by the engine at `url` are reachable: loopback for a local socket. */
export function publishFor(url: string): Publish {
  const u = new URL(url);
  if (u.protocol === 'unix:') return { hostIp: '127.0.0.1', host: '127.0.0.1' };
  const host = u.hostname.replace(/^\[|\]$/g, '');
  // Bound to the address the engine is reached at when that is an address; else every interface.
  return { hostIp: /^[\d.]+$|:/.test(host) ? host : '', host: u.hostname };
}

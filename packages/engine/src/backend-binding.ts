/** Which backend a run is bound to: named in its spec, else the one its queue maps to in the config. */
import type { FieldIssue, ResolvedSpec } from '@regatta/core';
import type { Backend } from '@regatta/backends';

export function bindBackend(resolved: ResolvedSpec, queueBackends: Readonly<Record<string, string>> | undefined): ResolvedSpec {
  if (resolved.backend !== undefined) return resolved;
  const backend = queueBackends?.[resolved.queue];
  return backend !== undefined ? { ...resolved, backend } : resolved;
}

/** The problem with the spec's backend binding, if any (an unknown name; several nodes where the backend cannot). */
export function checkBackend(backends: readonly Backend[], resolved: ResolvedSpec): FieldIssue | undefined {
  const b = resolved.backend !== undefined ? backends.find((x) => x.name === resolved.backend) : undefined;
  if (resolved.backend !== undefined && !b) {
    return { path: 'backend', message: `no backend named '${resolved.backend}' on this server (have: ${backends.map((x) => x.name).join(', ')})` };
  }
  const external = b?.nodes().some((n) => n.external) ?? false;
  if ((resolved.resources.nodes ?? 1) > 1 && !external) {
    return { path: 'resources.nodes', message: 'several nodes need a backend that places work itself (backend: slurm)' };
  }
  // Services and their proxy need this server's supervisor next to the run.
  if (external && resolved.services.length) return { path: 'services', message: `not supported on backend '${b?.name ?? ''}'` };
  if (external && resolved.kind === 'service') return { path: 'kind', message: `service runs are not supported on backend '${b?.name ?? ''}'` };
  return undefined;
}

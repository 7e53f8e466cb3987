/**
 * docker-compose `volumes` of a service as Regatta mounts: host directories (bind mounts) the admin
 * allows (docker.allowedHostPaths) become mounts; what cannot be mounted (a named volume, a path
 * outside the allowed ones, a process template) is left out with a warning, as the facade accepts
 * what the original accepted.
 */
import { underAllowedHostPath } from '@regatta/core';

export interface MountInput {
  source: string;
  target: string;
  readonly: boolean;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const plainAbsolute = (p: string) => p.startsWith('/') && !p.split('/').includes('..');

/** `SRC:DST[:MODE]` or `{type: bind, source, target, read_only}`; undefined when it is no bind mount. */
function bindOf(v: unknown): MountInput | undefined {
  if (typeof v === 'string') {
    const [source, target, mode, ...rest] = v.split(':');
    if (source === undefined || target === undefined || rest.length) return undefined;
    return { source, target, readonly: (mode ?? '').split(',').includes('ro') };
  }
  if (isObject(v) && (v.type === undefined || v.type === 'bind') && typeof v.source === 'string' && typeof v.target === 'string') {
    return { source: v.source, target: v.target, readonly: v.read_only === true };
  }
  return undefined;
}

export function composeMounts(volumes: unknown, path: string, opts: { allowed: readonly string[]; docker: boolean }): { mounts: MountInput[]; warnings: string[] } {
  const mounts: MountInput[] = [];
  const warnings: string[] = [];
  if (!Array.isArray(volumes)) return { mounts, warnings: [`${path}: expected a list of volumes; ignored`] };
  if (!opts.docker) return { mounts, warnings: volumes.length ? [`${path}: the template runs services as processes, which take no mounts; ignored`] : [] };
  volumes.forEach((v, i) => {
    const m = bindOf(v);
    const at = `${path}[${i}]`;
    if (!m || !plainAbsolute(m.source)) warnings.push(`${at}: only host directories can be mounted (not a named volume); ignored`);
    else if (!plainAbsolute(m.target)) warnings.push(`${at}: the container path must be absolute; ignored`);
    else if (!underAllowedHostPath(m.source.replace(/\/+$/, '') || '/', opts.allowed)) {
      warnings.push(`${at}: ${m.source} is not under a host path the admin allows (docker.allowedHostPaths: ${opts.allowed.join(', ') || 'none'}); ignored`);
    } else mounts.push(m);
  });
  return { mounts, warnings };
}

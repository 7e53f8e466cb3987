/**
 * Outputs of a container on an engine that does not share the server's disk: the container writes
 * them to an anonymous volume, and when it has exited they are streamed back over the engine's API
 * (a tar of the directory, extracted as it arrives: memory stays flat whatever their size).
 *
 * Making that tar costs the engine a helper process (tens of ms) even for an empty directory, so
 * the directory's modification time is read (a stat, no tar) before the container starts and
 * again when it has ended: unchanged, nothing was added, and nothing is copied.
 */
import { mkdir } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type Docker from 'dockerode';
import * as tar from 'tar';
import { CONTAINER_OUTPUTS } from './container-spec.js';

const STAT_HEADER = 'x-docker-container-path-stat';

/**
 * The modification time in the engine's path stat header (base64 JSON, as `HEAD .../archive`
 * answers), when it has a fraction of a second: a file system that keeps whole seconds only would
 * not show a write in the same second as the directory's creation.
 */
export function stampOfStatHeader(header: unknown): string | undefined {
  if (typeof header !== 'string') return undefined;
  let stat: unknown;
  try {
    stat = JSON.parse(Buffer.from(header, 'base64').toString('utf8'));
  } catch {
    return undefined;
  }
  const mtime = typeof stat === 'object' && stat !== null && 'mtime' in stat ? stat.mtime : undefined;
  return typeof mtime === 'string' && /T\d\d:\d\d:\d\d\.\d+/.test(mtime) ? mtime : undefined;
}

/** The outputs directory's stamp (see stampOfStatHeader), or undefined when it cannot be read. */
export async function outputsStamp(container: Docker.Container): Promise<string | undefined> {
  try {
    const res = await container.infoArchive({ path: CONTAINER_OUTPUTS });
    const headers = 'headers' in res && typeof res.headers === 'object' && res.headers !== null ? res.headers : {};
    res.resume();
    return stampOfStatHeader(STAT_HEADER in headers ? headers[STAT_HEADER] : undefined);
  } catch {
    return undefined;
  }
}

/**
 * Copies the outputs volume of an exited container into `dir`; with `stampBefore` (the directory's
 * stamp before the container started), only when the directory has changed since. The stat comes
 * first, never beside the tar: the engine holds the container while a tar is read, so a stat asked
 * for meanwhile waits for the whole tar.
 */
export async function copyOutputs(container: Docker.Container, dir: string, stampBefore?: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  if (stampBefore !== undefined && (await outputsStamp(container)) === stampBefore) return;
  const archive = await container.getArchive({ path: CONTAINER_OUTPUTS });
  // The archive's top entry is the directory itself ("outputs/..."). node-tar refuses absolute
  // paths, `..` and writing through links, so nothing lands outside `dir`; owners are not kept.
  await pipeline(archive, tar.x({ cwd: dir, strip: 1, preserveOwner: false }));
}

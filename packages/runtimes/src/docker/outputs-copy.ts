/**
 * Outputs of a container on an engine that does not share the server's disk: the container writes
 * them to an anonymous volume, and when it has exited they are streamed back over the engine's API
 * (a tar of the directory, extracted as it arrives: memory stays flat whatever their size).
 */
import { mkdir } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type Docker from 'dockerode';
import * as tar from 'tar';
import { CONTAINER_OUTPUTS } from './container-spec.js';

export async function copyOutputs(container: Docker.Container, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const archive = await container.getArchive({ path: CONTAINER_OUTPUTS });
  // The archive's top entry is the directory itself ("outputs/..."). node-tar refuses absolute
  // paths, `..` and writing through links, so nothing lands outside `dir`; owners are not kept.
  await pipeline(archive, tar.x({ cwd: dir, strip: 1, preserveOwner: false }));
}

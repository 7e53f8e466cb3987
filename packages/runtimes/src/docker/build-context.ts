/**
 * Build contexts: a content hash that names the built image (an unchanged context is not built
 * again), the tar stream sent to the engine, and the build itself with its output in the run's log.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { PassThrough } from 'node:stream';
import { create as createTar } from 'tar';
import type Docker from 'dockerode';

/** A hash of every path, its executable bit and its content (or link target); mtimes do not count. */
export async function hashDirectory(dir: string): Promise<string> {
  const h = createHash('sha256');
  const entries = (await readdir(dir, { recursive: true })).map((p) => p.split(sep).join('/')).sort();
  for (const rel of entries) {
    const full = join(dir, rel);
    const st = await lstat(full);
    if (st.isSymbolicLink()) h.update(`L ${rel}\0${await readlink(full)}\0`);
    else if (st.isDirectory()) h.update(`D ${rel}\0`);
    else if (st.isFile()) h.update(`F ${rel}\0${st.mode & 0o111 ? 'x' : '-'}\0`).update(createHash('sha256').update(await readFile(full)).digest());
  }
  return h.digest('hex');
}

export interface BuildSpec {
  context: string;
  dockerfile: string;
  args: Record<string, string>;
}

/** The image tag of a build: the context's content hash plus the Dockerfile name and build args. */
export async function buildTag(contextDir: string, b: BuildSpec): Promise<string> {
  const key = createHash('sha256')
    .update(await hashDirectory(contextDir))
    .update(`\0${b.dockerfile}\0${JSON.stringify(Object.entries(b.args).sort())}`)
    .digest('hex');
  return `regatta-build:${key.slice(0, 24)}`;
}

interface BuildEvent {
  stream?: string;
  error?: string;
  errorDetail?: { message?: string };
}

/**
 * Builds `tag` from `contextDir` unless the engine has it already; appends the build output to
 * `logPath`. Resolves with an error message when the build fails.
 */
export async function buildImage(docker: Docker, contextDir: string, b: BuildSpec, tag: string, logPath: string): Promise<{ error?: string }> {
  const log = createWriteStream(logPath, { flags: 'a' });
  const end = () => new Promise<void>((r) => log.end(() => r()));
  try {
    await docker.getImage(tag).inspect();
    log.write(`regatta: using cached image ${tag} (context unchanged)\n`);
    await end();
    return {};
  } catch {
    // not built yet
  }
  log.write(`regatta: building ${tag} from ${relative(process.cwd(), contextDir) || contextDir}\n`);
  try {
    // tar's stream is a Minipass; the engine client wants a Node stream.
    const tarStream = new PassThrough();
    createTar({ cwd: contextDir, portable: true }, ['.']).pipe(tarStream);
    const stream = await docker.buildImage(tarStream, { t: tag, dockerfile: b.dockerfile, buildargs: b.args, rm: true, forcerm: true });
    const error = await new Promise<string | undefined>((resolve) => {
      let failure: string | undefined;
      docker.modem.followProgress(
        stream,
        (err: Error | null) => resolve(err ? err.message : failure),
        (e: BuildEvent) => {
          if (e.stream) log.write(e.stream);
          if (e.error) {
            failure = e.errorDetail?.message ?? e.error;
            log.write(`${failure}\n`);
          }
        },
      );
    });
    await end();
    return error ? { error } : {};
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    log.write(`${msg}\n`);
    await end();
    return { error: msg };
  }
}

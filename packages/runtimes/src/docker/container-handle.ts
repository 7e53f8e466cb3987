/**
 * Following one container to its end: its log stream pumped into a file, its exit status read
 * once the stream has ended (so the file holds everything it wrote), then the container removed
 * (after the handle has settled).
 */
import type Docker from 'dockerode';
import type { ExitInfo, RunHandle } from '../runtime.js';
import { LogPump } from './log-pump.js';
import { copyOutputs } from './outputs-copy.js';

export function statusOf(e: unknown): number | undefined {
  return typeof e === 'object' && e !== null && 'statusCode' in e && typeof e.statusCode === 'number' ? e.statusCode : undefined;
}

export function message(e: unknown): string {
  const json = typeof e === 'object' && e !== null && 'json' in e ? (e as { json?: { message?: string } }).json : undefined;
  return json?.message ?? (e instanceof Error ? e.message : String(e));
}

const never = new Promise<never>(() => {});

/**
 * Stops a container (SIGTERM, then SIGKILL after the grace period); one already gone is fine. Never
 * rejects (a RunHandle's stop must not): when the engine cannot be reached, the handle's `done`
 * reports the attempt lost instead.
 */
export async function stopContainer(container: Docker.Container, graceMs: number): Promise<void> {
  try {
    await container.stop({ t: Math.max(0, Math.ceil(graceMs / 1000)) });
  } catch {
    // 304 (already stopped), 404 (gone), or an engine that does not answer: nothing more to do here.
  }
}

export interface LogFiles {
  log: string;
  /** Where the pump checkpoints, so that a re-attached stream neither repeats nor skips lines. */
  cursor: string;
}

/**
 * Waits for the container to exit. A long wait request may be cut by the connection (a proxy, an
 * engine restart) while the container runs on: it is asked again a few times before giving up.
 */
async function waitPatiently(container: Docker.Container, detached: () => boolean): Promise<void> {
  for (let tries = 1; ; tries++) {
    try {
      await container.wait();
      return;
    } catch (e) {
      if (statusOf(e) === 404 || tries >= 4 || detached()) throw e;
      await new Promise((r) => setTimeout(r, 500 * tries));
    }
  }
}

/**
 * `copyOutputsTo`: where the outputs volume is copied once the container has exited;
 * `outputsStamp`: its directory's stamp before the container started (see outputs-copy.ts).
 */
export function follow(container: Docker.Container, files: LogFiles, copyOutputsTo?: string, outputsStamp?: string): RunHandle {
  const pump = new LogPump(files.log, files.cursor);
  let detached = false;
  let logStream: NodeJS.ReadableStream | undefined;
  const pumped = container
    .logs({ follow: true, stdout: true, stderr: true, timestamps: true, since: pump.since() })
    .then((s) => {
      logStream = s;
      return pump.pump(s);
    }, () => undefined);
  const done = (async (): Promise<ExitInfo> => {
    let info: ExitInfo;
    try {
      await waitPatiently(container, () => detached);
      await pumped;
      // The exit status and the outputs are asked for side by side (the engine answers the inspect
      // once a tar being read is done).
      const [state, copyError] = await Promise.all([
        container.inspect().then((i) => i.State),
        copyOutputsTo === undefined ? undefined : copyOutputs(container, copyOutputsTo, outputsStamp).then(() => undefined, (e: unknown) => e),
      ]);
      if (detached) return never;
      info = copyError !== undefined
        ? { error: `could not copy the outputs back from the engine: ${message(copyError)}` }
        : state.OOMKilled ? { exitCode: state.ExitCode, error: 'oom' } : { exitCode: state.ExitCode };
    } catch (e) {
      if (detached) return never;
      if (statusOf(e) === 404) return { lost: 'the container disappeared from the engine' };
      // Not followed any more: it must not keep running (and holding GPUs) while the run is retried.
      await container.remove({ force: true, v: true }).catch(() => undefined);
      return { lost: `lost contact with the Docker engine: ${message(e)}` };
    }
    // Removed while the outcome is recorded: the container has exited and everything it left is
    // read, so nobody waits for the engine to delete it. One a server stop cuts short is a stray
    // the next start sweeps away.
    void container.remove({ force: true, v: true }).catch(() => undefined);
    return info;
  })();
  return {
    externalId: container.id,
    done,
    stop: (graceMs) => stopContainer(container, graceMs),
    detach() {
      detached = true;
      if (logStream && 'destroy' in logStream && typeof logStream.destroy === 'function') logStream.destroy();
    },
  };
}

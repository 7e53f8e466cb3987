/** Health probes run from the server (process runtime), and the watch over a long-running task's health. */
import { connect } from 'node:net';
import type { ResolvedHealth } from '@regatta/core';
import type { ExitInfo, LaunchHooks } from '../runtime.js';

export interface ProbeTarget {
  host: string;
  /** The port the server reaches for the declared port `p`. */
  port(p: number): number;
  /** Runs a command check inside the unit; true when it exits 0 within the timeout. */
  command(cmd: string | string[], timeoutMs: number): Promise<boolean>;
}

export async function probeOnce(health: ResolvedHealth, target: ProbeTarget): Promise<boolean> {
  const { check, timeoutMs } = health;
  try {
    if ('command' in check) return await target.command(check.command, timeoutMs);
    if ('http' in check) {
      const res = await fetch(`http://${target.host}:${target.port(check.http.port)}${check.http.path}`, {
        signal: AbortSignal.timeout(timeoutMs), redirect: 'manual',
      });
      await res.body?.cancel();
      return res.status >= 200 && res.status < 400;
    }
    return await tcpOpen(target.host, target.port(check.tcp), timeoutMs);
  } catch {
    return false;
  }
}

function tcpOpen(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const end = (ok: boolean) => { socket.destroy(); resolve(ok); };
    socket.setTimeout(timeoutMs, () => end(false));
    socket.once('connect', () => end(true));
    socket.once('error', () => end(false));
  });
}

/**
 * Probes a running task until it ends, reporting each change: healthy after one good probe,
 * unhealthy after `retries` bad ones in a row.
 */
export function watchHealth(
  health: ResolvedHealth, probe: () => Promise<boolean>, done: Promise<ExitInfo>, onHealth: NonNullable<LaunchHooks['onHealth']>,
): void {
  let ended = false;
  void done.then(() => { ended = true; });
  let state: boolean | undefined;
  let misses = 0;
  const started = Date.now();
  const tick = async () => {
    while (!ended) {
      const ok = await probe();
      if (ended) return;
      if (ok) {
        misses = 0;
        if (state !== true) { state = true; onHealth(true, 'health check passed'); }
      } else {
        misses++;
        const grace = state === undefined && Date.now() - started < health.startPeriodMs;
        if (!grace && misses >= health.retries && state !== false) {
          state = false;
          onHealth(false, `health check failed ${misses} times in a row`);
        }
      }
      await new Promise((r) => setTimeout(r, health.intervalMs));
    }
  };
  void tick();
}

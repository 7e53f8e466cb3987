/**
 * Runs the main task of an attempt together with its services, whatever the runtime: services start
 * in dependency order, each healthy before what depends on it starts; the main task starts once all
 * are healthy; a service that exits early fails the run with a reason that names it; when the main
 * task ends the attempt enters cleanup, services are stopped, and only then does the attempt end.
 * A runtime supplies the pieces through a `ServiceDriver`.
 */
import type { ResolvedHealth, ResolvedService } from '@regatta/core';
import type { ExitInfo, LaunchHooks, RunHandle } from '../runtime.js';

/** One started service (a process group, a container). */
export interface UnitHandle {
  /** Identifies the unit for clean-up after a server restart (pid and start time, container id). */
  readonly id: string;
  /** Settles when the service has exited; never rejects. */
  readonly done: Promise<ExitInfo>;
  stop(graceMs: number): Promise<void>;
  /** One health probe: resolves true when healthy. Must not reject. */
  probe(): Promise<boolean>;
  /** Stop following it, leaving it running (see RunHandle.detach). */
  detach?(): void;
}

export interface ServiceDriver {
  /** Makes what services share (a network, ports); runs before anything starts. */
  prepare(): Promise<void>;
  startService(service: ResolvedService): Promise<UnitHandle>;
  startMain(hooks: LaunchHooks): Promise<RunHandle>;
  /** Removes what prepare made; runs after every unit has stopped, whatever happened. */
  teardown(): Promise<void>;
  /** Its units outlive the server when detached (the next server re-attaches them). */
  detachable?: boolean;
}

export interface SuperviseOptions {
  services: readonly ResolvedService[];
  driver: ServiceDriver;
  hooks: LaunchHooks;
  /** Grace period for stopping services in cleanup. */
  graceMs: number;
  /** Sleeps between probes (injected so tests of timing can be fast). */
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function describeExit(info: ExitInfo): string {
  if (info.error) return info.error;
  if (info.lost) return info.lost;
  if (info.exitCode !== undefined) return `exit code ${info.exitCode}`;
  return `killed by ${info.signal ?? 'a signal'}`;
}

class ServiceFailure extends Error {}

/** externalId of an attempt with services: `services:<main id>,<unit id>,...`. */
export const SERVICES_ID_PREFIX = 'services:';

export function parseServicesId(externalId: string): { main: string; units: string[] } | undefined {
  if (!externalId.startsWith(SERVICES_ID_PREFIX)) return undefined;
  const [main = '', ...units] = externalId.slice(SERVICES_ID_PREFIX.length).split(',');
  return { main, units: units.filter(Boolean) };
}

/**
 * Waits until `unit` answers its health check, it exits, or its start period is over. Without a
 * health check, a started service counts as ready.
 */
export async function waitHealthy(
  name: string, unit: UnitHandle, health: ResolvedHealth | undefined, sleep: (ms: number) => Promise<void>, aborted: () => boolean,
): Promise<void> {
  let exited: ExitInfo | undefined;
  void unit.done.then((i) => { exited = i; });
  if (!health) return;
  const deadline = Date.now() + health.startPeriodMs;
  for (;;) {
    if (aborted()) throw new ServiceFailure(`stopped while service '${name}' was starting`);
    if (exited) throw new ServiceFailure(`service '${name}' exited before it became healthy (${describeExit(exited)})`);
    if (await unit.probe()) return;
    if (Date.now() >= deadline) {
      throw new ServiceFailure(`service '${name}' did not become healthy within ${Math.round(health.startPeriodMs / 1000)}s`);
    }
    await sleep(health.intervalMs);
  }
}

interface SupervisionOptions {
  hooks: LaunchHooks;
  graceMs: number;
  teardown(): Promise<void>;
  /** The units can be left running when the server goes away (process jobs under the supervisor). */
  detachable: boolean;
}

/**
 * The state of one supervised attempt, shared by a fresh start and a re-attach: units that exit
 * early fail it, the main task's end starts cleanup, and the handle stops, detaches or waits.
 */
function supervision(o: SupervisionOptions) {
  const units = new Map<string, UnitHandle>();
  let stopGrace: number | undefined;
  let failure: string | undefined;
  let inCleanup = false;
  let detached = false;
  let main: RunHandle | undefined;
  let resolveDone!: (i: ExitInfo) => void;
  const done = new Promise<ExitInfo>((r) => { resolveDone = r; });

  // A unit that cannot be stopped must not keep the attempt in cleanup forever.
  const stopUnits = async (graceMs: number) => {
    await Promise.allSettled([...units.values()].map(async (u) => { await u.stop(graceMs); await u.done; }));
  };
  const cleanup = async (info: ExitInfo): Promise<void> => {
    if (detached) return;
    inCleanup = true;
    try {
      if (units.size) o.hooks.onPhase('cleanup');
      await stopUnits(o.graceMs);
      await o.teardown().catch(() => undefined);
    } finally {
      const { exitCode: _exitCode, ...ended } = info; // a failed cleanup has no exit code to report
      resolveDone(failure ? { ...ended, error: failure } : info);
    }
  };
  const fail = (why: string) => {
    if (failure || inCleanup || detached) return;
    failure = why;
    if (main) void main.stop(o.graceMs);
  };
  const addUnit = (name: string, unit: UnitHandle) => {
    units.set(name, unit);
    void unit.done.then((info) => { if (!inCleanup) fail(`service '${name}' exited (${describeExit(info)})`); });
  };
  /** The main task is running: the attempt ends after it does, and after cleanup. */
  const follow = async (m: RunHandle): Promise<void> => {
    main = m;
    if (stopGrace !== undefined || failure) void m.stop(stopGrace ?? o.graceMs);
    return cleanup(await m.done);
  };

  const handle: RunHandle = {
    // Every unit, so that whatever is left after a server restart can be found again.
    get externalId() { return `${SERVICES_ID_PREFIX}${[main?.externalId ?? '', ...[...units.values()].map((u) => u.id)].join(',')}`; },
    done,
    endpoints: () => main?.endpoints?.() ?? {},
    stop: async (graceMs) => {
      stopGrace ??= graceMs;
      // Asked again during cleanup: stop the services now rather than after their grace period.
      if (inCleanup) await Promise.all([...units.values()].map((u) => u.stop(graceMs)));
      else if (main) await main.stop(graceMs);
    },
    ...(o.detachable ? {
      detach: () => {
        detached = true;
        main?.detach?.();
        for (const u of units.values()) u.detach?.();
      },
    } : {}),
  };
  return {
    handle, addUnit, follow, cleanup,
    aborted: () => stopGrace !== undefined || failure !== undefined || detached,
    failure: () => failure,
    setFailure: (why: string) => { failure ??= why; },
  };
}

/** Starts services, then the main task; the returned handle ends after cleanup. */
export async function superviseServices(o: SuperviseOptions): Promise<RunHandle> {
  const sleep = o.sleep ?? defaultSleep;
  const sv = supervision({ hooks: o.hooks, graceMs: o.graceMs, teardown: () => o.driver.teardown(), detachable: o.driver.detachable ?? false });
  const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

  const run = async () => {
    try {
      await o.driver.prepare();
      const ready = new Map<string, Promise<void>>();
      for (const s of o.services) {
        ready.set(s.name, (async () => {
          await Promise.all(s.dependsOn.map((d) => ready.get(d)));
          if (sv.aborted()) throw new ServiceFailure(sv.failure() ?? `stopped while service '${s.name}' was starting`);
          try {
            const unit = await o.driver.startService(s).catch((e: unknown) => {
              throw new ServiceFailure(`service '${s.name}' could not start: ${errorText(e)}`);
            });
            sv.addUnit(s.name, unit);
            o.hooks.onUnitStarted?.();
            await waitHealthy(s.name, unit, s.health, sleep, sv.aborted);
            o.hooks.onNote?.(`service ${s.name} ${s.health ? 'healthy' : 'started'}`);
          } catch (e) {
            // The first failure stops the others from waiting out their own start periods.
            sv.setFailure(errorText(e));
            throw e;
          }
        })());
      }
      const results = await Promise.allSettled(ready.values());
      const firstError = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (firstError) sv.setFailure(errorText(firstError.reason));
      if (sv.aborted()) return sv.cleanup({});
      // The main task reports `running` once it is the attempt's handle, so the id recorded with
      // that transition names it.
      let mainRunning = false;
      let main: RunHandle | undefined = undefined;
      main = await o.driver.startMain({
        onPhase: (p) => { if (p !== 'running' || main) o.hooks.onPhase(p); else mainRunning = true; },
        ...(o.hooks.onNote ? { onNote: o.hooks.onNote } : {}),
        ...(o.hooks.onHealth ? { onHealth: o.hooks.onHealth } : {}),
      });
      const following = sv.follow(main);
      if (mainRunning) o.hooks.onPhase('running');
      return await following;
    } catch (e) {
      sv.setFailure(errorText(e));
      return sv.cleanup({});
    }
  };
  void run();
  return sv.handle;
}

/**
 * Supervises an attempt found again after a server restart: its units and main task are already
 * running (or have ended while the server was away, which `done` of each reports).
 */
export function resumeServices(o: {
  units: ReadonlyMap<string, UnitHandle>; main: RunHandle; hooks: LaunchHooks; graceMs: number; detachable: boolean;
  /** Removes what the attempt's services share (a network), after cleanup. */
  teardown?: () => Promise<void>;
}): RunHandle {
  const sv = supervision({ hooks: o.hooks, graceMs: o.graceMs, teardown: o.teardown ?? (() => Promise.resolve()), detachable: o.detachable });
  for (const [name, unit] of o.units) sv.addUnit(name, unit);
  void sv.follow(o.main);
  return sv.handle;
}

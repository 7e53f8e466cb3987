/** The supervisor's orchestration on in-memory units (the real drivers are covered end to end). */
import { describe, expect, it } from 'vitest';
import type { ResolvedService } from '@regatta/core';
import type { ExitInfo, RunHandle } from '../runtime.js';
import { superviseServices, type ServiceDriver, type UnitHandle } from './supervisor.js';

interface FakeUnit extends UnitHandle { exit(i: ExitInfo): void; healthy: boolean }

function fakeUnit(id: string, log: string[]): FakeUnit {
  let resolve!: (i: ExitInfo) => void;
  const done = new Promise<ExitInfo>((r) => { resolve = r; });
  const u: FakeUnit = {
    id, done, healthy: true,
    exit: (i) => resolve(i),
    stop: async () => { log.push(`stop ${id}`); resolve({ signal: 'SIGTERM' }); },
    probe: async () => u.healthy,
  };
  return u;
}

const svc = (name: string, dependsOn: string[] = [], health = true): ResolvedService => ({
  name, env: {}, ports: [], resources: { cpus: 0, memory: 0 }, datasets: [], dependsOn,
  ...(health ? { health: { check: { tcp: 1 }, intervalMs: 1, timeoutMs: 1, retries: 1, startPeriodMs: 50 } } : {}),
});

function setup(services: ResolvedService[], tweak: (units: Map<string, FakeUnit>) => void = () => undefined) {
  const log: string[] = [];
  const units = new Map<string, FakeUnit>();
  let main: FakeUnit | undefined;
  const driver: ServiceDriver = {
    prepare: async () => { log.push('prepare'); },
    startService: async (s) => {
      log.push(`start ${s.name}`);
      const u = fakeUnit(s.name, log);
      units.set(s.name, u);
      tweak(units);
      return u;
    },
    startMain: async (hooks): Promise<RunHandle> => {
      log.push('start main');
      main = fakeUnit('main', log);
      hooks.onPhase('running');
      return { externalId: 'main-id', done: main.done, stop: main.stop };
    },
    teardown: async () => { log.push('teardown'); },
  };
  const phases: string[] = [];
  const handle = superviseServices({
    services, driver, graceMs: 10, sleep: () => new Promise((r) => setTimeout(r, 1)),
    hooks: { onPhase: (p) => phases.push(p), onNote: (n) => log.push(n) },
  });
  return { log, units, phases, handle, main: () => main };
}

const until = async (cond: () => boolean) => { for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 2)); };

describe('superviseServices', () => {
  it('starts dependencies first, the main task last, and cleans up after it', async () => {
    const s = setup([svc('db'), svc('api', ['db'])]);
    const h = await s.handle;
    await until(() => s.main() !== undefined);
    expect(s.log).toEqual(['prepare', 'start db', 'service db healthy', 'start api', 'service api healthy', 'start main']);
    expect(h.externalId).toBe('services:main-id,db,api');
    s.main()?.exit({ exitCode: 0 });
    expect(await h.done).toEqual({ exitCode: 0 });
    expect(s.phases).toEqual(['running', 'cleanup']);
    expect(s.log.slice(-3)).toEqual(['stop db', 'stop api', 'teardown']);
  });

  it('fails naming a service that never becomes healthy, and never starts what depends on it', async () => {
    const s = setup([svc('db'), svc('api', ['db'])], (u) => { const db = u.get('db'); if (db) db.healthy = false; });
    const h = await s.handle;
    const info = await h.done;
    expect(info.error).toBe("service 'db' did not become healthy within 0s");
    expect(s.log).not.toContain('start api');
    expect(s.log).not.toContain('start main');
    expect(s.log.at(-1)).toBe('teardown');
  });

  it('stops the main task and fails the run when a service exits while it runs', async () => {
    const s = setup([svc('cache', [], false)]);
    const h = await s.handle;
    await until(() => s.main() !== undefined);
    s.units.get('cache')?.exit({ exitCode: 3 });
    const info = await h.done;
    expect(info.error).toBe("service 'cache' exited (exit code 3)");
    expect(s.log).toContain('stop main');
  });

  it('a stop while services start ends the attempt without starting the main task', async () => {
    const s = setup([svc('slow')], (u) => { const x = u.get('slow'); if (x) x.healthy = false; });
    const h = await s.handle;
    await until(() => s.units.has('slow'));
    await h.stop(10);
    const info = await h.done;
    expect(info.error).toBe("stopped while service 'slow' was starting");
    expect(s.log).not.toContain('start main');
  });

  it('one service failing to start stops the others from waiting out their start periods', async () => {
    const slow = { ...svc('slow'), health: { check: { tcp: 1 }, intervalMs: 1, timeoutMs: 1, retries: 1, startPeriodMs: 60_000 } };
    const s = setup([slow, svc('broken')], (u) => { const x = u.get('slow'); if (x) x.healthy = false; });
    const h = await s.handle;
    await until(() => s.units.has('broken'));
    s.units.get('broken')?.exit({ exitCode: 2 });
    const t0 = Date.now();
    const info = await h.done;
    expect(info.error).toBe("service 'broken' exited (exit code 2)");
    expect(Date.now() - t0).toBeLessThan(5_000); // not the slow service's 60 s start period
    expect(s.log).not.toContain('start main');
  });
});


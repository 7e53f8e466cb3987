/** Starting real Regatta servers and running the real CLI for end-to-end tests. */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { compileServerConfig, startServer, type RunningServer, type ServerConfigInput } from '@regatta/server';
import { RegattaClient, type GroupView, type RunDetail } from '@regatta/sdk';
import { openStore, type Store } from '@regatta/store';
import { postgresDatabase, testDbIsPostgres } from './postgres-env.js';

export const ROOT = resolve(import.meta.dirname, '..');
export const CLI = join(ROOT, 'packages/cli/bin/regatta.js');
export const TOKEN = 'test-admin-token';

const made: string[] = [];

/** Removes the temporary directories the test file made (test/setup.ts calls it after each file). */
export function removeTempDirs(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}

export function tempDir(prefix = 'regatta-test-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  // Tests run as root in CI, so process jobs run as the unprivileged job user: the directories
  // tests share with jobs (workdirs, files a job writes for the test) must be writable by it.
  chmodSync(d, 0o777);
  made.push(d);
  return d;
}

export interface TestServer {
  server: RunningServer;
  url: string;
  api: RegattaClient;
  dataDir: string;
  close(): Promise<void>;
}

/** The store a test server on `dataDir` will use (PostgreSQL under REGATTA_TEST_DB=postgres), for seeding it directly. */
export async function openTestStore(dataDir: string): Promise<Store> {
  return openStore(testDbIsPostgres() ? await postgresDatabase(dataDir) : join(dataDir, 'regatta.db'));
}

export async function startTestServer(overrides: Omit<ServerConfigInput, 'data' | 'port'> & { data?: string; port?: number } = {}): Promise<TestServer> {
  const dataDir = overrides.data ?? tempDir();
  const db = overrides.db ?? (testDbIsPostgres() ? await postgresDatabase(dataDir) : undefined);
  const config = compileServerConfig({ logLevel: process.env.REGATTA_TEST_LOG === 'error' ? 'error' : 'silent', stopGrace: '1s', ...overrides, data: dataDir, port: overrides.port ?? 0, ...(db ? { db } : {}) }, { REGATTA_TOKEN: TOKEN });
  const server = await startServer(config, { env: { ...process.env, REGATTA_TOKEN: TOKEN } });
  return {
    server,
    url: server.url,
    dataDir,
    api: new RegattaClient({ url: server.url, token: TOKEN }),
    close: async () => {
      await server.close();
      if (overrides.data) return;
      // Closing a server leaves its runs running (they outlive it); a test's private data dir goes,
      // so what its supervisor still runs goes too.
      stopSupervisorOf(dataDir);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Kills the supervisor serving `dataDir` and the process group of every job it still runs. */
function stopSupervisorOf(dataDir: string): void {
  const sock = join(dataDir, 'supervisor.sock');
  const kill = (pid: number) => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  };
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (!argv.some((a) => a.endsWith('supervisor-process.js')) || !argv.includes(sock)) continue;
    const pid = Number(entry);
    let children: number[] = [];
    try {
      children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    } catch {
      // No children file: only the supervisor goes.
    }
    for (const child of children) kill(-child); // each job leads its own process group
    kill(pid);
  }
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], opts: { url?: string; token?: string; env?: Record<string, string>; cwd?: string; input?: string } = {}): Promise<CliResult> {
  return new Promise((resolvePromise) => {
    const child = execFile(process.execPath, [CLI, ...args], {
      cwd: opts.cwd ?? ROOT,
      env: {
        ...process.env,
        ...(opts.url ? { REGATTA_URL: opts.url } : {}),
        REGATTA_TOKEN: opts.token ?? TOKEN,
        ...opts.env,
      },
      timeout: 60_000,
    }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolvePromise({ code, stdout, stderr });
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** Starts `regatta server` as its own process (for kill -9 tests); resolves once it answers. */
export async function spawnServer(dataDir: string, port: number, extraArgs: string[] = []): Promise<ChildProcess> {
  const db = testDbIsPostgres() && !extraArgs.includes('--db') ? ['--db', await postgresDatabase(dataDir)] : [];
  const child = spawn(process.execPath, [CLI, 'server', '--data', dataDir, '--port', String(port), '--log-level', 'warn', ...db, ...extraArgs], {
    env: { ...process.env, REGATTA_TOKEN: TOKEN },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const api = new RegattaClient({ url: `http://127.0.0.1:${port}`, token: TOKEN });
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      await api.health();
      await api.queues(); // waits until recovery finished
      return child;
    } catch {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`server on port ${port} did not start`);
      await sleep(50);
    }
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/** Polls a group until it has ended (any status but running). */
export function waitForGroup(api: RegattaClient, id: string, timeoutMs = 60_000): Promise<GroupView> {
  return waitFor(`group ${id} to end`, async () => {
    const g = await api.getGroup(id);
    return g.status !== 'running' ? g : undefined;
  }, timeoutMs);
}

export async function waitForStatus(api: RegattaClient, id: string, status: string): Promise<RunDetail> {
  return waitFor(`run ${id} to be ${status}`, async () => {
    const r = await api.getRun(id);
    return r.status === status ? r : undefined;
  });
}

export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((res) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => res(port));
    });
  });
}

/** Waits for a job to write its pid (a positive number) to `file`. */
export function readPidFile(file: string): Promise<number> {
  return waitFor(`pid in ${file}`, async () => {
    try {
      const n = Number(readFileSync(file, 'utf8').trim());
      return n > 0 ? n : undefined;
    } catch {
      return undefined;
    }
  });
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function readAll(stream: ReadableStream<Uint8Array>): Promise<string> {
  return new Response(stream).text();
}

/** The most intervals open at once (for concurrency observed from run events). */
export function maxOverlap(iv: readonly { start: number; end: number }[]): number {
  const points = iv.flatMap((i) => [[i.start, 1], [i.end, -1]] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let cur = 0;
  let max = 0;
  for (const [, d] of points) max = Math.max(max, (cur += d));
  return max;
}

/** [start, end] of each run's running phase, from its recorded events. */
export async function runningIntervals(api: RegattaClient, ids: readonly string[]): Promise<{ id: string; start: number; end: number }[]> {
  return Promise.all(ids.map(async (id) => {
    const { items } = await api.events(id);
    const ts = (pred: (e: { to: string; from: string | null }) => boolean) => Date.parse(items.find(pred)?.ts ?? '');
    return { id, start: ts((e) => e.to === 'running'), end: ts((e) => e.from === 'running') };
  }));
}

/** Runs one of the test-environment scripts (scripts/*-test-env.sh) and returns what it printed. */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { basename } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export async function runEnvScript(script: string, args: string[], timeoutMs: number): Promise<string> {
  try {
    const { stdout } = await execFileAsync(script, args, { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 16 << 20 });
    return stdout;
  } catch (err) {
    // execFile's message already holds the script's stderr (a daemon's log tail on start failures).
    throw new Error(`${basename(script)} ${args.join(' ')} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

export interface StartedEnv {
  /** The env's state directory (removed by stop). */
  dir: string;
  /** The KEY=VALUE lines `start` printed. */
  vars: Map<string, string>;
  /** Stops the env; safe to call more than once. */
  stop(): Promise<void>;
}

/**
 * `SCRIPT start DIR` in a fresh DIR (`/tmp/<prefix>XXXXXX`: short, as unix socket paths must stay
 * under 108 bytes), with `SCRIPT stop DIR` guaranteed: on stop(), when `start` or `use` fails, and as
 * a last resort when the test process exits without stopping it.
 */
export async function startEnv<T>(script: string, prefix: string, use: (env: StartedEnv) => T | Promise<T>, startArgs: string[] = []): Promise<T> {
  const dir = await mkdtemp(`/tmp/${prefix}`);
  let stopping: Promise<void> | undefined;
  const stopSync = (): void => {
    try {
      execFileSync(script, ['stop', dir], { stdio: 'ignore', timeout: 60_000 });
    } catch {
      // Nothing more can be done while exiting.
    }
  };
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      process.off('exit', stopSync);
      await runEnvScript(script, ['stop', dir], 120_000);
    })();
    return stopping;
  };
  process.on('exit', stopSync);
  try {
    const vars = new Map<string, string>();
    for (const line of (await runEnvScript(script, ['start', dir, ...startArgs], 120_000)).split('\n')) {
      const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim());
      if (m?.[1] !== undefined && m[2] !== undefined) vars.set(m[1], m[2]);
    }
    return await use({ dir, vars, stop });
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}

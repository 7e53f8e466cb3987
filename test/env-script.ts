/** Runs one of the test-environment scripts (scripts/*-test-env.sh) and returns what it printed. */
import { execFile } from 'node:child_process';
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

/** How every client command finds the server: --url/--token, else REGATTA_URL/REGATTA_TOKEN. */
import { RegattaClient } from '@regatta/sdk';

/** The global flags as commander gives them (each may be unset). */
export interface GlobalOptions {
  url?: string | undefined;
  token?: string | undefined;
}

export function clientFrom(opts: GlobalOptions, env: NodeJS.ProcessEnv = process.env): RegattaClient {
  const token = opts.token ?? env.REGATTA_TOKEN;
  return new RegattaClient({ url: opts.url ?? env.REGATTA_URL ?? 'http://127.0.0.1:8080', ...(token ? { token } : {}) });
}

/** Exit status of `run --wait/--follow`: the job's own, or a conventional one for other endings. */
export function exitCodeFor(status: string, exitCode: number | undefined): number {
  switch (status) {
    case 'succeeded': return 0;
    case 'failed': return exitCode !== undefined && exitCode > 0 ? Math.min(exitCode, 255) : 1;
    case 'canceled': return 130;
    case 'timed_out': return 124;
    default: return 1;
  }
}

/** Where the files of a run's services live within its attempt directory. */
import { join } from 'node:path';
import type { AttemptPaths } from '../runtime.js';

/** One log file per service, beside the main task's log. */
export function serviceLogPath(paths: AttemptPaths, service: string): string {
  return join(paths.dir, 'services', `${service}.log`);
}

/** A service's $REGATTA_OUTPUTS: its artifacts appear under services/<name>/. */
export function serviceOutputs(paths: AttemptPaths, service: string): string {
  return join(paths.outputs, 'services', service);
}

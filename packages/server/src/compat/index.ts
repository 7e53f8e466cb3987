/** Mounts the compatibility facades the configuration switches on (none by default). */
import type { FastifyInstance } from 'fastify';
import { registerBenchmarkFacade } from './benchmark-facade.js';
import type { CompatConfig } from './compat-config.js';
import type { FacadeDeps } from './facade.js';
import { registerTrainingFacade } from './training-facade.js';

export type { CompatConfig } from './compat-config.js';
export type { FacadeDeps } from './facade.js';

/** The prefixes mounted, so a 401 under them can invite HTTP Basic credentials (clients that only take a URL). */
export async function registerCompat(app: FastifyInstance, deps: FacadeDeps, config: CompatConfig): Promise<string[]> {
  const prefixes: string[] = [];
  if (config.benchmark) {
    await registerBenchmarkFacade(app, deps, config.benchmark);
    prefixes.push(config.benchmark.prefix);
  }
  if (config.training) {
    await registerTrainingFacade(app, deps, config.training);
    prefixes.push(config.training.prefix);
  }
  return prefixes;
}

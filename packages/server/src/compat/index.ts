/** Mounts the compatibility facades the configuration switches on (none by default). */
import type { FastifyInstance } from 'fastify';
import type { Principal } from '../auth.js';
import { createAddressMatcher } from './anonymous.js';
import { registerBenchmarkFacade } from './benchmark-facade.js';
import type { CompatConfig } from './compat-config.js';
import type { FacadeDeps } from './facade.js';
import { registerTrainingFacade } from './training-facade.js';

export type { CompatConfig } from './compat-config.js';
export type { FacadeDeps } from './facade.js';

export interface CompatMount {
  /** The prefixes mounted, so a 401 under them can invite HTTP Basic credentials (clients that only take a URL). */
  prefixes: string[];
  /**
   * The principal of a request without credentials: anonymous to a facade when the route it matched
   * is one of that facade's and the peer address is in its allowAnonymousFrom; otherwise none.
   */
  anonymous(route: string | undefined, address: string | undefined): Principal | undefined;
}

export const NO_COMPAT: CompatMount = { prefixes: [], anonymous: () => undefined };

export async function registerCompat(app: FastifyInstance, deps: FacadeDeps, config: CompatConfig): Promise<CompatMount> {
  const mounted: { facade: 'benchmark' | 'training'; prefix: string; allows: (a: string | undefined) => boolean }[] = [];
  if (config.benchmark) {
    await registerBenchmarkFacade(app, deps, config.benchmark);
    mounted.push({ facade: 'benchmark', prefix: config.benchmark.prefix, allows: createAddressMatcher(config.benchmark.allowAnonymousFrom) });
  }
  if (config.training) {
    await registerTrainingFacade(app, deps, config.training);
    mounted.push({ facade: 'training', prefix: config.training.prefix, allows: createAddressMatcher(config.training.allowAnonymousFrom) });
  }
  return {
    prefixes: mounted.map((m) => m.prefix),
    anonymous(route, address) {
      // The matched route pattern, not the raw URL: no spelling of a path reaches another route.
      const m = route ? mounted.find((x) => route.startsWith(`${x.prefix}/`)) : undefined;
      return m?.allows(address) ? { kind: 'anonymous', facade: m.facade } : undefined;
    },
  };
}

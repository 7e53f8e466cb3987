/**
 * The composition root: config → data directory → store → runtimes → backends → engine → HTTP.
 * Nothing below this file reads the environment or picks a default backend by itself.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import Fastify, { LogController } from 'fastify';
import multipart from '@fastify/multipart';
import swagger from '@fastify/swagger';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { RegattaError, VERSION, systemClock, type Clock } from '@regatta/core';
import { attemptPaths, createEngine, type Engine } from '@regatta/engine';
import { createArtifactStore } from './artifact-store-config.js';
import { composeBackends } from './compose-backends.js';
import { refuseForeignLinks, secureDataDir } from './data-dir.js';
import { openStore } from '@regatta/store';
import { registerOperations } from './http/metrics-routes.js';
import { CSRF_HEADER, createAuthenticator, ensureAdminToken, ensureBootstrapUser, principalFromCookie, tokenOf, type Principal } from './auth.js';
import { NO_COMPAT, registerCompat, type CompatMount } from './compat/index.js';
import type { ServerConfig } from './config.js';
import { registerAdminRoutes } from './http/admin-routes.js';
import { registerArtifactRoutes } from './http/artifacts-routes.js';
import type { RouteContext } from './http/context.js';
import { registerDatasetRoutes } from './http/datasets-routes.js';
import { registerEventRoutes } from './http/events-routes.js';
import { registerGroupRoutes } from './http/groups-routes.js';
import { registerLogRoutes } from './http/logs-routes.js';
import { openApiTransform, openApiTransformObject, passthroughSerializer } from './http/openapi.js';
import { createErrorHandler, sendProblem } from './http/problem.js';
import { createProxy, serverWithProxy, type Proxy } from './http/proxy-routes.js';
import { registerReportRoutes } from './http/reports-routes.js';
import { registerRunRoutes } from './http/runs-routes.js';
import { registerSessionRoutes } from './http/session-routes.js';
import { registerRoleGate } from './http/role-gate.js';
import { userRoutes } from './http/users-routes.js';
import { registerTemplateRoutes } from './http/templates-routes.js';
import { registerUploadRoutes } from './http/uploads-routes.js';
import { registerBodyParsers } from './http/body-parsers.js';
import { validatorCompiler } from './http/validation.js';
import { defaultWebDir, isPageRequest, registerWebUi } from './http/web-ui.js';

const PUBLIC_ROUTES = new Set(['/api/v1/health', '/api/openapi.json', '/api/v1/schema/job-spec']);
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface RunningServer {
  url: string;
  port: number;
  engine: Engine;
  /** The admin token created at first start, in clear text; undefined on later starts. */
  createdAdminToken?: string;
  /** The separate /metrics and /health listener (`metrics.listen`), when configured. */
  metricsUrl?: string;
  /**
   * Stops the server. Active runs keep running and the next start re-attaches them; with `drain`,
   * it first waits for every active run to end (queued runs stay queued), still serving the API.
   */
  close(o?: { drain?: boolean }): Promise<void>;
}

function loadSecret(dataDir: string): Buffer {
  const file = join(dataDir, 'secret');
  try {
    return readFileSync(file);
  } catch {
    const secret = randomBytes(32);
    writeFileSync(file, secret, { mode: 0o600, flag: 'wx' });
    return secret;
  }
}

export async function startServer(config: ServerConfig, deps: { env: Record<string, string | undefined>; clock?: Clock }): Promise<RunningServer> {
  const clock = deps.clock ?? systemClock;
  const runsDir = join(config.dataDir, 'runs');
  secureDataDir(config.dataDir);
  mkdirSync(runsDir, { recursive: true });
  const secret = loadSecret(config.dataDir);
  const store = await openStore(config.db);
  secureDataDir(config.dataDir); // the WAL files SQLite just made

  // The service proxy (its paths, and app origins' hosts) is split off before the API's router sees it.
  const proxied: { proxy?: Proxy } = {};
  const app = Fastify({
    serverFactory: serverWithProxy(() => proxied.proxy),
    logger: config.logLevel === 'silent' ? false : { level: config.logLevel },
    bodyLimit: config.bodyLimit,
    logController: new LogController({ disableRequestLogging: config.logLevel !== 'debug' && config.logLevel !== 'trace' }),
    routerOptions: { maxParamLength: 1000 },
    // Errors the router raises before any route (a bad URL, a path parameter over the limit) get the same problem+json.
    frameworkErrors: (e, req, reply) => createErrorHandler(req.log)(e, req, reply),
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(passthroughSerializer);
  registerBodyParsers(app, config);

  const { local, pool, slurm, uploadsDir, filesDir, close: closeBackends } = await composeBackends(config, { store, clock, logger: app.log, env: deps.env });
  let apiUrl = config.publicUrl ?? '';
  const artifacts = createArtifactStore(config.artifactStore, {
    outputsDir: (id, n) => attemptPaths(runsDir, id, n).outputs, guard: refuseForeignLinks(config.dataDir),
  });
  const engine = createEngine({
    store, backends: slurm ? [local, pool, slurm] : [local, pool], clock, logger: app.log, runsDir, apiUrl: () => apiUrl, secret, stopGraceMs: config.stopGraceMs, allowedHostPaths: config.docker.allowedHostPaths, privateHostPaths: [config.dataDir], filesDir,
    datasetPath: async (name) => (await store.listDatasets()).find((d) => d.name === name)?.path,
    ...(config.proxy.domain ? { proxyPath: () => '/' } : {}),
    maxFanoutItems: config.limits.fanoutItems,
    queueBackends: Object.fromEntries(Object.entries(config.queues).flatMap(([q, c]) => (c.backend ? [[q, c.backend]] : []))),
    queuePerUser: Object.fromEntries(Object.entries(config.queues).flatMap(([q, c]) => (c.perUser !== undefined ? [[q, c.perUser]] : []))),
    storage: { artifacts, archiveLogs: config.artifactStore.type === 's3' && config.artifactStore.archiveLogs },
  });
  const ctx: RouteContext = { engine, store, runsDir, pool, localNode: config.node.name, artifacts };

  await app.register(multipart);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Regatta API', version: VERSION, description: 'Runs, logs, metrics, results and artifacts.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: openApiTransform,
    transformObject: openApiTransformObject,
  });

  const auth = createAuthenticator(store, secret, config.adminToken, () => clock.now());
  // Requests wait until recovery of interrupted runs is done, so nothing schedules on stale state.
  let markReady: () => void = () => {};
  const ready = new Promise<void>((r) => { markReady = r; });
  let compat: CompatMount = NO_COMPAT;
  // A token (Bearer, or Basic for URL-only clients), else the browser's session cookie (pages, EventSource, the proxy).
  const whoIs = async (headers: IncomingHttpHeaders): Promise<{ principal: Principal | undefined; token: string | undefined }> => {
    const token = tokenOf(headers.authorization);
    if (token) return { principal: await auth.authenticate(token), token };
    return { principal: await principalFromCookie(auth, headers.cookie, clock.now()), token };
  };
  app.addHook('onRequest', async (req, reply) => {
    const path = req.url.split('?')[0] ?? '';
    if (PUBLIC_ROUTES.has(path) || (path === '/api/v1/session' && req.method !== 'GET')) return;
    // The web UI's files (the static wildcard, or no route: the page fallback) hold no data; an
    // unknown API path (which the wildcard matches too) still asks for a token first, as before.
    const route = req.routeOptions.url;
    if (!path.startsWith('/api/') && (route === undefined || route === '/*' || route === '/')) return;
    await ready;
    const { principal, token } = await whoIs(req.headers);
    // SameSite=Strict keeps the cookie off cross-site requests already; a header that a form cannot
    // send (and a cross-origin fetch cannot without a preflight we never grant) is a second lock.
    if (principal && !token && !SAFE_METHODS.has(req.method) && req.headers[CSRF_HEADER] !== '1') {
      throw new RegattaError('forbidden', `a request signed in by cookie that changes state needs the header ${CSRF_HEADER}: 1`);
    }
    const anonymous = principal || token ? undefined : compat.anonymous(route, req.socket.remoteAddress);
    if (anonymous) {
      req.principal = anonymous;
      return;
    }
    if (!principal) {
      // Clients of the facades may only take a URL: invite them to send http://user:TOKEN@host/...
      if (compat.prefixes.some((p) => path === p || path.startsWith(`${p}/`))) reply.header('www-authenticate', 'Basic realm="regatta", charset="UTF-8"');
      throw new RegattaError('unauthorized', token ? await auth.refusal(token) : 'send a token: Authorization: Bearer <token>, or sign in');
    }
    req.principal = principal;
  });
  registerRoleGate(app, store);
  app.setErrorHandler(createErrorHandler(app.log));
  const sendPage = await registerWebUi(app, config.webDir ?? defaultWebDir());
  app.setNotFoundHandler((req, reply) => {
    if (isPageRequest(req)) return sendPage(req, reply);
    return sendProblem(reply, req, new RegattaError('not_found', `no route ${req.method} ${req.url.split('?')[0]}`));
  });

  registerAdminRoutes(app, ctx, VERSION);
  registerRunRoutes(app, ctx);
  registerLogRoutes(app, ctx);
  registerReportRoutes(app, ctx);
  registerArtifactRoutes(app, ctx);
  registerGroupRoutes(app, ctx);
  registerEventRoutes(app, ctx);
  registerSessionRoutes(app, auth, store, () => clock.now());
  await app.register(userRoutes(store, auth, () => clock.now()));
  registerDatasetRoutes(app, ctx, filesDir, { dataDir: config.dataDir, uploadsDir });
  registerUploadRoutes(app, uploadsDir, { maxBytes: config.uploadLimit, maxFiles: 100_000 });
  registerTemplateRoutes(app, ctx, uploadsDir, { maxBytes: config.uploadLimit, maxFiles: 1000 }, config.limits.fanoutItems);
  const proxy = createProxy(ctx, {
    authenticate: async (headers) => {
      await ready;
      return (await whoIs(headers)).principal;
    },
    secret, now: () => clock.now(), uiUrl: () => apiUrl, ...config.proxy,
  });
  proxied.proxy = proxy;
  app.server.on('upgrade', proxy.upgrade);
  app.addHook('preClose', async () => proxy.closeTunnels());
  app.get('/api/openapi.json', { schema: { hide: true } }, () => app.swagger());
  const operations = await registerOperations(app, ctx, {
    backends: [local, pool, ...(slurm ? [slurm] : [])].map((b) => b.name), now: () => clock.now(), ...(config.metrics.listen ? { listen: config.metrics.listen } : {}),
  });

  for (const [name, q] of Object.entries(config.queues)) await engine.setQueue(name, q.concurrency);
  compat = await registerCompat(app, {
    ctx, apiUrl: () => apiUrl, uploadsDir, filesDir, uploadLimits: { maxBytes: config.uploadLimit, maxFiles: 1000 }, allowedHostPaths: config.docker.allowedHostPaths,
  }, config.compat);
  await ensureBootstrapUser(store, clock.now());
  const createdAdminToken = config.adminToken ? undefined : await ensureAdminToken(store, clock.now());

  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  apiUrl ||= url;
  await engine.start();
  markReady();

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    engine,
    ...(createdAdminToken ? { createdAdminToken } : {}),
    ...(operations.url ? { metricsUrl: operations.url } : {}),
    close(o = {}) {
      closing ??= (async () => {
        await engine.shutdown(o);
        await app.close();
        await operations.close();
        await store.close();
        await closeBackends();
        await artifacts.close();
      })();
      return closing;
    },
  };
}

/**
 * The Benchmark Platform Controller API (seed 003) on Regatta: a benchmark is a run of the
 * configured template (the target system as services, the benchmark tools as its task) in a queue
 * of concurrency 1; its result id is a label of that run, so the run is an ordinary one in the CLI
 * and UI. The benchmark posts its result to `set_result` with its run token (or, from a network the
 * admin lets in anonymously, with none, as the original's benchmark tools do).
 */
import { randomUUID } from 'node:crypto';
import {
  ConflictError, NotFoundError, RegattaError, SpecError, isTerminal, type RunRecord,
} from '@regatta/core';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { userOf } from '../http/context.js';
import { specOf } from '../http/templates-routes.js';
import { registerBenchmarkExtras, type BenchmarkFacade } from './benchmark-extras.js';
import {
  LABEL_RESULT_ID, benchmarkOverrides, benchmarkStatus, requestJson, requestPath, resultParams, runBenchmarkBody,
} from './benchmark-request.js';
import type { BenchmarkFacadeConfig } from './compat-config.js';
import { createSerializer, isFacadeCaller, refuseOtherMethods, type FacadeDeps } from './facade.js';
import { benchmarkResponses } from './facade-responses.js';

const ACTIVE = ['starting', 'building', 'running', 'cleanup'] as const;
const ENDED = ['succeeded', 'failed', 'canceled', 'timed_out', 'lost'] as const;

/** Reads any content type as JSON, as the original's clients (wget --post-data) send it without one. */
function parseJson(_req: unknown, body: string, done: (err: Error | null, body?: unknown) => void): void {
  if (!body.trim()) return done(null, undefined);
  try {
    done(null, JSON.parse(body));
  } catch (e) {
    done(new RegattaError('invalid_request', `the body is not JSON: ${(e as Error).message}`, { issues: [{ path: 'body', message: 'expected JSON' }] }));
  }
}

export async function registerBenchmarkFacade(app: FastifyInstance, deps: FacadeDeps, cfg: BenchmarkFacadeConfig): Promise<void> {
  const { engine, store } = deps.ctx;
  const serial = createSerializer();
  const resultUrl = (id: string) => `${deps.apiUrl()}${cfg.prefix}/api/v1.0/set_result/${id}`;
  // One benchmark at a time, unless the admin set the queue otherwise.
  if (!(await store.listQueues()).some((q) => q.name === cfg.queue && q.concurrency !== undefined)) await engine.setQueue(cfg.queue, 1);

  /** Seconds until the queue is likely free: the mean length of recent benchmarks, less what the current one has run. */
  const waitSeconds = async (): Promise<number> => {
    const recent = (await store.listRuns({ queue: cfg.queue, status: [...ENDED], limit: 10 })).runs
      .flatMap((r) => (r.startedAt !== undefined && r.finishedAt !== undefined ? [r.finishedAt - r.startedAt] : []));
    if (!recent.length) return Math.ceil(cfg.waitMs / 1000);
    const mean = recent.reduce((a, b) => a + b, 0) / recent.length;
    const now = Date.now();
    const active = (await store.listRuns({ queue: cfg.queue, status: [...ACTIVE], limit: 100 })).runs;
    const queued = engine.queueStats().get(cfg.queue)?.queued ?? 0;
    const left = active.reduce((sum, r) => sum + Math.max(0, mean - (now - (r.startedAt ?? now))), 0) + queued * mean;
    return Math.max(5, Math.ceil(left / 1000));
  };

  const facade: BenchmarkFacade = {
    async findRun(resultId) {
      const { runs } = await store.listRuns({ labels: { [LABEL_RESULT_ID]: resultId }, limit: 1 });
      const run = runs[0];
      if (!run) throw new NotFoundError('benchmark result', resultId);
      return run;
    },
    checkAccess(req, run, what, live = false) {
      const p = req.principal;
      if (isFacadeCaller(p, 'benchmark')) return;
      if (run && p?.kind === 'run' && p.runId === run.id && (!live || engine.isLiveAttempt(run.id, p.attempt))) return;
      throw new RegattaError('forbidden', `${what} needs an admin token${run ? ' (or this benchmark\'s own run token)' : ''}`);
    },
    start: (body, createdBy) => serial(async () => {
      const t = await store.getTemplate(cfg.template);
      if (!t) throw new ConflictError(`the benchmark template '${cfg.template}' does not exist (regatta template push ${cfg.template} ...)`);
      const stats = engine.queueStats().get(cfg.queue);
      if (cfg.busy === 'refuse' && stats && stats.queued + stats.active > 0) return { wait: await waitSeconds() };
      const resultId = randomUUID();
      const { overrides, issues, warnings } = benchmarkOverrides({
        body, template: t.spec, queue: cfg.queue, resultId, resultUrl: resultUrl(resultId),
        ...(cfg.datasetServices ? { datasetServices: cfg.datasetServices } : {}), allowedHostPaths: deps.allowedHostPaths,
      });
      if (issues.length) throw new RegattaError('invalid_request', `invalid request: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, { issues });
      let run: RunRecord;
      try {
        run = await engine.submit(specOf(t, overrides), { template: { name: t.name, version: t.version }, ...(createdBy !== undefined ? { createdBy } : {}) });
      } catch (e) {
        if (!(e instanceof SpecError)) throw e;
        const named = new Set(Object.keys(body.override_services ?? {}));
        const mapped = e.issues.map((i) => ({ path: requestPath(i.path, named), message: i.message }));
        throw new SpecError(`the benchmark cannot run: ${mapped.map((i) => `${i.path}: ${i.message}`).join('; ')}`, mapped);
      }
      for (const w of warnings) await engine.noteRun(run.id, `warning: ${w}`);
      return { result_id: resultId, run_id: run.id, ...(warnings.length ? { warnings } : {}) };
    }),
  };

  await app.register(async (plain) => {
    const r = plain.withTypeProvider<ZodTypeProvider>();
    r.removeContentTypeParser('text/plain');
    r.addContentTypeParser('*', { parseAs: 'string' }, parseJson);
    r.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, parseJson);
    const tags = ['compat: benchmark'];

    r.post('/api/v1.0/run_benchmark', {
      schema: { body: runBenchmarkBody.optional(), summary: 'Start a benchmark: {result_id}, or {wait} when busy and configured to refuse', tags, response: benchmarkResponses.started },
    }, async (req) => {
      facade.checkAccess(req, undefined, 'run_benchmark');
      return facade.start(req.body ?? {}, userOf(req));
    });

    r.get('/api/v1.0/get_result/:result_id', {
      schema: { params: resultParams, summary: 'Status (RUNNING, CLEANUP, FINISHED) and result of a benchmark', tags, response: benchmarkResponses.result },
    }, async (req) => {
      const run = await facade.findRun(req.params.result_id);
      facade.checkAccess(req, run, 'get_result');
      return {
        status: benchmarkStatus(run.status),
        result: run.result ?? null,
        run_id: run.id,
        run_status: run.status,
        ...(run.status === 'queued' ? { queue_position: await store.queuePosition(run) } : {}),
        ...(isTerminal(run.status) && run.reason ? { reason: run.reason } : {}),
      };
    });

    r.post('/api/v1.0/set_result/:result_id', {
      schema: {
        params: resultParams, summary: "The benchmark's result webhook: a non-empty JSON result; again during cleanup, forces the end", tags,
        response: benchmarkResponses.setResult,
      },
    }, async (req) => {
      const run = await facade.findRun(req.params.result_id);
      facade.checkAccess(req, run, 'set_result', true);
      const ended = () => new RegattaError('invalid_request', `benchmark ${req.params.result_id} has already finished (${run.status})`);
      if (isTerminal(run.status)) throw ended();
      const again = run.status === 'cleanup' || run.result !== undefined;
      // As the original: the first call needs a result; one during cleanup only forces the end.
      if (!again) requestJson(req.body, 'the result');
      if (run.status === 'queued') throw new ConflictError(`benchmark ${req.params.result_id} is queued and has not started (regatta cancel ${run.id})`);
      try {
        if (again) {
          // Asked again: whatever is left of the run is stopped now (the original's "unstuck").
          await engine.finishRun(run.id);
          return { status: 'ok', result_id: req.params.result_id, benchmark_status: 'CLEANUP', forced: true };
        }
        await engine.setResult(run.id, req.body);
      } catch (e) {
        if (e instanceof ConflictError) throw ended();
        throw e;
      }
      return { status: 'ok', result_id: req.params.result_id, benchmark_status: 'CLEANUP' };
    });

    registerBenchmarkExtras(plain, deps, cfg, facade);

    // Flask answers 405 to a method a route does not take.
    const notAllowed = (reply: FastifyReply, method: string) => {
      void reply.type('application/problem+json').send({ title: 'Method Not Allowed', status: 405, detail: `${method} is not allowed here` });
    };
    for (const [url, methods] of [
      ['/api/v1.0/run_benchmark', ['POST']], ['/api/v1.0/run_benchmark_from_template', ['POST']], ['/api/v1.0/benchmarks', ['GET']],
      ['/api/v1.0/get_result/:result_id', ['GET']], ['/api/v1.0/set_result/:result_id', ['POST']], ['/api/v1.0/mask_as_finished/:result_id', ['POST']],
      ['/api/v1.0/set_artefacts/:result_id', ['POST']], ['/api/v1.0/get_artefacts/:result_id', ['GET']],
    ] as const) refuseOtherMethods(plain, url, methods, notAllowed);
  }, { prefix: cfg.prefix });
}

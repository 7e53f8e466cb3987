/**
 * The benchmark controller's other routes: run_benchmark_from_template (request bodies kept as
 * `<name>.json` files, as the original's benchmark_templates/), benchmarks (the list),
 * set_artefacts/get_artefacts (the benchmark's outputs), and mask_as_finished (sic).
 */
import { createReadStream } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { create as createTar } from 'tar';
import { z } from 'zod';
import { NotFoundError, RegattaError, isTerminal, zodIssues, type RunRecord } from '@regatta/core';
import { attemptPaths } from '@regatta/engine';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { resolveInside } from '@regatta/artifacts';
import {
  LABEL_RESULT_ID, benchmarkStatus, requestJson, resultParams, runBenchmarkBody, type RunBenchmarkBody,
} from './benchmark-request.js';
import type { BenchmarkFacadeConfig } from './compat-config.js';
import { userOf } from '../http/context.js';
import { facadeRuns, type FacadeDeps } from './facade.js';
import { benchmarkResponses } from './facade-responses.js';

/** What the facade's routes share. */
export interface BenchmarkFacade {
  findRun(resultId: string): Promise<RunRecord>;
  /** Admin, an anonymous caller let in to this facade, or the benchmark run itself (its live run token with `live`). */
  checkAccess(req: FastifyRequest, run: RunRecord | undefined, what: string, live?: boolean): void;
  /** `createdBy`: the person who asked, when one did (anonymous callers let in by network are nobody). */
  start(body: RunBenchmarkBody, createdBy?: string): Promise<{ result_id: string; run_id: string; warnings?: string[] } | { wait: number }>;
}

const ARTEFACTS_NOTE = 'artefacts: ';
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The request bodies in the templates directory, by name (the file name without .json). */
async function templateNames(dir: string | undefined): Promise<string[]> {
  if (!dir) return [];
  try {
    return (await readdir(dir)).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5));
  } catch {
    return [];
  }
}

export function registerBenchmarkExtras(app: FastifyInstance, deps: FacadeDeps, cfg: BenchmarkFacadeConfig, facade: BenchmarkFacade): void {
  const { engine, store, runsDir } = deps.ctx;
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['compat: benchmark'];

  r.post('/api/v1.0/run_benchmark_from_template', {
    schema: { summary: 'Start a benchmark from a stored request body: {template_name, template_override}', tags, response: benchmarkResponses.started },
  }, async (req) => {
    facade.checkAccess(req, undefined, 'run_benchmark_from_template');
    requestJson(req.body, 'the request');
    const body = isObject(req.body) ? req.body : {};
    const name = body.template_name;
    // The name is looked up in the directory listing, never joined into a path as given.
    if (typeof name !== 'string' || !(await templateNames(cfg.templatesDir)).includes(name)) {
      throw new RegattaError('invalid_request', `Template Name "${String(name)}" is invalid.`, {
        issues: [{ path: 'template_name', message: cfg.templatesDir ? `one of: ${(await templateNames(cfg.templatesDir)).join(', ') || '(none)'}` : 'no templates directory is configured (compat.benchmark.templatesDir)' }],
      });
    }
    let stored: unknown;
    try {
      stored = JSON.parse(await readFile(join(cfg.templatesDir ?? '', `${name}.json`), 'utf8'));
    } catch (e) {
      throw new RegattaError('invalid_request', `template ${name} is not readable JSON: ${(e as Error).message}`, { issues: [{ path: 'template_name', message: 'not JSON' }] });
    }
    const override = body.template_override ?? {};
    if (!isObject(override)) throw new RegattaError('invalid_request', 'template_override must be an object', { issues: [{ path: 'template_override', message: 'expected an object' }] });
    // As the original: the override replaces the template's top-level fields (dict.update).
    const parsed = runBenchmarkBody.safeParse({ ...(isObject(stored) ? stored : {}), ...override });
    if (!parsed.success) {
      const issues = zodIssues(parsed.error, runBenchmarkBody);
      throw new RegattaError('invalid_request', `invalid request: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, { issues });
    }
    return facade.start(parsed.data, userOf(req));
  });

  r.get('/api/v1.0/benchmarks', { schema: { summary: 'Every benchmark, newest first, as its get_result path', tags, response: benchmarkResponses.list } }, async (req) => {
    facade.checkAccess(req, undefined, 'benchmarks');
    const runs = await facadeRuns(store, 'benchmark');
    return { benchmarks: runs.map((x) => `${cfg.prefix}/api/v1.0/get_result/${x.labels[LABEL_RESULT_ID] ?? ''}`) };
  });

  r.post('/api/v1.0/mask_as_finished/:result_id', {
    schema: { params: resultParams, summary: 'Mark a benchmark finished: 200 when it is (or with {"forced": true} stops what is left), else 202', tags, response: benchmarkResponses.masked },
  }, async (req, reply) => {
    requestJson(req.body, 'the request');
    const run = await facade.findRun(req.params.result_id);
    facade.checkAccess(req, run, 'mask_as_finished');
    if (isTerminal(run.status)) throw new RegattaError('invalid_request', `benchmark ${req.params.result_id} has already finished (${run.status})`);
    const forced = isObject(req.body) && req.body.forced === true;
    if (!forced) return reply.code(202).send({ status: benchmarkStatus(run.status), processes: false, forced });
    // Forced: what is left stops now (a queued one is canceled), and the run ends.
    if (run.status === 'queued') await engine.cancel(run.id, 'marked as finished through the benchmark API');
    else await engine.finishRun(run.id);
    const now = (await store.getRun(run.id)) ?? run;
    return { status: benchmarkStatus(now.status), processes: isTerminal(now.status), forced };
  });

  r.post('/api/v1.0/set_artefacts/:result_id', {
    schema: { params: resultParams, summary: 'Name the file of the benchmark outputs that get_artefacts serves: {"artefacts": "<path>"}', tags, response: benchmarkResponses.artefactsSet },
  }, async (req) => {
    requestJson(req.body, 'the request');
    const run = await facade.findRun(req.params.result_id);
    facade.checkAccess(req, run, 'set_artefacts');
    const name = isObject(req.body) ? req.body.artefacts : undefined;
    if (name !== undefined && name !== null) {
      const ok = z.string().min(1).max(500).refine((s) => !s.startsWith('/') && !s.split('/').includes('..') && !s.includes('\0')).safeParse(name);
      if (!ok.success) throw new RegattaError('invalid_request', 'artefacts must be a path inside the benchmark\'s outputs', { issues: [{ path: 'artefacts', message: 'a relative path without ..' }] });
      await engine.noteRun(run.id, `${ARTEFACTS_NOTE}${ok.data}`);
    }
    return { status: 'ok' };
  });

  r.get('/api/v1.0/get_artefacts/:result_id', {
    schema: { params: resultParams, summary: 'The file set_artefacts named, else the benchmark outputs as a .tar.gz; 404 when there are none', tags, response: benchmarkResponses.artefacts },
  }, async (req, reply) => {
    const run = await facade.findRun(req.params.result_id);
    facade.checkAccess(req, run, 'get_artefacts');
    if (run.attempt < 1) throw new NotFoundError('artefacts of benchmark', req.params.result_id);
    const outputs = attemptPaths(runsDir, run.id, run.attempt).outputs;
    const named = (await store.listEvents(run.id)).map((e) => e.reason ?? '').filter((x) => x.startsWith(ARTEFACTS_NOTE)).pop()?.slice(ARTEFACTS_NOTE.length);
    if (named) {
      const file = await resolveInside(outputs, named);
      const st = await stat(file);
      if (!st.isFile()) throw new NotFoundError('artefact', named);
      return reply.type('application/octet-stream').header('content-length', st.size)
        .header('content-disposition', `attachment; filename="${encodeURIComponent(named.split('/').pop() ?? 'artefacts')}"`).send(createReadStream(file));
    }
    let entries: string[];
    try {
      entries = await readdir(outputs);
    } catch {
      entries = [];
    }
    if (!entries.length) throw new NotFoundError('artefacts of benchmark', req.params.result_id);
    return reply.type('application/gzip')
      .header('content-disposition', `attachment; filename="artefacts_${encodeURIComponent(req.params.result_id)}.tar.gz"`)
      .send(createTar({ gzip: true, cwd: outputs, portable: true }, entries.sort()));
  });
}

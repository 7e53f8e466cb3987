/**
 * The training API (seed 002) on Regatta, answering as the original (Django REST framework) did:
 * training N is the template `<templatePrefix>N` (its files are the uploaded Dockerfile.dms and
 * *.py), task N is a docker run of it labelled with its number, which builds the image and runs
 * `IMAGE -V /training_output/` with score.json read from there. Errors are `{"error": ...}` or
 * `{"detail": ...}`, every route also answers with a `.json` suffix, and other methods get 405.
 */
import { cp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ConflictError, NotFoundError, RegattaError, isTerminal, type RunRecord, type TemplateVersion } from '@regatta/core';
import { attemptPaths } from '@regatta/engine';
import { createdByOf } from '../http/context.js';
import { specOf } from '../http/templates-routes.js';
import { storeDirectory, uploadScratch } from '../uploads.js';
import type { TrainingFacadeConfig } from './compat-config.js';
import { createSerializer, facadeRuns, isFacadeCaller, refuseOtherMethods, type FacadeDeps } from './facade.js';
import { taskView, trainingView } from './training-format.js';
import {
  DOCKERFILE, LABEL_ALGORITHM, LABEL_TASK, LABEL_TRAINING, LABEL_TRAINING_NAME, pickScores, trainingSpec, uploadKind, type TrainingFiles,
} from './training-spec.js';
import { readUpload } from './training-upload.js';
import { trainingResponses } from './facade-responses.js';
import type { ZodType } from 'zod';

const LABEL_FACADE = 'regatta.compat';

/** `<int:pk>` with the optional `.json` format suffix; anything else is the original's 404. */
function idOf(raw: string): number {
  const m = /^([0-9]{1,9})(?:\.json)?$/.exec(raw);
  if (!m) throw new NotFoundError('object', raw);
  return Number(m[1]);
}

function requireCaller(req: FastifyRequest): void {
  if (!isFacadeCaller(req.principal, 'training')) throw new RegattaError('forbidden', 'the training API needs an admin token');
}

/** DRF's error bodies: {"detail": "Not found."}, {"error": "..."} for what the views refused; undefined for the rest. */
function drfError(e: unknown): [number, Record<string, string>] | undefined {
  if (e instanceof NotFoundError) return [404, { detail: 'Not found.' }];
  if (!(e instanceof RegattaError)) return undefined;
  if (e.code === 'invalid_request') return [400, { error: e.message }];
  if (e.code === 'forbidden') return [403, { detail: e.message }];
  if (e.code === 'payload_too_large') return [413, { detail: e.message }];
  return undefined;
}

const labelsOf = (t: TemplateVersion): Record<string, string> => {
  const l = t.spec.labels;
  return typeof l === 'object' && l !== null ? (l as Record<string, string>) : {};
};

export async function registerTrainingFacade(app: FastifyInstance, deps: FacadeDeps, cfg: TrainingFacadeConfig): Promise<void> {
  const { engine, store, runsDir } = deps.ctx;
  const serial = createSerializer();
  const nameRe = new RegExp(`^${cfg.templatePrefix.replace(/[.]/g, '\\.')}([1-9][0-9]*)$`);
  const templateName = (id: number) => `${cfg.templatePrefix}${id}`;

  const getTraining = async (id: number): Promise<TemplateVersion> => {
    const t = await store.getTemplate(templateName(id));
    if (!t) throw new NotFoundError('training', String(id));
    return t;
  };
  const filesOf = async (t: TemplateVersion): Promise<TrainingFiles> => {
    const names = t.files ? await readdir(deps.filesDir(t.files)) : [];
    const algorithm = labelsOf(t)[LABEL_ALGORITHM];
    return { ...(names.includes(DOCKERFILE) ? { dockerfile: DOCKERFILE } : {}), ...(algorithm && names.includes(algorithm) ? { script: algorithm } : {}) };
  };
  const meta = (t: TemplateVersion, id: number) => {
    const name = labelsOf(t)[LABEL_TRAINING_NAME];
    return { id, templateName: t.name, ...(name ? { name } : {}), ...(cfg.queue ? { queue: cfg.queue } : {}) };
  };
  const viewOf = async (t: TemplateVersion, id: number) => {
    const first = (await store.listTemplateVersions(t.name))[0];
    return trainingView(id, await filesOf(t), first?.createdAt ?? t.createdAt);
  };

  const findTask = async (n: number): Promise<RunRecord> => {
    const run = (await store.listRuns({ labels: { [LABEL_FACADE]: 'training', [LABEL_TASK]: String(n) }, limit: 1 })).runs[0];
    if (!run) throw new NotFoundError('task', String(n));
    return run;
  };
  const taskOf = async (run: RunRecord) => {
    const metrics = await store.listMetrics(run.id);
    const last: Record<string, number> = {};
    for (const m of metrics) last[m.name] = m.value;
    let score: unknown;
    if (run.attempt > 0) {
      try {
        score = JSON.parse(await readFile(join(attemptPaths(runsDir, run.id, run.attempt).outputs, 'score.json'), 'utf8'));
      } catch {
        score = undefined; // no score.json (yet), or not JSON: the other sources still count
      }
    }
    const attempt = run.attempt > 0 ? await store.getAttempt(run.id, run.attempt) : undefined;
    return taskView({
      number: Number(run.labels[LABEL_TASK]), training: Number(run.labels[LABEL_TRAINING]), status: run.status, createdAt: run.createdAt,
      ...(run.reason !== undefined ? { reason: run.reason } : {}), ...(run.startedAt !== undefined ? { startedAt: run.startedAt } : {}),
      ...(run.finishedAt !== undefined ? { finishedAt: run.finishedAt } : {}), ...(attempt?.externalId ? { dockerId: attempt.externalId } : {}),
      scores: pickScores(score, last, run.result),
    });
  };

  /** Adds one file to the training's files: a new template version, with the spec recomputed. */
  const addFile = (id: number, name: string, data: Buffer) => serial(async () => {
    const t = await getTraining(id);
    const dir = await uploadScratch(deps.uploadsDir);
    try {
      if (t.files) await cp(deps.filesDir(t.files), dir, { recursive: true });
      await writeFile(join(dir, name), data);
      const names = await readdir(dir);
      const previous = labelsOf(t)[LABEL_ALGORITHM];
      const script = name === DOCKERFILE ? (previous && names.includes(previous) ? previous : undefined) : name;
      const files: TrainingFiles = { ...(names.includes(DOCKERFILE) ? { dockerfile: DOCKERFILE } : {}), ...(script ? { script } : {}) };
      const text = files.dockerfile ? await readFile(join(dir, DOCKERFILE), 'utf8') : undefined;
      const { spec } = trainingSpec(meta(t, id), files, text);
      const ref = `upload:${await storeDirectory(dir, deps.uploadsDir)}`;
      return await store.addTemplateVersion(t.name, spec, ref, Date.now());
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  await app.register(async (r) => {
    // Bodies are read by the routes that use them: a raw upload, or a create whose fields are ignored.
    r.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: deps.uploadLimits.maxBytes }, (_req, body, done) => done(null, body));
    r.setErrorHandler((e, _req, reply) => {
      const drf = drfError(e);
      if (drf) return reply.code(drf[0]).send(drf[1]);
      if ((e as { code?: string }).code === 'FST_ERR_CTP_INVALID_JSON_BODY') return reply.code(400).send({ detail: `JSON parse error - ${(e as Error).message}` });
      throw e; // the server's own handler (problem+json)
    });
    const tags = ['compat: training'];
    const allowed = new Map<string, string[]>();
    /** A route and its `.json` twin, as DRF's format_suffix_patterns (`:id` takes the suffix itself). */
    const both = (method: 'GET' | 'POST' | 'PUT', url: string, summary: string, response: Record<number, ZodType>, handler: (req: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) => Promise<unknown>) => {
      for (const u of url.endsWith(':id') ? [url] : [url, `${url}.json`]) {
        r.route<{ Params: { id: string } }>({ method, url: u, schema: { summary, tags, response, ...(u === url ? {} : { hide: true }) }, handler });
        allowed.set(u, [...(allowed.get(u) ?? []), method]);
      }
    };

    both('GET', '/api/trainings', 'Training configurations: [{id, algorithm, dockerfile, created_on}]', trainingResponses.list, async (req) => {
      requireCaller(req);
      const out = [];
      for (const t of await store.listTemplates()) {
        const m = nameRe.exec(t.name);
        if (m) out.push(await viewOf(t, Number(m[1])));
      }
      return out.sort((a, b) => a.id - b.id);
    });

    both('POST', '/api/trainings', 'Create a training configuration: 201 {id, algorithm: null, dockerfile: null, created_on}', trainingResponses.created, async (req, reply) => {
      requireCaller(req);
      // The original's serializer ignores what it does not know; a JSON body may name the training.
      const body: unknown = req.body;
      const name = typeof body === 'object' && body !== null && !Buffer.isBuffer(body) && typeof (body as { name?: unknown }).name === 'string'
        ? (body as { name: string }).name.slice(0, 200) : undefined;
      const t = await serial(async () => {
        const ids = (await store.listTemplates()).map((x) => Number(nameRe.exec(x.name)?.[1] ?? 0));
        const id = Math.max(0, ...ids) + 1;
        const { spec } = trainingSpec({ id, templateName: templateName(id), ...(name ? { name } : {}), ...(cfg.queue ? { queue: cfg.queue } : {}) }, {}, undefined);
        return store.addTemplateVersion(templateName(id), spec, undefined, Date.now());
      });
      const id = Number(nameRe.exec(t.name)?.[1]);
      return reply.code(201).send(await viewOf(t, id));
    });

    both('GET', '/api/training/:id', 'A training configuration', trainingResponses.one, async (req) => {
      requireCaller(req);
      const id = idOf(req.params.id);
      return viewOf(await getTraining(id), id);
    });

    both('PUT', '/api/training/:id/upload', 'Upload the algorithm (*.py) or Dockerfile.dms: 204 (multipart field "file", or a raw body named by Content-Disposition)', trainingResponses.uploaded, async (req, reply) => {
      requireCaller(req);
      const id = idOf(req.params.id);
      await getTraining(id);
      const file = await readUpload(req, deps.uploadLimits.maxBytes);
      const kind = uploadKind(file.name);
      if (!kind) throw new RegattaError('invalid_request', 'Invalid file extension. Only `*.py` and `Dockerfile.dms` files accepted.');
      await addFile(id, kind === 'dockerfile' ? DOCKERFILE : file.name, file.data);
      return reply.code(204).send();
    });

    both('POST', '/api/training/:id/run', 'Start a task of the training: 201 {id}', trainingResponses.run, async (req, reply) => {
      requireCaller(req);
      const id = idOf(req.params.id);
      const t = await getTraining(id);
      const files = await filesOf(t);
      const text = files.dockerfile && t.files ? await readFile(join(deps.filesDir(t.files), DOCKERFILE), 'utf8') : undefined;
      const { missing } = trainingSpec(meta(t, id), files, text);
      if (missing.length) throw new RegattaError('invalid_request', `Make sure docker file and algorithm are set. (missing: ${missing.join('; ')})`);
      const n = await serial(async () => {
        const newest = (await store.listRuns({ labels: { [LABEL_FACADE]: 'training' }, limit: 1 })).runs[0];
        const next = Number(newest?.labels[LABEL_TASK] ?? 0) + 1;
        await engine.submit(specOf(t, { labels: { [LABEL_TASK]: String(next) } }), { template: { name: t.name, version: t.version }, ...createdByOf(req) });
        return next;
      });
      return reply.code(201).send({ id: n });
    });

    both('GET', '/api/tasks', 'Tasks, oldest first', trainingResponses.tasks, async (req) => {
      requireCaller(req);
      const runs = await facadeRuns(store, 'training');
      return Promise.all(runs.filter((x) => x.labels[LABEL_TASK] !== undefined).reverse().map(taskOf));
    });

    both('GET', '/api/task/:id', 'A task: status, dates, failure_message, test_loss, test_accuracy, docker_id', trainingResponses.task, async (req) => {
      requireCaller(req);
      return taskOf(await findTask(idOf(req.params.id)));
    });

    both('POST', '/api/task/:id/abort', 'Abort a task: kills it at once (202); 400 once it completed or failed', trainingResponses.aborted, async (req, reply) => {
      requireCaller(req);
      const run = await findTask(idOf(req.params.id));
      if (run.status === 'canceled') return reply.code(202).type('application/json').send('""'); // the original answered 202 again
      if (isTerminal(run.status)) throw new RegattaError('invalid_request', 'Current status does not allow it.');
      try {
        // As the original's container.kill(): no grace period.
        await engine.cancel(run.id, 'aborted through the training API', { graceMs: 0 });
      } catch (e) {
        if (e instanceof ConflictError) throw new RegattaError('invalid_request', 'Current status does not allow it.');
        throw e;
      }
      // Answer once it is down, so the next read says aborted.
      for (let i = 0; i < 100; i++) {
        if (isTerminal((await store.getRun(run.id))?.status ?? 'canceled')) break;
        await new Promise((res) => setTimeout(res, 100));
      }
      return reply.code(202).type('application/json').send('""');
    });

    for (const [url, methods] of allowed) refuseOtherMethods(r, url, methods, (reply, m) => void reply.send({ detail: `Method "${m}" not allowed.` }));
  }, { prefix: cfg.prefix });
}

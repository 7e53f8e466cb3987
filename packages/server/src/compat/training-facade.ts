/**
 * The training API (seed 002) on Regatta: training N is the template `<templatePrefix>N` (its
 * files are the uploaded Dockerfile and script), a task is a docker run of that template that builds
 * the image and runs what the Dockerfile's CMD says. Every route needs an admin token.
 */
import { cp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MultipartFile } from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ConflictError, ID_PATTERN, NotFoundError, RegattaError, type RunRecord, type TemplateVersion } from '@regatta/core';
import { attemptPaths } from '@regatta/engine';
import { iso } from '../http/context.js';
import { specOf } from '../http/templates-routes.js';
import { storeDirectory, uploadScratch } from '../uploads.js';
import type { TrainingFacadeConfig } from './compat-config.js';
import { createSerializer, isFacadeCaller, type FacadeDeps } from './facade.js';
import {
  LABEL_TRAINING, LABEL_TRAINING_NAME, pickScores, taskStatus, trainingFiles, trainingSpec,
} from './training-spec.js';

const FILE_NAME = /^[A-Za-z0-9_.-][A-Za-z0-9_. -]{0,254}$/;
const trainingParams = z.strictObject({ id: z.coerce.number().int().min(1).max(1e9) });
const taskParams = z.strictObject({ id: z.string().regex(ID_PATTERN, 'a task id as run answered it') });
const createBody = z.strictObject({ name: z.string().min(1).max(200).optional() }).optional().describe('A training configuration');

function requireAdmin(req: FastifyRequest): void {
  if (!isFacadeCaller(req.principal, 'training')) throw new RegattaError('forbidden', 'the training API needs an admin token');
}

/** `attachment; filename="algo.py"` → algo.py */
function dispositionName(header: string | undefined): string | undefined {
  const m = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(header ?? '');
  return m?.[1] ? decodeURIComponent(m[1]) : undefined;
}

function checkFileName(name: string): void {
  if (!FILE_NAME.test(name) || name === '.' || name === '..') {
    throw new RegattaError('invalid_request', `upload refused: file name '${name}' is not allowed (a plain file name, no paths)`, {
      issues: [{ path: `file:${name}`, message: 'a plain file name' }],
    });
  }
}

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
  const fileNames = async (t: TemplateVersion): Promise<string[]> => (t.files ? (await readdir(deps.filesDir(t.files))).sort() : []);
  const labels = (t: TemplateVersion): Record<string, string> => {
    const l = t.spec.labels;
    return typeof l === 'object' && l !== null ? (l as Record<string, string>) : {};
  };
  const meta = (t: TemplateVersion, id: number) => {
    const name = labels(t)[LABEL_TRAINING_NAME];
    return { id, templateName: t.name, ...(name ? { name } : {}), ...(cfg.queue ? { queue: cfg.queue } : {}) };
  };
  const dockerfileOf = (t: TemplateVersion): string | undefined => {
    const b = t.spec.build;
    return typeof b === 'object' && b !== null && typeof (b as { dockerfile?: unknown }).dockerfile === 'string' ? (b as { dockerfile: string }).dockerfile : undefined;
  };
  const missingOf = async (t: TemplateVersion, id: number, names: string[]): Promise<string[]> => {
    const files = trainingFiles(names, dockerfileOf(t));
    const text = files.dockerfile && t.files ? await readFile(join(deps.filesDir(t.files), files.dockerfile), 'utf8') : undefined;
    return trainingSpec(meta(t, id), files, text).missing;
  };

  const trainingView = async (t: TemplateVersion, id: number) => {
    const names = await fileNames(t);
    const files = trainingFiles(names, dockerfileOf(t));
    const first = (await store.listTemplateVersions(t.name))[0];
    const missing = await missingOf(t, id, names);
    return {
      id, name: labels(t)[LABEL_TRAINING_NAME] ?? null, template: t.name, version: t.version, files: names,
      dockerfile: files.dockerfile ?? null, script: files.script ?? null, command: t.spec.command ?? null,
      ready: missing.length === 0, missing, created_on: iso(first?.createdAt ?? t.createdAt), updated_on: iso(t.createdAt),
    };
  };

  const isTask = (run: RunRecord | undefined): run is RunRecord => run?.labels['regatta.compat'] === 'training';
  const taskView = async (run: RunRecord) => {
    const status = taskStatus(run.status);
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
    return {
      id: run.id, training: Number(run.labels[LABEL_TRAINING]), status,
      created_on: iso(run.createdAt), started_on: iso(run.startedAt) ?? null, terminated_on: iso(run.finishedAt) ?? null,
      failure_message: status === 'failure' ? run.reason ?? null : null,
      ...pickScores(last, run.result, score),
      run_status: run.status,
    };
  };

  /** Adds one file to the training's files: a new template version, with the spec recomputed. */
  const addFile = async (id: number, name: string, write: (path: string) => Promise<void>) => serial(async () => {
    const t = await getTraining(id);
    const dir = await uploadScratch(deps.uploadsDir);
    try {
      if (t.files) await cp(deps.filesDir(t.files), dir, { recursive: true });
      await write(join(dir, name));
      const names = (await readdir(dir)).sort();
      const files = trainingFiles(names, name);
      const text = files.dockerfile ? await readFile(join(dir, files.dockerfile), 'utf8') : undefined;
      const { spec } = trainingSpec(meta(t, id), files, text);
      const ref = `upload:${await storeDirectory(dir, deps.uploadsDir)}`;
      return await store.addTemplateVersion(t.name, spec, ref, Date.now());
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  await app.register(async (plain) => {
    const r = plain.withTypeProvider<ZodTypeProvider>();
    // A raw upload names its file in Content-Disposition, as the original's upload parser read it.
    r.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: deps.uploadLimits.maxBytes }, (_req, body, done) => done(null, body));
    const tags = ['compat: training'];

    r.get('/api/trainings', { schema: { summary: 'Training configurations', tags } }, async (req) => {
      requireAdmin(req);
      const out = [];
      for (const t of await store.listTemplates()) {
        const m = nameRe.exec(t.name);
        if (m) out.push(await trainingView(t, Number(m[1])));
      }
      return out.sort((a, b) => a.id - b.id);
    });

    r.post('/api/trainings', { schema: { body: createBody, summary: 'Create a training configuration', tags } }, async (req, reply) => {
      requireAdmin(req);
      const name = req.body?.name;
      const t = await serial(async () => {
        const ids = (await store.listTemplates()).map((x) => Number(nameRe.exec(x.name)?.[1] ?? 0));
        const id = Math.max(0, ...ids) + 1;
        const { spec } = trainingSpec({ id, templateName: templateName(id), ...(name ? { name } : {}), ...(cfg.queue ? { queue: cfg.queue } : {}) }, {}, undefined);
        return store.addTemplateVersion(templateName(id), spec, undefined, Date.now());
      });
      const id = Number(nameRe.exec(t.name)?.[1]);
      return reply.code(201).header('location', `${cfg.prefix}/api/training/${id}`).send(await trainingView(t, id));
    });

    r.get('/api/training/:id', { schema: { params: trainingParams, summary: 'A training configuration', tags } }, async (req) => {
      requireAdmin(req);
      return trainingView(await getTraining(req.params.id), req.params.id);
    });

    r.put('/api/training/:id/upload', {
      schema: { params: trainingParams, summary: 'Upload the Dockerfile or the script (multipart field "file", or a raw body with Content-Disposition)', tags },
    }, async (req) => {
      requireAdmin(req);
      const id = req.params.id;
      await getTraining(id);
      if (req.isMultipart()) {
        let count = 0;
        for await (const part of req.parts({ limits: { fileSize: deps.uploadLimits.maxBytes, files: 10, fields: 10 } })) {
          if (part.type === 'field') continue;
          const file: MultipartFile = part;
          checkFileName(file.filename);
          const data = await file.toBuffer();
          if (file.file.truncated) throw new RegattaError('payload_too_large', `upload refused: '${file.filename}' is larger than ${deps.uploadLimits.maxBytes} bytes`);
          await addFile(id, file.filename, (p) => writeFile(p, data));
          count++;
        }
        if (!count) throw new RegattaError('invalid_request', 'no file in the upload', { issues: [{ path: 'file', message: 'send the file as multipart field "file"' }] });
      } else {
        const name = dispositionName(req.headers['content-disposition']);
        if (!name) throw new RegattaError('invalid_request', 'send multipart/form-data (-F file=@algo.py), or name the file in Content-Disposition', { issues: [{ path: 'header.content-disposition', message: 'attachment; filename=<name>' }] });
        checkFileName(name);
        if (!Buffer.isBuffer(req.body)) throw new RegattaError('invalid_request', 'the upload has no body', { issues: [{ path: 'body', message: 'the file' }] });
        const data = req.body;
        await addFile(id, name, (p) => writeFile(p, data));
      }
      return trainingView(await getTraining(id), id);
    });

    r.post('/api/training/:id/run', { schema: { params: trainingParams, summary: 'Start a task of the training: 201 {id}', tags } }, async (req, reply) => {
      requireAdmin(req);
      const t = await getTraining(req.params.id);
      const missing = await missingOf(t, req.params.id, await fileNames(t));
      if (missing.length) {
        throw new RegattaError('invalid_request', `training ${req.params.id} cannot run yet: it lacks ${missing.join(', ')}`, {
          issues: missing.map((m) => ({ path: 'files', message: `missing ${m}` })),
        });
      }
      const run = await engine.submit(specOf(t, {}), { template: { name: t.name, version: t.version } });
      return reply.code(201).header('location', `${cfg.prefix}/api/task/${run.id}`).send({ id: run.id });
    });

    r.get('/api/tasks', { schema: { summary: 'Tasks (runs of trainings), oldest first', tags } }, async (req) => {
      requireAdmin(req);
      const runs: RunRecord[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.listRuns({ labels: { 'regatta.compat': 'training' }, limit: 500, ...(cursor ? { cursor } : {}) });
        runs.push(...page.runs);
        cursor = page.nextCursor;
      } while (cursor && runs.length < 10_000);
      return Promise.all(runs.reverse().map(taskView));
    });

    r.get('/api/task/:id', { schema: { params: taskParams, summary: 'A task: status, times, failure message, test_loss and test_accuracy', tags } }, async (req) => {
      requireAdmin(req);
      const run = await store.getRun(req.params.id);
      if (!isTask(run)) throw new NotFoundError('task', req.params.id);
      return taskView(run);
    });

    r.post('/api/task/:id/abort', { schema: { params: taskParams, summary: 'Abort a task: 202; 400 when it has already ended', tags } }, async (req, reply) => {
      requireAdmin(req);
      const run = await store.getRun(req.params.id);
      if (!isTask(run)) throw new NotFoundError('task', req.params.id);
      try {
        await engine.cancel(run.id, 'aborted through the training API');
      } catch (e) {
        if (e instanceof ConflictError) throw new RegattaError('invalid_request', `task ${run.id} has already ended (${taskStatus(run.status)})`);
        throw e;
      }
      return reply.code(202).send({ id: run.id, status: 'aborted' });
    });
  }, { prefix: cfg.prefix });
}

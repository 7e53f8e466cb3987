/**
 * Templates: named, versioned job specs with files attached. A push makes a new version; a run of a
 * template deep-merges the caller's overrides into it, is validated after merging, and records the
 * exact version it used.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { readdir, rm, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { MultipartFile } from '@fastify/multipart';
import { z } from 'zod';
import {
  NotFoundError, RegattaError, compileGroup, compileItems, compileSpec, isFanout, mergeOverrides, type TemplateVersion,
} from '@regatta/core';
import { createdByOf, requireAdmin, userOf, type App, type RouteContext } from './context.js';
import { resolveInside } from '@regatta/artifacts';
import { storeDirectory, uploadScratch, type UploadLimits } from '../uploads.js';
import { parseYamlBody } from './yaml-body.js';
import { submittedSchema, templateDetailSchema, templateFilesSchema, templateListSchema, templateViewSchema, textBody } from '@regatta/core/api-schema';
import { problems } from './openapi.js';
import { positiveInt32 } from './validation.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const versionQuery = z.strictObject({ version: positiveInt32.optional() });
const nameParams = z.strictObject({ name: z.string().regex(NAME, 'template names use letters, digits, dot, dash or underscore') });
const FILE_NAME = /^[A-Za-z0-9_.-][A-Za-z0-9_. -]{0,254}$/;

const pushBody = z.strictObject({
  spec: z.record(z.string(), z.unknown()).describe('The job spec (may use build.context: "." for the attached files)'),
  files: z.string().regex(/^upload:[0-9a-f]{64}$/, 'expected upload:<id> from POST /api/v1/uploads').optional(),
});

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The spec a run of this version submits: overrides merged, and the attached files wired in. */
export function specOf(t: TemplateVersion, overrides: unknown): unknown {
  const merged = mergeOverrides(t.spec, overrides);
  if (!isObject(merged) || !t.files) return merged;
  const build = merged.build;
  if (isObject(build) && (build.context === undefined || build.context === '.' || build.context === './')) {
    return { ...merged, build: { ...build, context: t.files } };
  }
  if (merged.runtime === undefined || merged.runtime === 'process') return merged.workdir === undefined ? { ...merged, files: t.files } : merged;
  return merged;
}

function validate(spec: unknown, maxFanoutItems: number | undefined): void {
  if (!isFanout(spec)) {
    compileSpec(spec);
    return;
  }
  const g = compileGroup(spec);
  // The files a foreach names are listed when a run starts; a stand-in checks the rest now.
  compileItems(g, g.fanout.foreach?.files !== undefined ? ['file'] : [], maxFanoutItems);
}

function view(t: TemplateVersion) {
  return { name: t.name, version: t.version, spec: t.spec, files: t.files ?? null, createdAt: new Date(t.createdAt).toISOString(), createdBy: t.createdBy ?? null };
}

async function listFiles(root: string): Promise<{ path: string; size: number }[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  const files = entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
  const out = await Promise.all(files.map(async (f) => ({ path: relative(root, f).split(sep).join('/'), size: (await stat(f)).size })));
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)); // byte order, whatever the locale
}

export function registerTemplateRoutes(app: App, ctx: RouteContext, uploadsDir: string, limits: UploadLimits, maxFanoutItems?: number): void {
  const push = async (name: string, spec: Record<string, unknown>, files: string | undefined, createdBy: string | undefined) => {
    const draft: TemplateVersion = { name, version: 0, spec, ...(files ? { files } : {}), createdAt: Date.now() };
    validate(specOf(draft, {}), maxFanoutItems); // a template must run as it is, before any override
    return ctx.store.addTemplateVersion(name, spec, files, Date.now(), createdBy);
  };

  app.put('/api/v1/templates/:name', {
    schema: {
      params: nameParams, body: pushBody, summary: 'Push a new version of a template (spec, and files uploaded before)', tags: ['templates'],
      response: { 201: templateViewSchema, ...problems(400) },
    },
  }, async (req, reply) => {
    requireAdmin(req);
    return reply.code(201).send(view(await push(req.params.name, req.body.spec, req.body.files, userOf(req))));
  });

  app.post('/api/v1/templates/:name', {
    schema: {
      params: nameParams, summary: 'Push a new version as multipart/form-data: a `spec` field (YAML or JSON) and the files', tags: ['templates'],
      response: { 201: templateViewSchema, ...problems(400, 413) },
    },
  }, async (req, reply) => {
    requireAdmin(req);
    if (!req.isMultipart()) throw new RegattaError('invalid_request', 'send multipart/form-data with a spec field and files, or PUT JSON');
    const dir = await uploadScratch(uploadsDir);
    let spec: unknown;
    let count = 0;
    try {
      for await (const part of req.parts({ preservePath: true, limits: { fileSize: limits.maxBytes, files: 1000, fields: 10 } })) {
        if (part.type === 'field') {
          if (part.fieldname === 'spec') spec = await parseYamlBody(String(part.value), 'spec');
          continue;
        }
        const file: MultipartFile = part;
        if (!FILE_NAME.test(file.filename) || file.filename === '.' || file.filename === '..') {
          throw new RegattaError('invalid_request', `upload refused: file name '${file.filename}' is not allowed (no paths, no ..)`, { issues: [{ path: `files:${file.filename}`, message: 'a plain file name' }] });
        }
        try {
          await pipeline(file.file, createWriteStream(join(dir, file.filename), { flags: 'wx' }));
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
          throw new RegattaError('invalid_request', `upload refused: file '${file.filename}' is sent twice`, { issues: [{ path: `files:${file.filename}`, message: 'each file name once' }] });
        }
        if (file.file.truncated) throw new RegattaError('payload_too_large', `upload refused: '${file.filename}' is larger than ${limits.maxBytes} bytes`);
        count++;
      }
      if (!isObject(spec)) throw new RegattaError('invalid_request', 'the spec field is missing or not a mapping', { issues: [{ path: 'spec', message: 'is required' }] });
      const files = count ? `upload:${await storeDirectory(dir, uploadsDir)}` : undefined;
      return reply.code(201).send(view(await push(req.params.name, spec, files, userOf(req))));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  app.get('/api/v1/templates', { schema: { summary: 'Templates with their latest version', tags: ['templates'], response: { 200: templateListSchema, ...problems() } } }, async (req) => {
    requireAdmin(req);
    return { items: (await ctx.store.listTemplates()).map(view) };
  });

  app.get('/api/v1/templates/:name', { schema: { params: nameParams, querystring: versionQuery, summary: 'A template version (default: latest) and the list of versions', tags: ['templates'], response: { 200: templateDetailSchema, ...problems(400, 404) } } }, async (req) => {
    requireAdmin(req);
    const t = await ctx.store.getTemplate(req.params.name, req.query.version);
    if (!t) throw new NotFoundError('template', req.query.version ? `${req.params.name} v${req.query.version}` : req.params.name);
    const versions = await ctx.store.listTemplateVersions(req.params.name);
    return { ...view(t), versions: versions.map((v) => ({ version: v.version, createdAt: new Date(v.createdAt).toISOString(), createdBy: v.createdBy ?? null, files: v.files ?? null })) };
  });

  app.get('/api/v1/templates/:name/files', { schema: { params: nameParams, querystring: versionQuery, summary: "The files attached to a template version (paths and sizes)", tags: ['templates'], response: { 200: templateFilesSchema, ...problems(400, 404) } } }, async (req) => {
    requireAdmin(req);
    const t = await ctx.store.getTemplate(req.params.name, req.query.version);
    if (!t) throw new NotFoundError('template', req.query.version ? `${req.params.name} v${req.query.version}` : req.params.name);
    return { version: t.version, items: t.files ? await listFiles(join(uploadsDir, t.files.slice('upload:'.length))) : [] };
  });

  app.get('/api/v1/templates/:name/files/*', {
    schema: {
      params: nameParams.extend({ '*': z.string().describe('File path') }), querystring: versionQuery,
      summary: 'One file attached to a template version', tags: ['templates'],
      response: { 200: textBody('application/octet-stream', 'The file'), ...problems(400, 404) },
    },
  }, async (req, reply) => {
    requireAdmin(req);
    const t = await ctx.store.getTemplate(req.params.name, req.query.version);
    if (!t) throw new NotFoundError('template', req.query.version ? `${req.params.name} v${req.query.version}` : req.params.name);
    if (!t.files) throw new NotFoundError('template file', req.params['*']);
    const file = await resolveInside(join(uploadsDir, t.files.slice('upload:'.length)), req.params['*']);
    const st = await stat(file);
    if (!st.isFile()) throw new NotFoundError('template file', req.params['*']);
    return reply.type('application/octet-stream').header('content-length', st.size).send(createReadStream(file));
  });

  app.post('/api/v1/templates/:name/runs', {
    schema: {
      params: nameParams, querystring: versionQuery,
      body: z.record(z.string(), z.unknown()).optional().describe('Overrides, deep-merged into the template (null deletes)'),
      summary: 'Run a template with overrides', tags: ['templates'],
      response: { 201: submittedSchema, ...problems(400, 404, 409, 422) },
    },
  }, async (req, reply) => {
    requireAdmin(req);
    const t = await ctx.store.getTemplate(req.params.name, req.query.version);
    if (!t) throw new NotFoundError('template', req.query.version ? `${req.params.name} v${req.query.version}` : req.params.name);
    const spec = specOf(t, req.body ?? {});
    const template = { name: t.name, version: t.version };
    if (isFanout(spec)) {
      const { group } = await ctx.engine.submitGroup(spec, { template, ...createdByOf(req) });
      return reply.code(201).send({ groupId: group.id, status: group.status, name: group.name, total: group.total, template });
    }
    const run = await ctx.engine.submit(spec, { template, ...createdByOf(req) });
    return reply.code(201).header('location', `/api/v1/runs/${run.id}`).send({ id: run.id, status: run.status, name: run.name, template });
  });
}

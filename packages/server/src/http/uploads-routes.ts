/** Uploading a directory as a tar or tar.gz (build contexts; template files later). */
import { Readable } from 'node:stream';
import { RegattaError } from '@regatta/core';
import { requireAdmin, type App } from './context.js';
import { storeUpload, type UploadLimits } from '../uploads.js';
import { uploadSchema } from '@regatta/core/api-schema';
import { problems } from './openapi.js';

export const ARCHIVE_TYPES = ['application/x-tar', 'application/gzip', 'application/x-gzip', 'application/octet-stream'];

export function registerUploadRoutes(app: App, uploadsDir: string, limits: UploadLimits): void {
  // This route reads the archive as a stream (counted and unpacked as it arrives), unlike the
  // rest of the API, which takes archives as buffers: its own parser, in its own context.
  void app.register(async (child) => {
    child.removeContentTypeParser(ARCHIVE_TYPES);
    child.addContentTypeParser(ARCHIVE_TYPES, (_req, payload, done) => done(null, payload));
    registerUploadRoute(child, uploadsDir, limits);
  });
}

function registerUploadRoute(app: App, uploadsDir: string, limits: UploadLimits): void {
  app.post('/api/v1/uploads', {
    schema: {
      summary: 'Upload a directory (tar or tar.gz); answers its id for build.context: upload:<id>', tags: ['uploads'],
      response: { 201: uploadSchema, ...problems(400, 413) },
    },
  }, async (req, reply) => {
    requireAdmin(req);
    if (!(req.body instanceof Readable)) throw new RegattaError('invalid_request', 'send the archive as application/x-tar or application/gzip');
    const stored = await storeUpload(req.body, uploadsDir, limits);
    return reply.code(201).send({ ...stored, ref: `upload:${stored.id}` });
  });
}

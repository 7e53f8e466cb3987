/** Uploading a directory as a tar or tar.gz (build contexts; template files later). */
import { RegattaError } from '@regatta/core';
import { requireAdmin, type App } from './context.js';
import { storeUpload, type UploadLimits } from '../uploads.js';

export const ARCHIVE_TYPES = ['application/x-tar', 'application/gzip', 'application/x-gzip', 'application/octet-stream'];

export function registerUploadRoutes(app: App, uploadsDir: string, limits: UploadLimits): void {
  app.post('/api/v1/uploads', {
    bodyLimit: limits.maxBytes + 1024 * 1024,
    schema: { summary: 'Upload a directory (tar or tar.gz); answers its id for build.context: upload:<id>', tags: ['uploads'] },
  }, async (req, reply) => {
    requireAdmin(req);
    if (!Buffer.isBuffer(req.body)) throw new RegattaError('invalid_request', 'send the archive as application/x-tar or application/gzip');
    const stored = await storeUpload(req.body, uploadsDir, limits);
    return reply.code(201).send({ ...stored, ref: `upload:${stored.id}` });
  });
}

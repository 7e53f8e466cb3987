/**
 * Request body parsers: JSON and YAML within the document limits (depth, entries), so a small
 * nested body can neither overflow the stack nor freeze the server; archives as buffers.
 */
import { checkDocumentShape } from '@regatta/core';
import { parseYamlBody } from './yaml-body.js';
import type { App } from './context.js';
import { ARCHIVE_TYPES } from './uploads-routes.js';

export function registerBodyParsers(app: App, limits: { uploadLimit: number }): void {
  // A reply sent before its request body was read (a multipart or upload limit hit mid-way): read
  // and drop the rest, so the client is not left sending into a stalled socket, and do not keep
  // the connection (a server shutdown would wait on it).
  app.addHook('onSend', async (req, reply) => {
    if (req.raw.complete) return;
    reply.header('connection', 'close');
    req.raw.resume();
  });
  const json = app.getDefaultJsonParser('error', 'ignore');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    void json(req, String(body), (err, value) => {
      if (err) return done(err, undefined);
      try {
        checkDocumentShape(value, 'request body');
        done(null, value);
      } catch (e) {
        done(e as Error, undefined);
      }
    });
  });
  app.addContentTypeParser(ARCHIVE_TYPES, { parseAs: 'buffer', bodyLimit: limits.uploadLimit }, (_req, body, done) => done(null, body));
  app.addContentTypeParser(['application/yaml', 'application/x-yaml', 'text/yaml'], { parseAs: 'string' }, async (_req: unknown, body: string | Buffer) => parseYamlBody(String(body), 'request body'));
}

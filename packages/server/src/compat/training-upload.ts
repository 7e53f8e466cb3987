/**
 * The file of a training upload: multipart (`curl -F file=@algo.py`, as the original's README) or a
 * raw body, named by the request's Content-Disposition as the original's FileUploadParser read it.
 */
import type { MultipartFile } from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import { RegattaError } from '@regatta/core';

const FILE_NAME = /^[A-Za-z0-9_.-][A-Za-z0-9_. -]{0,254}$/;

/** `attachment; filename="algo.py"` → algo.py */
export function dispositionName(header: string | undefined): string | undefined {
  const m = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(header ?? '');
  if (!m?.[1]) return undefined;
  try {
    return decodeURIComponent(m[1]).trim();
  } catch {
    return m[1].trim();
  }
}

function checkFileName(name: string): string {
  if (!FILE_NAME.test(name) || name === '.' || name === '..') {
    throw new RegattaError('invalid_request', `upload refused: file name '${name}' is not allowed (a plain file name, no paths)`, {
      issues: [{ path: 'file', message: 'a plain file name' }],
    });
  }
  return name;
}

export async function readUpload(req: FastifyRequest, maxBytes: number): Promise<{ name: string; data: Buffer }> {
  const header = dispositionName(req.headers['content-disposition']);
  if (req.isMultipart()) {
    let found: { name: string; data: Buffer } | undefined;
    for await (const part of req.parts({ limits: { fileSize: maxBytes, files: 1, fields: 10 } })) {
      if (part.type === 'field') continue;
      const file: MultipartFile = part;
      const data = await file.toBuffer();
      if (file.file.truncated) throw new RegattaError('payload_too_large', `upload refused: '${file.filename}' is larger than ${maxBytes} bytes`);
      // The request's Content-Disposition names the file, as the original read it; else the part's name.
      found ??= { name: checkFileName(header ?? file.filename), data };
    }
    if (!found) throw new RegattaError('invalid_request', 'no file in the upload: send it as multipart field "file"');
    return found;
  }
  if (!header) throw new RegattaError('invalid_request', 'send multipart/form-data (-F file=@algo.py), or name the file in Content-Disposition');
  if (!Buffer.isBuffer(req.body)) throw new RegattaError('invalid_request', 'the upload has no body');
  return { name: checkFileName(header), data: req.body };
}

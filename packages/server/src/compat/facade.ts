/** What the compatibility facades share: their dependencies, and one-at-a-time sections. */
import type { RouteContext } from '../http/context.js';
import type { UploadLimits } from '../uploads.js';

export interface FacadeDeps {
  ctx: RouteContext;
  /** Base URL jobs use to reach this server (known once it listens). */
  apiUrl: () => string;
  uploadsDir: string;
  /** Where an uploaded directory (`upload:<id>`) is on the server. */
  filesDir(ref: string): string;
  uploadLimits: UploadLimits;
}

/**
 * Runs sections one after another: a check followed by a write (is the queue busy? what is the
 * next training id?) must not interleave with another request's.
 */
export function createSerializer(): <T>(section: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(section: () => Promise<T>) => {
    const result = tail.then(section);
    tail = result.catch(() => undefined);
    return result;
  };
}

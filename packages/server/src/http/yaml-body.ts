/**
 * YAML request bodies: small ones are parsed at once; a large one (tens of thousands of keys take
 * seconds to compose) in a worker thread, with a time and memory limit, so other requests go on.
 */
import { Worker } from 'node:worker_threads';
import { SpecError, parseSpecText, type FieldIssue } from '@regatta/core';

/** Bodies up to this size are parsed on the event loop (a few milliseconds). */
const INLINE_BYTES = 64 * 1024;
const PARSE_TIMEOUT_MS = 15_000;

type Answer = { ok: true; value: unknown } | { ok: false; message: string; issues: FieldIssue[] };

export async function parseYamlBody(text: string, source: string): Promise<unknown> {
  if (text.length <= INLINE_BYTES) return parseSpecText(text, source);
  const worker = new Worker(new URL('./yaml-worker.js', import.meta.url), { workerData: { text, source }, resourceLimits: { maxOldGenerationSizeMb: 256 } });
  try {
    const answer = await new Promise<Answer>((resolve, reject) => {
      const timer = setTimeout(() => reject(new SpecError(`${source} took more than ${PARSE_TIMEOUT_MS / 1000}s to parse`, [{ path: '', message: 'too large or complex' }])), PARSE_TIMEOUT_MS);
      worker.once('message', (m: Answer) => { clearTimeout(timer); resolve(m); });
      worker.once('error', (e) => { clearTimeout(timer); reject(new SpecError(`${source} could not be parsed: ${e.message}`, [{ path: '', message: e.message }])); });
    });
    if (!answer.ok) throw new SpecError(answer.message, answer.issues);
    return answer.value;
  } finally {
    void worker.terminate();
  }
}

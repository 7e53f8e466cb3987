/**
 * Parses one YAML body off the event loop (a large body costs seconds to compose): the answer is
 * the value, or the SpecError's message and issues. One worker per large body, ended after it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { RegattaError, parseSpecText } from '@regatta/core';

const { text, source } = workerData as { text: string; source: string };
try {
  parentPort?.postMessage({ ok: true, value: parseSpecText(text, source) });
} catch (e) {
  parentPort?.postMessage(e instanceof RegattaError ? { ok: false, message: e.message, issues: e.issues } : { ok: false, message: String(e), issues: [] });
}

/** The backend contract, on the local backend (processes on this machine). */
import { afterAll, beforeAll } from 'vitest';
import { backendContract } from '../backend-contract.js';
import { startTestServer, type TestServer } from '../helpers.js';

let t: TestServer;
beforeAll(async () => { t = await startTestServer({ node: { cpus: 4 } }); });
afterAll(() => t?.close());

backendContract('local', () => ({ api: t.api, spec: (s) => s }));

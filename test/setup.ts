import { afterAll } from 'vitest';
import { removeTempDirs } from './helpers.js';
import { stopTestPostgres } from './postgres-env.js';

// Registered before each file's own hooks, so it runs after them (servers are closed by then).
afterAll(async () => {
  await stopTestPostgres();
  removeTempDirs();
});

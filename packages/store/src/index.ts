export type * from './store.js';
export { openSqliteStore } from './sqlite.js';
export { openPostgresStore, isPostgresUrl } from './postgres.js';
export { openStore } from './open-store.js';
export { createKyselyStore, migrate } from './kysely-store.js';
export type { Database } from './db-schema.js';
export { copyDatabase, type CopyReport } from './db-copy.js';
export { applyRunPatch } from './run-patch.js';

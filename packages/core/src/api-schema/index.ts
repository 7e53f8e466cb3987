/**
 * The wire shapes of Regatta's HTTP API as zod schemas: the server declares its answers with them
 * (so /api/openapi.json is complete) and the SDK derives its types from them. Data shapes only.
 */
export * from './common.js';
export * from './runs.js';
export * from './groups.js';
export * from './admin.js';
export * from './users.js';
export type * from './types.js';

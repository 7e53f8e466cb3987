/**
 * The parts of core that need no library (no zod, no yaml): typed errors, units, the version. The
 * CLI's client commands import only these, so `regatta ls` starts without building the spec schema.
 */
export * from './errors.js';
export * from './quantity.js';
export * from './version.js';

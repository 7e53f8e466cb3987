export * from './errors.js';
export * from './quantity.js';
export * from './ids.js';
export * from './clock.js';
export * from './spec.js';
export * from './run.js';
export * from './scheduler.js';
export * from './version.js';

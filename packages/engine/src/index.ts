export { Engine, createEngine, type EngineOptions, type RunChange } from './engine.js';
export type { NodeUsage } from './node-usage.js';
export { attemptPaths, attemptEnv, proxyPath } from './attempt-env.js';
export { createRunToken, verifyRunToken } from './run-tokens.js';
export { jobEventInputSchema, metricInputSchema, toPoint, type JobEventInput, type MetricInput } from './reports.js';
export { attemptRef, type AttemptStorage } from './attempt-storage.js';

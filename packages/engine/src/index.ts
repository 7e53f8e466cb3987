export { Engine, createEngine, type EngineOptions, type RunChange, type ChangeDetail } from './engine.js';
export type { NodeUsage } from './node-usage.js';
export type { EndedAttempt } from './attempt-lifecycle.js';
export { attemptPaths, attemptEnv, proxyPath } from './attempt-env.js';
export { createRunToken, verifyRunToken } from './run-tokens.js';
export { jobEventInputSchema, metricInputSchema, toPoint, type JobEventInput, type MetricInput } from './reports.js';
export { attemptRef, type AttemptStorage } from './attempt-storage.js';

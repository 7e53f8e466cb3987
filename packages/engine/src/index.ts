export { Engine, createEngine, attemptPaths, type EngineOptions, type NodeUsage, type RunChange } from './engine.js';
export { createRunToken, verifyRunToken } from './run-tokens.js';
export { metricInputSchema, toPoint, type MetricInput } from './reports.js';

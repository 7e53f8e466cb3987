export type * from './runtime.js';
export { createProcessRuntime, type ProcessRuntimeOptions } from './process/process-runtime.js';
export { collectOutputs, listArtifacts } from './outputs.js';

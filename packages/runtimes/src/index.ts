export type * from './runtime.js';
export { createProcessRuntime, type ProcessRuntimeOptions } from './process/process-runtime.js';
export { createLauncher, SpawnError, type Launcher, type SpawnedProcess } from './process/launcher.js';
export { collectOutputs, listArtifacts } from './outputs.js';
export { createDockerRuntime, type DockerRuntimeOptions } from './docker/docker-runtime.js';
export { connectDocker } from './docker/connect.js';
export { hashDirectory } from './docker/build-context.js';

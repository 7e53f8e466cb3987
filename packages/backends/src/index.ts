export type * from './backend.js';
export { createLocalBackend, type LocalBackendOptions } from './local/local-backend.js';
export { detectCapacity, detectGpus, type Capacity } from './local/capacity.js';
export { createDockerPool, type DockerPool, type DockerNodeConfig, type DockerPoolOptions } from './docker-pool/docker-pool-backend.js';
export { sbatchScript, shellQuote, slurmTime, type SlurmDefaults } from './slurm/sbatch-script.js';
export { mapSlurmState, parseSacct, parseSqueue, type SlurmJobState } from './slurm/slurm-state.js';

export type * from './backend.js';
export { createLocalBackend, type LocalBackendOptions } from './local/local-backend.js';
export { detectCapacity, detectGpus, type Capacity } from './local/capacity.js';
export { createDockerPool, type DockerPool, type DockerNodeConfig, type DockerPoolOptions } from './docker-pool/docker-pool-backend.js';
export {
  arrayScript, jobFiles, sbatchScript, shellQuote, slurmDirectives, slurmTime, taskScript,
  type SlurmDefaults, type SlurmDockerOptions, type SlurmJobFiles,
} from './slurm/sbatch-script.js';
export { createSlurmCli, SlurmCommandError, type SlurmCli, type SlurmCliOptions } from './slurm/slurm-cli.js';
export { createSlurmBackend, type SlurmBackendOptions } from './slurm/slurm-backend.js';
export { mapSlurmState, parseSacct, parseSqueue, type SlurmJobState } from './slurm/slurm-state.js';

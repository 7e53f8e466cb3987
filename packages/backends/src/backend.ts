/** The Backend port: where runs go. A backend owns nodes and launches attempts on them. */
import type { LaunchHooks, LaunchRequest, RunHandle } from '@regatta/runtimes';

export interface NodeInfo {
  name: string;
  total: { cpus: number; memory: number; gpus: number };
  /** Device indices of the node's GPUs (length = total.gpus). */
  gpuIndices: number[];
  /** Unready nodes get no new runs. */
  ready: boolean;
  backend: string;
  /** Runtimes this node executes. */
  runtimes: readonly string[];
  /**
   * The backend places work itself (a Slurm partition): the engine hands it every run bound to it
   * at once, without capacity accounting or group max_parallel, and `total` is only informative.
   */
  external?: boolean;
  /** Named datasets on the node; undefined: all (see NodeState.datasets). */
  datasets?: readonly string[];
  /** The last failure to reach the node (a pool engine), kept after it answers again. */
  lastError?: { at: number; message: string };
}

export interface Backend {
  readonly name: string;
  /** Current nodes; cheap, called on every scheduling pass. */
  nodes(): NodeInfo[];
  /** Runtimes this backend can execute (`process`, later `docker`). */
  readonly runtimes: readonly string[];
  launch(req: LaunchRequest, hooks: LaunchHooks): Promise<RunHandle>;
  /**
   * Finds an attempt started before a restart again; undefined when it is gone (the engine marks it
   * lost). `hooks` hear what changes from then on (a job that starts after waiting in Slurm's queue).
   */
  recover(req: LaunchRequest, externalId: string, hooks?: LaunchHooks): Promise<RunHandle | undefined>;
  /** After recovery at start: removes leftovers of attempts that are not active (see Runtime.sweep). */
  sweep?(stray: (runId: string, attempt: number) => Promise<boolean>): Promise<number>;
  close(): Promise<void>;
}
